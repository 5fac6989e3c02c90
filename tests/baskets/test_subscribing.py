"""Subscribing to a basket offer: the rows a confirmed sign-up writes, and every refusal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    PriceTier,
    Subscription,
)
from marketplace.baskets.subscribing import subscribe, subscription_preview
from marketplace.delivery.models import DistributionDay, PickupPoint
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import Installment, LedgerEntry
from marketplace.timezones import local_instant, paris_today
from tests import factories

NOW = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)


@dataclass
class Scenario:
    offer: BasketOffer
    point: PickupPoint
    small: BasketSize
    large: BasketSize
    solidaire: PriceTier
    standard: PriceTier
    soutien: PriceTier
    days: list[DistributionDay]
    member: User


def build_scenario(
    now: datetime = NOW, *, weeks: int = 12, frequency: str = "weekly", capacity: int | None = 40
) -> Scenario:
    """A weekly distribution from 11 days before `now` (two closed order windows), an offer
    covering exactly those weeks, two sizes, three tiers and one member of the group."""
    first_day = paris_today(now) - timedelta(days=11)
    offer = factories.BasketOfferFactory(
        season_starts_on=first_day,
        season_ends_on=first_day + timedelta(weeks=weeks - 1),
        frequency=frequency,
        signup_opens_at=now - timedelta(days=30),
        signup_closes_at=now + timedelta(days=60),
    )
    point = factories.PickupPointFactory(group=offer.group, name="Préau de l'école Jean-Macé")
    schedule = factories.DistributionScheduleFactory(pickup_point=point, starts_on=first_day)
    days = [
        factories.DistributionDayFactory(
            schedule=schedule, occurrence_date=first_day + timedelta(weeks=week)
        )
        for week in range(weeks)
    ]
    small = factories.BasketSizeFactory(
        offer=offer, name="Petit", price_cents=1500, capacity=capacity, position=1
    )
    large = factories.BasketSizeFactory(offer=offer, name="Grand", price_cents=2550, position=2)
    tiers = [
        factories.PriceTierFactory(offer=offer, name=name, percent=percent, position=index)
        for index, (name, percent) in enumerate(
            [("Solidaire", 50), ("Standard", 100), ("Soutien", 120)]
        )
    ]
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=offer.group, role="member")
    db.session.commit()
    return Scenario(offer, point, small, large, *tiers, days, member)


def choices(scenario: Scenario, **overrides) -> dict:
    values = dict(
        size=scenario.small,
        pickup_point=scenario.point,
        tier=scenario.standard,
        plan="monthly",
        method="cheque",
        now=NOW,
    )
    return {**values, **overrides}


def new_member(scenario: Scenario) -> User:
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, organisation=scenario.offer.group, role="member")
    db.session.commit()
    return user


def counts() -> dict[str, int]:
    models = {
        "subscriptions": Subscription,
        "deliveries": Delivery,
        "installments": Installment,
        "ledger": LedgerEntry,
    }
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in models.items()
    }


# --- Happy paths ---------------------------------------------------------------------------------


def test_weekly_subscription_writes_deliveries_installments_and_one_commitment(app):
    scenario = build_scenario()
    subscription = subscribe(scenario.offer, scenario.member, **choices(scenario))
    db.session.commit()

    assert subscription.status == "active"
    assert subscription.tier_status == "approved"
    assert (subscription.payment_plan, subscription.payment_method) == ("monthly", "cheque")
    deliveries = db.session.scalars(
        select(Delivery).where(Delivery.subscription_id == subscription.id)
    ).all()
    # 12 weekly days, the first two order windows already closed.
    assert sorted(d.distribution_day_id for d in deliveries) == [d.id for d in scenario.days[2:]]
    assert {(d.price_cents, d.quantity, d.state, d.size_id) for d in deliveries} == {
        (1500, 1, "planned", scenario.small.id)
    }
    installments = db.session.scalars(
        select(Installment).where(Installment.subscription_id == subscription.id)
    ).all()
    assert sum(item.amount_cents for item in installments) == 10 * 1500
    assert {item.state for item in installments} == {"planned"}
    assert installments[0].due_on == paris_today(NOW)  # this month's installment: on signing

    [entry] = db.session.scalars(select(LedgerEntry)).all()
    assert (entry.kind, entry.amount_cents) == ("commitment", -15000)
    assert (entry.offer_id, entry.subscription_id) == (scenario.offer.id, subscription.id)
    assert entry.label == f"{scenario.offer.name} — saison 2026, 10 livraisons"
    assert entry.occurred_on == paris_today(NOW)
    assert balance_cents(scenario.member.id, scenario.offer.group_id) == -15000


def test_fortnightly_subscription_gets_every_other_week(app):
    scenario = build_scenario(frequency="fortnightly")
    subscription = subscribe(scenario.offer, scenario.member, **choices(scenario, plan="season"))
    db.session.commit()

    day_ids = [delivery.distribution_day_id for delivery in subscription.deliveries]
    # Weeks 0, 2, 4... of the season; week 0 closed already.
    assert sorted(day_ids) == [day.id for day in scenario.days[2::2]]
    [installment] = db.session.scalars(select(Installment)).all()
    assert installment.amount_cents == 5 * 1500
    assert installment.due_on == paris_today(NOW)


def test_a_later_sign_up_is_prorated_to_the_remaining_deliveries(app):
    scenario = build_scenario()
    early = subscribe(scenario.offer, scenario.member, **choices(scenario))
    later_member = new_member(scenario)
    later = subscribe(
        scenario.offer, later_member, **choices(scenario, now=NOW + timedelta(days=7))
    )
    db.session.commit()

    assert len(early.deliveries) == 10
    assert len(later.deliveries) == 9
    assert balance_cents(scenario.member.id, scenario.offer.group_id) == -15000
    assert balance_cents(later_member.id, scenario.offer.group_id) == -13500


def test_supporting_tier_is_approved_at_once_and_rounded_half_up(app):
    scenario = build_scenario()
    scenario.large.price_cents = 1550
    db.session.commit()
    subscription = subscribe(
        scenario.offer,
        scenario.member,
        **choices(scenario, size=scenario.large, tier=scenario.soutien, plan="season"),
    )
    db.session.commit()
    assert subscription.tier_status == "approved"
    assert {delivery.price_cents for delivery in subscription.deliveries} == {1860}
    assert balance_cents(scenario.member.id, scenario.offer.group_id) == -18600


def test_reduced_tier_waits_for_approval_and_the_standard_price_applies(app):
    scenario = build_scenario()
    preview = subscription_preview(
        scenario.offer, scenario.member, **choices(scenario, tier=scenario.solidaire)
    )
    assert preview.tier_pending
    assert (preview.requested_price_cents, preview.price_per_delivery_cents) == (750, 1500)

    subscription = subscribe(
        scenario.offer, scenario.member, **choices(scenario, tier=scenario.solidaire)
    )
    db.session.commit()
    assert subscription.tier_status == "pending"
    assert {delivery.price_cents for delivery in subscription.deliveries} == {1500}
    assert balance_cents(scenario.member.id, scenario.offer.group_id) == -15000


@pytest.mark.parametrize("plan", ["season", "monthly"])
def test_commitment_equals_minus_the_deliveries_and_the_installments(app, plan):
    scenario = build_scenario(weeks=30)
    subscription = subscribe(
        scenario.offer, scenario.member, **choices(scenario, tier=scenario.soutien, plan=plan)
    )
    db.session.commit()
    deliveries_total = db.session.scalar(
        select(func.sum(Delivery.price_cents * Delivery.quantity)).where(
            Delivery.subscription_id == subscription.id
        )
    )
    installments_total = db.session.scalar(
        select(func.sum(Installment.amount_cents)).where(
            Installment.subscription_id == subscription.id
        )
    )
    [entry] = db.session.scalars(select(LedgerEntry)).all()
    assert deliveries_total == installments_total == -entry.amount_cents == 28 * 1800


def test_preview_shows_the_season_and_saves_nothing(app):
    scenario = build_scenario()
    preview = subscription_preview(
        scenario.offer, scenario.member, **choices(scenario, size=scenario.large)
    )
    assert [day.id for day in preview.days] == [day.id for day in scenario.days[2:]]
    assert (preview.price_per_delivery_cents, preview.delivery_count) == (2550, 10)
    assert preview.total_cents == 25500
    assert sum(item.amount_cents for item in preview.installments) == 25500
    db.session.commit()
    assert counts() == {"subscriptions": 0, "deliveries": 0, "installments": 0, "ledger": 0}


def test_a_subscription_cannot_hold_the_same_day_twice(app):
    scenario = build_scenario()
    subscription = subscribe(scenario.offer, scenario.member, **choices(scenario))
    db.session.commit()
    db.session.add(
        Delivery(
            subscription_id=subscription.id,
            distribution_day_id=scenario.days[5].id,
            size_id=scenario.small.id,
            quantity=1,
            price_cents=1500,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_cancelled_days_and_days_at_other_pickup_points_are_not_delivered(app):
    scenario = build_scenario()
    scenario.days[4].status = "cancelled"
    other_point = factories.PickupPointFactory(group=scenario.offer.group)
    factories.DistributionDayFactory(
        schedule=factories.DistributionScheduleFactory(pickup_point=other_point),
        occurrence_date=scenario.days[5].day,
    )
    db.session.commit()
    subscription = subscribe(scenario.offer, scenario.member, **choices(scenario))
    db.session.commit()
    expected = [day.id for index, day in enumerate(scenario.days) if index >= 2 and index != 4]
    assert sorted(d.distribution_day_id for d in subscription.deliveries) == expected


# --- Refusals: a clear message and nothing saved -------------------------------------------------


def other_offer_scenario() -> Scenario:
    return build_scenario()


def after_the_last_order_window(scenario: Scenario) -> dict:
    """Sign-up still open, but every distribution's order window has closed."""
    scenario.offer.signup_closes_at = NOW + timedelta(days=365)
    return choices(scenario, now=local_instant(scenario.days[-1].day, time(12, 0)))


REFUSALS = {
    "window_closed": (
        lambda s: choices(s, now=s.offer.signup_closes_at),
        "Les inscriptions à ce contrat sont fermées.",
    ),
    "window_not_open": (
        lambda s: choices(s, now=s.offer.signup_opens_at - timedelta(seconds=1)),
        "Les inscriptions à ce contrat sont fermées.",
    ),
    "size_of_another_offer": (
        lambda s: choices(s, size=other_offer_scenario().small),
        "Choisissez une taille de panier de ce contrat.",
    ),
    "no_size": (lambda s: choices(s, size=None), "Choisissez une taille de panier de ce contrat."),
    "tier_of_another_offer": (
        lambda s: choices(s, tier=other_offer_scenario().standard),
        "Choisissez un tarif de ce contrat.",
    ),
    "pickup_point_of_another_group": (
        lambda s: choices(s, pickup_point=other_offer_scenario().point),
        "Choisissez un lieu de distribution de ce groupe.",
    ),
    "plan_not_allowed": (
        lambda s: choices(s, plan="per_delivery"),
        "Cet échéancier n'est pas proposé pour ce contrat.",
    ),
    "unknown_plan": (
        lambda s: choices(s, plan="yearly"),
        "Cet échéancier n'est pas proposé pour ce contrat.",
    ),
    "method_not_allowed": (
        lambda s: choices(s, method="cash"),
        "Ce moyen de paiement n'est pas proposé pour ce contrat.",
    ),
    "no_remaining_delivery": (
        after_the_last_order_window,
        "Il ne reste aucune distribution à venir pour ce contrat à ce lieu.",
    ),
}


@pytest.mark.parametrize("operation", [subscribe, subscription_preview])
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_bad_choices_are_refused_with_a_clear_message_and_nothing_saved(app, case, operation):
    scenario = build_scenario()
    arguments = REFUSALS[case][0](scenario)
    db.session.commit()
    before = counts()
    with pytest.raises(DomainError) as refused:
        operation(scenario.offer, scenario.member, **arguments)
    db.session.rollback()
    assert refused.value.message == REFUSALS[case][1]
    assert (
        counts()
        == before
        == {
            "subscriptions": 0,
            "deliveries": 0,
            "installments": 0,
            "ledger": 0,
        }
    )


def test_draft_or_archived_offers_take_no_sign_up(app):
    scenario = build_scenario()
    for status in ("draft", "archived"):
        scenario.offer.status = status
        db.session.commit()
        with pytest.raises(DomainError, match="Les inscriptions à ce contrat sont fermées."):
            subscribe(scenario.offer, scenario.member, **choices(scenario))
        db.session.rollback()
    assert counts()["subscriptions"] == 0


def test_only_members_of_the_group_may_subscribe(app):
    scenario = build_scenario()
    outsider = factories.UserFactory()
    coordinator_only = factories.UserFactory()
    factories.MembershipFactory(
        user=coordinator_only, organisation=scenario.offer.group, role="coordinator"
    )
    elsewhere = factories.UserFactory()
    factories.MembershipFactory(user=elsewhere, organisation=factories.GroupFactory())
    db.session.commit()
    for person in (outsider, coordinator_only, elsewhere):
        with pytest.raises(DomainError, match="Seul·es les adhérent·es de"):
            subscribe(scenario.offer, person, **choices(scenario))
        db.session.rollback()
    assert counts()["subscriptions"] == 0


def test_a_closed_pickup_point_is_refused(app):
    scenario = build_scenario()
    scenario.point.active = False
    db.session.commit()
    with pytest.raises(DomainError, match="Choisissez un lieu de distribution de ce groupe."):
        subscribe(scenario.offer, scenario.member, **choices(scenario))
    db.session.rollback()
    assert counts()["subscriptions"] == 0


def test_subscribing_twice_is_refused(app):
    scenario = build_scenario()
    subscribe(scenario.offer, scenario.member, **choices(scenario))
    db.session.commit()
    before = counts()
    with pytest.raises(DomainError) as refused:
        subscribe(scenario.offer, scenario.member, **choices(scenario, size=scenario.large))
    db.session.rollback()
    assert refused.value.message == "Vous êtes déjà inscrit·e à ce contrat."
    assert counts() == before


def test_a_cancelled_subscription_may_be_followed_by_a_new_one(app):
    scenario = build_scenario()
    first = subscribe(scenario.offer, scenario.member, **choices(scenario))
    db.session.commit()
    first.status, first.cancelled_at = "cancelled", NOW
    db.session.commit()
    second = subscribe(scenario.offer, scenario.member, **choices(scenario))
    db.session.commit()
    assert second.id != first.id and second.status == "active"


def test_a_full_size_is_refused_and_cancelled_places_free_up(app):
    scenario = build_scenario(capacity=1)
    first = subscribe(scenario.offer, scenario.member, **choices(scenario))
    db.session.commit()
    latecomer = new_member(scenario)
    before = counts()
    for operation in (subscription_preview, subscribe):
        with pytest.raises(DomainError) as refused:
            operation(scenario.offer, latecomer, **choices(scenario))
        db.session.rollback()
        assert (refused.value.message, refused.value.field) == ("Ce panier est complet.", "size_id")
    assert counts() == before
    # Another size still has room.
    subscribe(scenario.offer, latecomer, **choices(scenario, size=scenario.large))
    db.session.commit()

    first.status, first.cancelled_at = "cancelled", NOW
    db.session.commit()
    third = new_member(scenario)
    subscribe(scenario.offer, third, **choices(scenario))
    db.session.commit()
    assert counts()["subscriptions"] == 3
