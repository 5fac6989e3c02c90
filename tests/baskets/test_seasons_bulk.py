"""Planning many subscriptions at once: a few statements whatever their number, and the same
deliveries, installments and commitments as one subscription at a time."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.baskets.models import Subscription
from marketplace.baskets.seasons import plan_seasons
from marketplace.baskets.subscribing import subscribe
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.payments.fund import fund_balance_cents
from marketplace.payments.models import Installment, LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.baskets.test_seasons import (
    PRICE,
    Season,
    assert_books_balance,
    build_season,
    deliveries,
    installments_due,
    ledger_sum,
)
from tests.helpers import count_queries

KEPT = 8


def truncated_subscriptions(season: Season, count: int, gift_cents: int = 0) -> list:
    """`count` households signed as before seasons were planned whole: eight weeks delivered,
    billed in one installment, the rest of the season missing."""
    subscriptions = []
    for _ in range(count):
        member = factories.UserFactory()
        factories.MembershipFactory(user=member, organisation=season.offer.group, role="member")
        db.session.flush()
        subscription = subscribe(
            season.offer,
            member,
            season.size,
            season.schedule.pickup_point,
            season.standard,
            "monthly",
            "cheque",
            utcnow(),
        )
        subscriptions.append(subscription)
    db.session.flush()
    for subscription in subscriptions:
        subscription.donation_per_delivery_cents = gift_cents
        for delivery in deliveries(subscription)[KEPT:]:
            db.session.delete(delivery)
        for installment in db.session.scalars(
            select(Installment).where(Installment.subscription_id == subscription.id)
        ):
            db.session.delete(installment)
        db.session.flush()
        db.session.add(
            Installment(
                subscription_id=subscription.id,
                sequence=1,
                due_on=paris_today(),
                amount_cents=PRICE * KEPT,
            )
        )
        for entry in db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.subscription_id == subscription.id)
        ):
            if entry.kind == "commitment":
                entry.amount_cents = -PRICE * KEPT
            else:  # the gift is pledged by planning, for the days it adds
                db.session.delete(entry)
    db.session.commit()
    return subscriptions


def statements_to_plan(count: int) -> tuple[int, list[Subscription]]:
    season = build_season()
    subscriptions = truncated_subscriptions(season, count)
    with count_queries() as counter:
        report = plan_seasons(utcnow(), offer_ids=[season.offer.id])
    db.session.commit()
    assert report.subscriptions == count
    assert report.added == count * (len(deliveries(subscriptions[0])) - KEPT) > 0
    return counter.count, subscriptions


def test_planning_ten_subscriptions_takes_as_many_statements_as_one(app):
    one, _ = statements_to_plan(1)
    ten, subscriptions = statements_to_plan(10)
    assert ten == one
    for subscription in subscriptions:
        assert_books_balance(subscription)
        # The new installments follow the one already there, in order.
        sequences = db.session.scalars(
            select(Installment.sequence)
            .where(Installment.subscription_id == subscription.id)
            .order_by(Installment.sequence)
        ).all()
        assert sequences == list(range(1, len(sequences) + 1))
        assert len(sequences) > 1


def test_bulk_and_one_by_one_plans_agree_and_a_second_run_adds_nothing(app):
    season = build_season()
    plain = truncated_subscriptions(season, 3)
    # A gift takes the fund's path, one subscription at a time.
    giving = truncated_subscriptions(season, 1, gift_cents=100)
    report = plan_seasons(utcnow())
    db.session.commit()
    added = [len(deliveries(subscription)) for subscription in plain + giving]
    assert len(set(added)) == 1 and added[0] > KEPT
    assert report.added == (added[0] - KEPT) * 4
    assert report.added_cents == (added[0] - KEPT) * 4 * PRICE
    for subscription in plain:
        assert_books_balance(subscription)
    # The gift is pledged for each added day and paid with the installments.
    gifts = 100 * (added[0] - KEPT)
    assert installments_due(giving[0]) == PRICE * added[0] + gifts
    assert -ledger_sum(giving[0], "donation") == gifts
    labels = {
        entry.label
        for entry in db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.kind == "commitment", LedgerEntry.label.contains("complétée")
            )
        )
    }
    assert len(labels) == 1  # the same words on both paths
    assert fund_balance_cents(season.offer.group_id) == 100 * (added[0] - KEPT)

    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    again = plan_seasons(utcnow())
    db.session.commit()
    assert again.added == 0 and not again.lines
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == entries
