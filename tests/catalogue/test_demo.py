"""The demo farms have a catalogue and offer it on the coming dates, once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from marketplace.catalogue.models import Availability, Product
from marketplace.demo.seed import seed_demo_territory
from marketplace.extensions import db
from marketplace.producers.models import Producer

TODAY = date(2026, 12, 1)  # as in tests/demo: a fixed day keeps the demo calendar known


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Product.id))),
        db.session.scalar(select(func.count(Availability.id))),
    )


def test_the_demo_shop_has_products_on_the_next_three_dates():
    seed_demo_territory(TODAY, 8)
    db.session.commit()
    products, offers = _counts()
    assert products >= 12 and offers > products
    coteau = db.session.scalar(select(Producer).where(Producer.slug == "ferme-du-coteau"))
    # The coming dates; the demo season's past days (and today's) also had extras on sale.
    days = db.session.scalars(
        select(Availability.day)
        .where(Availability.producer_id == coteau.id, Availability.day > TODAY)
        .distinct()
    ).all()
    assert 1 <= len(days) <= 3 * len(coteau.supplied_groups)
    seed_demo_territory(TODAY, 8)
    db.session.commit()
    assert _counts() == (products, offers)
