"""The demo grocery's households and stock, seeded through the real services, once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.demo.seed import seed_demo_territory
from marketplace.extensions import db
from marketplace.grocery_shop.beneficiaries import eligibility
from marketplace.grocery_shop.models import Beneficiary, StockItem

TODAY = date(2026, 12, 1)


def test_demo_grocery_has_households_and_stock_once(app):
    seed_demo_territory(TODAY, horizon_weeks=2)
    db.session.commit()

    households = db.session.scalars(select(Beneficiary)).all()
    assert len(households) == 12
    assert {b.tier_percent for b in households} == {10, 30, 50}
    refused = [b.household_name for b in households if not eligibility(b, TODAY)[0]]
    assert refused == ["Foyer Roussel"]
    assert sum(1 for b in households if b.user_id is not None) == 1
    items = db.session.scalars(select(StockItem)).all()
    assert len(items) == 20
    assert {item.source for item in items} == {"purchase", "donation"}
    assert all(item.producer_id for item in items if item.source == "purchase")

    seed_demo_territory(TODAY, horizon_weeks=2)
    db.session.commit()
    assert len(db.session.scalars(select(Beneficiary)).all()) == 12
    assert len(db.session.scalars(select(StockItem)).all()) == 20
