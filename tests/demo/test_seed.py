from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.delivery.models import DistributionDay, PickupPoint, ScheduleException
from marketplace.demo.pickup_day import MOVED_REASON
from marketplace.demo.seed import seed_demo_territory
from marketplace.demo.territory import ACCOUNTS, DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.groups.models import Group
from marketplace.messages.models import GroupMessage, MessageRecipient
from marketplace.organisations.models import Membership
from marketplace.outbox.models import OutboxMessage
from marketplace.producers.models import Producer
from marketplace.timezones import PARIS, paris_today


@pytest.fixture
def today() -> date:
    """The seed's day is the clock's, as for `flask demo seed`: some of its parts (publishing a
    contract plans its calendar) read the clock themselves."""
    return paris_today()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_creates_a_realistic_territory(today: date):
    seed_demo_territory(today, horizon_weeks=8)
    db.session.commit()

    assert _count(Group) >= 3
    assert _count(Producer) >= 8
    assert len(set(db.session.scalars(select(Producer.trade)))) >= 5
    assert _count(Grocery) >= 1
    assert _count(PickupPoint) >= 6
    households = db.session.scalar(
        select(func.count(func.distinct(Membership.user_id))).where(Membership.role == "member")
    )
    assert households >= 60
    days = db.session.scalars(select(DistributionDay)).all()
    # The season began four weeks ago: its past days are there too.
    season_start = today - timedelta(weeks=4)
    assert days and all(day.day >= season_start for day in days)
    assert any(day.day < today for day in days)
    for moved in db.session.scalars(select(ScheduleException)):
        assert moved.kind == "moved"
        if moved.reason == MOVED_REASON:  # the demo group's distribution of the day
            assert moved.moved_to == today
        else:
            assert (moved.occurrence_date.month, moved.occurrence_date.day) == (12, 25)
            assert moved.moved_to.day == 24


def test_a_christmas_distribution_moves_to_christmas_eve():
    # A calendar fact, so a fixed date: Christmas 2026 falls on a Friday, a demo group's day.
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=PARIS), tick=True):
        seed_demo_territory(paris_today(), horizon_weeks=8)
        db.session.commit()

    christmas = db.session.scalar(
        select(ScheduleException).where(ScheduleException.occurrence_date == date(2026, 12, 25))
    )
    assert christmas.kind == "moved" and christmas.moved_to == date(2026, 12, 24)
    [eve] = db.session.scalars(
        select(DistributionDay).where(DistributionDay.occurrence_date == date(2026, 12, 25))
    ).all()
    assert eve.day == date(2026, 12, 24)


def test_seed_is_idempotent(today: date):
    seed_demo_territory(today, horizon_weeks=8)
    db.session.commit()
    counts = {model: _count(model) for model in (User, Membership, DistributionDay, PickupPoint)}

    report = seed_demo_territory(today, horizon_weeks=8)
    db.session.commit()

    assert report.created == 0
    assert {model: _count(model) for model in counts} == counts


def test_every_demo_login_works_and_lands_on_its_dashboard(app, client, today: date):
    seed_demo_territory(today, horizon_weeks=8)
    db.session.commit()
    for account in ACCOUNTS:
        response = client.post(
            "/compte/connexion", data={"email": account.email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, account.email
        assert response.location.endswith("/tableau-de-bord")
        assert "Tableau de bord" in client.get("/tableau-de-bord").text
        client.post("/compte/deconnexion")


def test_flask_demo_seed_command(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.amap.test" in result.output


def test_seed_subscribes_households_with_consistent_money(today: date):
    from marketplace.baskets.models import BasketOffer, Delivery, Subscription
    from marketplace.payments.models import Installment, LedgerEntry

    seed_demo_territory(today, horizon_weeks=8)
    db.session.commit()

    assert _count(BasketOffer) >= 4
    assert _count(Subscription) >= 30
    delivered = db.session.scalar(select(func.sum(Delivery.price_cents * Delivery.quantity)))
    installments = db.session.scalar(select(func.sum(Installment.amount_cents)))
    committed = db.session.scalar(
        # The seasons' commitments (a membership fee is committed too, with no offer).
        select(func.sum(LedgerEntry.amount_cents)).where(
            LedgerEntry.kind == "commitment", LedgerEntry.offer_id.is_not(None)
        )
    )
    assert delivered == installments == -committed


def test_the_demo_group_has_a_short_message_history_already_sent(today: date, outbox):
    seed_demo_territory(today, horizon_weeks=8)
    db.session.commit()

    assert _count(GroupMessage) == 2
    assert _count(MessageRecipient) > 2
    statuses = set(db.session.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent"}
    assert outbox == []  # seeding sends nothing
    seed_demo_territory(today, horizon_weeks=8)
    assert _count(GroupMessage) == 2
