"""Granting or refusing a reduced tier: exact re-pricing, the fund, and nothing done twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.baskets import tiers
from marketplace.baskets.models import Delivery, Subscription
from marketplace.baskets.subscribing import subscribe
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.fund import fund_balance_cents
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import FundMovement, Installment, LedgerEntry
from tests import factories
from tests.baskets.test_subscribing import NOW, build_scenario, choices


def reduced_subscription(scenario, **overrides) -> Subscription:
    subscription = subscribe(
        scenario.offer,
        scenario.member,
        **choices(scenario, tier=scenario.solidaire, **overrides),
    )
    db.session.commit()
    return subscription


def fill_fund(scenario, cents: int) -> None:
    factories.FundMovementFactory(group_id=scenario.offer.group_id, amount_cents=cents)
    db.session.commit()


def deliveries_total(subscription) -> int:
    return db.session.scalar(
        select(func.sum(Delivery.price_cents * Delivery.quantity)).where(
            Delivery.subscription_id == subscription.id
        )
    )


def installments_of(subscription) -> list[Installment]:
    return list(
        db.session.scalars(
            select(Installment)
            .where(Installment.subscription_id == subscription.id)
            .order_by(Installment.sequence)
        )
    )


def open_total(subscription) -> int:
    return sum(i.amount_cents for i in installments_of(subscription) if i.state != "cancelled")


def snapshot(subscription) -> dict:
    db.session.expire_all()
    return {
        "tier_status": db.session.get(Subscription, subscription.id).tier_status,
        "deliveries": deliveries_total(subscription),
        "installments": [(i.amount_cents, i.state) for i in installments_of(subscription)],
        "ledger": db.session.scalar(select(func.count(LedgerEntry.id))),
        "fund": db.session.scalar(select(func.count(FundMovement.id))),
    }


def test_approval_reprices_deliveries_installments_and_ledger_to_the_cent(app):
    scenario = build_scenario()
    subscription = reduced_subscription(scenario)
    fill_fund(scenario, 10000)
    group, user = scenario.offer.group, scenario.member
    assert balance_cents(user.id, group.id) == -15000

    decision = tiers.approve(group, subscription.id, NOW)
    db.session.commit()

    # 10 baskets still to come, from 15,00 € to 7,50 €.
    assert (decision.approved, decision.difference_cents, decision.price_cents) == (
        True,
        7500,
        750,
    )
    assert subscription.tier_status == "approved"
    assert {d.price_cents for d in subscription.deliveries} == {750}
    assert deliveries_total(subscription) == 7500
    assert open_total(subscription) == 7500
    assert balance_cents(user.id, group.id) == -7500 == -deliveries_total(subscription)
    [credit] = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "credit")).all()
    assert credit.amount_cents == 7500
    assert credit.label == f"Tarif solidaire accordé — {scenario.offer.name}"
    assert (credit.subscription_id, credit.offer_id) == (subscription.id, scenario.offer.id)
    [support] = db.session.scalars(
        select(FundMovement).where(FundMovement.kind == "tier_support")
    ).all()
    assert (support.amount_cents, support.ledger_entry_id) == (-7500, credit.id)
    assert fund_balance_cents(group.id) == 2500


def test_installments_are_lowered_from_the_last_and_paid_ones_stay(app):
    scenario = build_scenario(weeks=30)
    subscription = reduced_subscription(scenario, plan="monthly")
    before = installments_of(subscription)
    before[0].state, before[0].paid_at = "paid", NOW
    db.session.commit()
    fill_fund(scenario, 100_000)
    amounts = [i.amount_cents for i in before]

    decision = tiers.approve(scenario.offer.group, subscription.id, NOW)
    db.session.commit()

    after = installments_of(subscription)
    assert decision.difference_cents == 28 * 750
    # The paid one is untouched; the others drop by the difference, the last ones first.
    assert (after[0].amount_cents, after[0].state) == (amounts[0], "paid")
    unpaid_before = sum(amounts[1:])
    assert open_total(subscription) - after[0].amount_cents == unpaid_before - 28 * 750
    cancelled = [i for i in after if i.state == "cancelled"]
    assert cancelled and cancelled[-1].sequence == after[-1].sequence
    kept = [i for i in after[1:] if i.state == "planned"]
    assert all(i.amount_cents == a for i, a in zip(kept[:-1], amounts[1:], strict=False))
    # The ledger and the deliveries agree.
    user, group = scenario.member, scenario.offer.group
    assert balance_cents(user.id, group.id) == -15000 * 28 // 10 + 28 * 750
    assert deliveries_total(subscription) == 28 * 750


def test_only_planned_baskets_still_to_come_are_repriced(app):
    scenario = build_scenario()
    scenario.small.price_cents = 1555
    db.session.commit()
    subscription = reduced_subscription(scenario, plan="season")
    deliveries = sorted(subscription.deliveries, key=lambda d: d.distribution_day.day)
    deliveries[3].state = "absent"
    db.session.commit()
    fill_fund(scenario, 100_000)
    later = deliveries[1].distribution_day.starts_at + timedelta(minutes=1)

    decision = tiers.approve(scenario.offer.group, subscription.id, later)
    db.session.commit()

    # 1555 × 50 % = 777,5 → 778 (half up); two started, one absent: 7 re-priced.
    assert decision.difference_cents == 7 * (1555 - 778)
    prices = [d.price_cents for d in deliveries]
    assert prices[:2] == [1555, 1555] and prices[3] == 1555
    assert set(prices[2:3] + prices[4:]) == {778}
    assert open_total(subscription) == 10 * 1555 - 7 * 777
    assert balance_cents(scenario.member.id, scenario.offer.group_id) == -(10 * 1555 - 7 * 777)


def test_a_fund_too_small_refuses_and_changes_nothing(app):
    scenario = build_scenario()
    subscription = reduced_subscription(scenario)
    fill_fund(scenario, 1000)
    before = snapshot(subscription)

    with pytest.raises(DomainError) as refused:
        tiers.approve(scenario.offer.group, subscription.id, NOW)
    db.session.rollback()

    assert refused.value.message == (
        "Le fonds de solidarité ne couvre pas cette différence : il faut 75,00\xa0€, le fonds a "
        "10,00\xa0€, il manque 65,00\xa0€. Vous pouvez accorder le tarif en faisant prendre en "
        "charge ce qui manque par le groupe, ou attendre de nouveaux dons au fonds."
    )
    assert snapshot(subscription) == before
    assert before["tier_status"] == "pending"


def test_the_group_may_bear_what_the_fund_lacks_recorded_in_the_fund(app):
    scenario = build_scenario()
    subscription = reduced_subscription(scenario)
    fill_fund(scenario, 1000)
    group, user = scenario.offer.group, scenario.member

    decision = tiers.approve(group, subscription.id, NOW, group_covers_shortfall=True)
    db.session.commit()

    assert (decision.approved, decision.difference_cents) == (True, 7500)
    [share] = db.session.scalars(
        select(FundMovement).where(FundMovement.kind == "adjustment")
    ).all()
    assert share.amount_cents == 6500
    assert share.label == (
        f"Part du tarif solidaire prise en charge par le groupe — {scenario.offer.name}"
    )
    assert share.user_id is None  # who was helped stays off the group's share
    assert fund_balance_cents(group.id) == 0
    assert balance_cents(user.id, group.id) == -7500  # the household's statement: credited


def test_refusing_keeps_the_standard_price(app):
    scenario = build_scenario()
    subscription = reduced_subscription(scenario)
    before = snapshot(subscription)

    decision = tiers.refuse(scenario.offer.group, subscription.id)
    db.session.commit()

    assert not decision.approved
    assert snapshot(subscription) == {**before, "tier_status": "refused"}
    assert balance_cents(scenario.member.id, scenario.offer.group_id) == -15000


@pytest.mark.parametrize("second", ["approve", "refuse"])
def test_a_decision_is_never_taken_twice(app, second):
    scenario = build_scenario()
    subscription = reduced_subscription(scenario)
    fill_fund(scenario, 10000)
    tiers.approve(scenario.offer.group, subscription.id, NOW)
    db.session.commit()
    after_first = snapshot(subscription)

    with pytest.raises(DomainError, match="déjà été traitée"):
        if second == "approve":
            tiers.approve(scenario.offer.group, subscription.id, NOW)
        else:
            tiers.refuse(scenario.offer.group, subscription.id)
    db.session.rollback()
    assert snapshot(subscription) == after_first
    assert fund_balance_cents(scenario.offer.group_id) == 2500


def test_another_groups_request_is_not_found(app):
    scenario = build_scenario()
    subscription = reduced_subscription(scenario)
    other_group = factories.GroupFactory()
    db.session.commit()
    with pytest.raises(DomainError, match="n'existe pas dans ce groupe"):
        tiers.approve(other_group, subscription.id, NOW)
    db.session.rollback()
    assert snapshot(subscription)["tier_status"] == "pending"


def test_pending_requests_show_their_cost(app):
    scenario = build_scenario()
    subscription = reduced_subscription(scenario)
    standard_member = factories.UserFactory()
    factories.MembershipFactory(user=standard_member, organisation=scenario.offer.group)
    db.session.commit()
    subscribe(scenario.offer, standard_member, **choices(scenario))
    db.session.commit()

    [request] = tiers.pending_requests(scenario.offer.group, NOW)
    assert request.subscription.id == subscription.id
    assert (request.remaining_baskets, request.difference_cents) == (10, 7500)
    assert request.requested_price_cents == 750
    assert tiers.recent_decisions(scenario.offer.group) == []


def test_the_producer_still_sees_the_full_price_after_an_approved_reduced_tier(app):
    """The fund makes up the difference: committed, received and delivered stay at full price."""
    from marketplace.baskets.prefinancing import producer_statement

    scenario = build_scenario()
    subscription = reduced_subscription(scenario)
    fill_fund(scenario, 10000)
    tiers.approve(scenario.offer.group, subscription.id, NOW)
    db.session.commit()
    # The household pays its share (7,50 € × 10) by cheque, received.
    factories.LedgerEntryFactory(
        user=scenario.member,
        group_id=scenario.offer.group_id,
        kind="payment",
        amount_cents=7500,
        offer_id=scenario.offer.id,
        subscription_id=subscription.id,
        label="Chèque",
    )
    db.session.commit()

    # Every basket delivered: the producer's valuation is the standard price.
    [figures] = producer_statement(scenario.offer.producer_id, now=NOW + timedelta(days=400)).offers

    assert figures.committed_cents == 15000
    assert figures.received_cents == 7500 + 7500  # the household's payment, then the fund's
    assert figures.still_due_cents == 0
    assert figures.delivered_cents == 15000
