"""Seasons planned whole: a sign-up covers every remaining day of its season, and the season
follows the calendar afterwards (holidays, cancelled days, added days), exact to the cent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.baskets import offers
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    PriceTier,
    Subscription,
)
from marketplace.baskets.seasons import plan_seasons
from marketplace.baskets.subscribing import subscribe
from marketplace.db import utcnow
from marketplace.delivery import days as calendar_days
from marketplace.delivery import services as calendar
from marketplace.delivery.holidays import french_public_holidays
from marketplace.delivery.models import DistributionDay, DistributionSchedule
from marketplace.extensions import db
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import Installment, LedgerEntry
from marketplace.timezones import paris_today
from tests import factories

SEASON_WEEKS = 30  # well past the 8-week horizon of the calendar job
PRICE = 1200


@dataclass
class Season:
    offer: BasketOffer
    schedule: DistributionSchedule
    size: BasketSize
    standard: PriceTier
    member: object


def build_season(*, rrule="FREQ=WEEKLY;BYDAY=TH", skip_holidays=False, policy="credit") -> Season:
    """A draft contract over 30 weeks from today, on a weekly calendar with no day yet."""
    today = paris_today()
    offer = factories.BasketOfferFactory(
        status="draft",
        season_starts_on=today,
        season_ends_on=today + timedelta(weeks=SEASON_WEEKS),
        cancelled_day_policy=policy,
    )
    point = factories.PickupPointFactory(group=offer.group)
    schedule = factories.DistributionScheduleFactory(
        pickup_point=point,
        rrule=rrule,
        starts_on=today,
        skip_public_holidays=skip_holidays,
    )
    size = factories.BasketSizeFactory(offer=offer, price_cents=PRICE, capacity=None)
    standard = factories.PriceTierFactory(offer=offer, name="Standard", percent=100)
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=offer.group, role="member")
    db.session.commit()
    offers.publish_offer(offer)
    db.session.commit()
    return Season(offer, schedule, size, standard, member)


def sign_up(season: Season, plan="monthly") -> Subscription:
    subscription = subscribe(
        season.offer,
        season.member,
        season.size,
        season.schedule.pickup_point,
        season.standard,
        plan,
        "cheque",
        utcnow(),
    )
    db.session.commit()
    return subscription


def open_days(season: Season) -> list[DistributionDay]:
    """The season's scheduled days whose order window is still open now."""
    now = utcnow()
    return [
        day
        for day in db.session.scalars(
            select(DistributionDay)
            .where(
                DistributionDay.schedule_id == season.schedule.id,
                DistributionDay.day <= season.offer.season_ends_on,
                DistributionDay.status == "scheduled",
            )
            .order_by(DistributionDay.day)
        )
        if now < day.order_closes_at
    ]


def deliveries(subscription: Subscription, state: str | None = None) -> list[Delivery]:
    query = (
        select(Delivery)
        .join(DistributionDay)
        .where(Delivery.subscription_id == subscription.id)
        .order_by(DistributionDay.day)
    )
    if state:
        query = query.where(Delivery.state == state)
    return list(db.session.scalars(query))


def installments_due(subscription: Subscription) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Installment.amount_cents), 0)).where(
            Installment.subscription_id == subscription.id, Installment.state != "cancelled"
        )
    )


def ledger_sum(subscription: Subscription, kind: str) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.subscription_id == subscription.id, LedgerEntry.kind == kind
        )
    )


def assert_books_balance(subscription: Subscription) -> None:
    """Installments still due = commitments − credits = the baskets still to pay, to the cent."""
    baskets = sum(
        delivery.price_cents * delivery.quantity
        for delivery in deliveries(subscription)
        if delivery.state != "cancelled" and delivery.postponed_to_id is None
    )
    committed = -ledger_sum(subscription, "commitment")
    credited = ledger_sum(subscription, "credit")
    assert committed - credited == baskets
    assert installments_due(subscription) == baskets


def cancel_day(season: Season, day: date) -> None:
    calendar.add_exception(
        season.schedule, occurrence_date=day, kind="cancelled", today=paris_today()
    )
    calendar_days.materialise_schedule(season.schedule, paris_today(), 8)
    db.session.commit()


# --- A season planned whole ----------------------------------------------------------------------


def test_publishing_plans_every_day_and_a_sign_up_covers_the_whole_season(app):
    season = build_season()
    last = db.session.scalar(
        select(func.max(DistributionDay.day)).where(
            DistributionDay.schedule_id == season.schedule.id
        )
    )
    assert last > paris_today() + timedelta(weeks=SEASON_WEEKS - 1)

    subscription = sign_up(season)

    expected = open_days(season)
    assert len(expected) >= SEASON_WEEKS - 1
    assert [d.distribution_day_id for d in deliveries(subscription)] == [d.id for d in expected]
    assert installments_due(subscription) == PRICE * len(expected)
    assert ledger_sum(subscription, "commitment") == -PRICE * len(expected)
    assert_books_balance(subscription)


def test_public_holidays_are_skipped_over_the_whole_season(app):
    season = build_season(rrule="FREQ=DAILY", skip_holidays=True)
    subscription = sign_up(season, plan="season")

    today, end = paris_today(), season.offer.season_ends_on
    holidays = {
        day: name
        for year in (today.year, end.year)
        for day, name in french_public_holidays(year).items()
        if today < day <= end
    }
    assert holidays, "thirty weeks always hold a public holiday"
    rows = {
        row.day: row
        for row in db.session.scalars(
            select(DistributionDay).where(DistributionDay.schedule_id == season.schedule.id)
        )
    }
    for day, name in holidays.items():
        assert rows[day].status == "cancelled"
        assert rows[day].note == f"Jour férié : {name}"
    delivered_days = {delivery.distribution_day.day for delivery in deliveries(subscription)}
    assert not delivered_days & set(holidays)
    assert_books_balance(subscription)


def test_an_exception_on_a_holiday_wins_over_skipping_it(app):
    season = build_season(rrule="FREQ=DAILY", skip_holidays=True)
    today = paris_today()
    holiday = min(
        day
        for year in (today.year, today.year + 1)
        for day in french_public_holidays(year)
        if day > today + timedelta(days=3)
    )
    calendar.add_exception(
        season.schedule,
        occurrence_date=holiday,
        kind="moved",
        moved_to=holiday,
        start_time=time(10, 0),
        end_time=time(11, 0),
        today=today,
    )
    calendar_days.materialise_schedule(season.schedule, today, 8)
    db.session.commit()
    row = db.session.scalar(
        select(DistributionDay).where(
            DistributionDay.schedule_id == season.schedule.id,
            DistributionDay.occurrence_date == holiday,
        )
    )
    assert row.status == "scheduled"


# --- The calendar changes after sign-up ----------------------------------------------------------


def test_a_day_cancelled_later_is_credited_and_lowers_the_installments(app):
    season = build_season()
    subscription = sign_up(season)
    target = open_days(season)[5]
    total_before = installments_due(subscription)

    cancel_day(season, target.day)

    delivery = next(d for d in deliveries(subscription) if d.distribution_day_id == target.id)
    assert delivery.state == "cancelled"
    assert ledger_sum(subscription, "credit") == PRICE
    assert installments_due(subscription) == total_before - PRICE
    assert balance_cents(season.member.id, season.offer.group_id) == -(total_before - PRICE)
    assert_books_balance(subscription)

    # Planning again (the nightly job) changes nothing.
    report = plan_seasons(utcnow())
    db.session.commit()
    assert not report.changed
    assert ledger_sum(subscription, "credit") == PRICE


def test_under_the_postpone_policy_the_next_delivery_carries_the_basket(app):
    season = build_season(policy="postpone")
    subscription = sign_up(season)
    first, second = open_days(season)[3:5]
    total_before = installments_due(subscription)

    cancel_day(season, first.day)

    by_day = {d.distribution_day_id: d for d in deliveries(subscription)}
    assert by_day[first.id].state == "cancelled"
    assert by_day[first.id].postponed_to_id == by_day[second.id].id
    assert by_day[second.id].quantity == 2
    assert installments_due(subscription) == total_before
    assert ledger_sum(subscription, "credit") == 0


def test_a_day_back_in_the_calendar_gets_its_basket_back(app):
    season = build_season()
    subscription = sign_up(season)
    target = open_days(season)[4]
    total_before = installments_due(subscription)
    cancel_day(season, target.day)

    exception = season.schedule.exceptions[0]
    calendar.remove_exception(exception, today=paris_today())
    calendar_days.materialise_schedule(season.schedule, paris_today(), 8)
    db.session.commit()

    delivery = next(d for d in deliveries(subscription) if d.distribution_day_id == target.id)
    assert delivery.state == "planned"
    assert installments_due(subscription) == total_before
    assert_books_balance(subscription)


def test_a_day_added_to_the_calendar_adds_a_delivery_an_installment_and_a_commitment(app):
    season = build_season()
    subscription = sign_up(season)
    count_before = len(deliveries(subscription))
    installments_before = db.session.scalar(
        select(func.count())
        .select_from(Installment)
        .where(Installment.subscription_id == subscription.id)
    )
    # A second weekly distribution at the same place: every Saturday of the season.
    saturdays = factories.DistributionScheduleFactory(
        pickup_point=season.schedule.pickup_point,
        rrule="FREQ=WEEKLY;BYDAY=SA",
        starts_on=paris_today(),
    )
    db.session.flush()
    result = calendar_days.materialise_schedule(saturdays, paris_today(), 8)
    db.session.commit()
    assert result.created >= SEASON_WEEKS - 1

    added = len(deliveries(subscription)) - count_before
    assert added == result.created - sum(
        1
        for day in db.session.scalars(
            select(DistributionDay).where(DistributionDay.schedule_id == saturdays.id)
        )
        if day.day > season.offer.season_ends_on or utcnow() >= day.order_closes_at
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Installment)
            .where(Installment.subscription_id == subscription.id)
        )
        > installments_before
    )
    assert_books_balance(subscription)


# --- Repairing seasons signed before they were planned whole --------------------------------------


def test_the_repair_command_completes_truncated_seasons_once(app):
    season = build_season()
    subscription = sign_up(season)
    full = len(deliveries(subscription))
    # A season as signed before: only the first eight weeks were ever delivered and billed.
    kept = deliveries(subscription)[:8]
    dropped = deliveries(subscription)[8:]
    for delivery in dropped:
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
            amount_cents=PRICE * len(kept),
        )
    )
    entry = db.session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.subscription_id == subscription.id, LedgerEntry.kind == "commitment"
        )
    )
    entry.amount_cents = -PRICE * len(kept)
    db.session.commit()

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["seasons", "repair", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "rien n'a été enregistré" in dry.output
    assert len(deliveries(subscription)) == len(kept)

    result = runner.invoke(args=["seasons", "repair"])
    assert result.exit_code == 0, result.output
    assert f"{full - len(kept)} livraison(s) ajoutée(s)" in result.output
    db.session.expire_all()
    assert len(deliveries(subscription)) == full
    assert_books_balance(subscription)

    again = runner.invoke(args=["seasons", "repair"])
    assert "0 livraison(s) ajoutée(s)" in again.output
    assert len(deliveries(subscription)) == full


def test_the_nightly_job_plans_seasons_once_per_day(app):
    from marketplace.jobs import load_jobs
    from marketplace.scheduler.registry import registry
    from marketplace.scheduler.runner import run_period

    load_jobs()
    job = registry.get("plan_seasons")
    season = build_season()
    subscription = sign_up(season)
    victim = deliveries(subscription)[-1]
    db.session.delete(victim)
    db.session.commit()

    now = utcnow()
    first = run_period(job, job.cadence.period_of(now), now)
    db.session.commit()
    second = run_period(job, job.cadence.period_of(now), now)
    db.session.expire_all()
    assert first.outcome == "succeeded", first.summary
    assert "1 livraison(s) ajoutée(s)" in first.summary
    assert second.outcome == "skipped"  # the period was already done: nothing runs twice
    assert len(deliveries(subscription)) == len(open_days(season))


# --- The contract's setting, from the coordinators' form -----------------------------------------


def offer_data(offer: BasketOffer, **changes) -> offers.OfferData:
    """The offer's own values as the coordinators' form would send them, with `changes`."""
    values = dict(
        producer_id=offer.producer_id,
        name=offer.name,
        description="",
        season_starts_on=offer.season_starts_on,
        season_ends_on=offer.season_ends_on,
        frequency="weekly",
        signup_opens_at=offer.signup_opens_at,
        signup_closes_at=offer.signup_closes_at,
        max_absences=2,
        absence_policy="credit",
        plans=frozenset({"season"}),
        methods=frozenset({"cheque"}),
    )
    return offers.OfferData(**(values | changes))


@pytest.mark.parametrize("value", ["credit", "postpone"])
def test_coordinators_choose_what_becomes_of_a_cancelled_days_basket(app, value):
    offer = factories.BasketOfferFactory(status="draft")
    group = offer.group
    data = offer_data(offer, cancelled_day_policy=value)
    offers.update_offer(offer, data)
    db.session.commit()
    assert db.session.get(BasketOffer, offer.id).cancelled_day_policy == value
    assert group is not None


def test_an_unknown_cancelled_day_policy_is_refused(app):
    from marketplace.errors import DomainError

    offer = factories.BasketOfferFactory(status="draft")
    db.session.commit()
    data = offer_data(offer, cancelled_day_policy="forget")
    with pytest.raises(DomainError) as error:
        offers.update_offer(offer, data)
    assert error.value.field == "cancelled_day_policy"
    db.session.rollback()
    assert db.session.get(BasketOffer, offer.id).cancelled_day_policy == "credit"


def test_a_sign_up_plans_a_calendar_that_stops_short_of_the_season(app):
    """A contract published before seasons were planned whole: its days stop at the horizon."""
    season = build_season()
    horizon = paris_today() + timedelta(weeks=8)
    for day in db.session.scalars(select(DistributionDay).where(DistributionDay.day > horizon)):
        db.session.delete(day)
    db.session.commit()

    subscription = sign_up(season)

    assert len(deliveries(subscription)) == len(open_days(season)) >= SEASON_WEEKS - 1
    assert_books_balance(subscription)
