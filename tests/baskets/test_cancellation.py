"""Cancelling a subscription: with notice by the household, refused under a season commitment,
and decided by a coordinator; credit, installments and balance exact to the cent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.baskets.cancellation import cancel_by_household, cancellation_plan
from marketplace.baskets.models import Delivery, Subscription
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.credits import household_credit_cents
from marketplace.payments.ledger import balance_cents, book_entry
from marketplace.payments.models import EntryKind, Installment, LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.baskets.test_subscribing import build_scenario
from tests.baskets.test_waiting_list import member_of, sign_up
from tests.organisations.pages import page_text


@pytest.fixture
def scenario(app):
    built = build_scenario(utcnow(), weeks=16)
    built.offer.cancellation_policy = "with_notice"
    built.offer.notice_days = 14
    db.session.commit()
    return built


def monthly_subscription(scenario, tier=None) -> Subscription:
    from marketplace.baskets.subscribing import subscribe

    subscription = subscribe(
        scenario.offer,
        scenario.member,
        scenario.large,
        scenario.point,
        tier or scenario.soutien,
        "monthly",
        "cheque",
        utcnow(),
    )
    db.session.commit()
    return subscription


def pay_first_installment(subscription: Subscription) -> int:
    first = db.session.scalar(
        select(Installment)
        .where(Installment.subscription_id == subscription.id)
        .order_by(Installment.sequence)
    )
    first.state, first.paid_at = "paid", utcnow()
    book_entry(
        user_id=subscription.user_id,
        group_id=subscription.group_id,
        kind=EntryKind.PAYMENT,
        amount_cents=first.amount_cents,
        occurred_on=paris_today(),
        label="Chèque",
        subscription_id=subscription.id,
        installment_id=first.id,
    )
    db.session.commit()
    return first.amount_cents


def installments(subscription: Subscription) -> list[Installment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Installment)
            .where(Installment.subscription_id == subscription.id)
            .order_by(Installment.sequence)
        )
    )


def delivery_count(subscription: Subscription) -> int:
    return db.session.scalar(
        select(func.count(Delivery.id)).where(Delivery.subscription_id == subscription.id)
    )


def test_cancelling_with_notice_credits_the_deliveries_after_the_notice_exactly(scenario):
    subscription = monthly_subscription(scenario)  # Grand at 120 %: 30,60 € a delivery
    price = 3060
    total = sum(item.amount_cents for item in installments(subscription))
    paid = pay_first_installment(subscription)
    before = {item.id: item.amount_cents for item in installments(subscription)}
    deliveries_before = delivery_count(subscription)
    now = utcnow()
    expected_dropped = [
        delivery
        for delivery in subscription.deliveries
        if delivery.distribution_day.starts_at > now + timedelta(days=14)
    ]
    assert expected_dropped  # the season runs well past the notice

    plan = cancel_by_household(subscription, now)
    db.session.commit()

    credit = price * len(expected_dropped)
    assert plan.credit_cents == credit
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "credit"))
    assert entry.amount_cents == credit
    assert entry.label == f"Résiliation — {len(expected_dropped)} livraisons non dues"
    assert db.session.get(Subscription, subscription.id).status == "cancelled"
    assert db.session.get(Subscription, subscription.id).cancelled_at is not None
    assert delivery_count(subscription) == deliveries_before - len(expected_dropped)

    after = installments(subscription)
    due = [item for item in after if item.state != "cancelled"]
    stays_due = total - credit
    # Installments still due add up to what stays due, unless the paid one already exceeds
    # it: a paid installment is never touched, the excess is the household's credit.
    assert sum(item.amount_cents for item in due) == max(stays_due, paid)
    overpaid = max(0, paid - stays_due)
    assert plan.overpaid_cents == overpaid
    assert household_credit_cents(subscription.user_id, subscription.group_id) == overpaid
    if overpaid:
        assert [item.state for item in due] == ["paid"]
    # Whole installments cancelled from the end, at most one reduced partly, paid ones intact.
    changed = [item for item in due if item.amount_cents != before[item.id]]
    assert len(changed) <= 1
    assert after[0].state == "paid" and after[0].amount_cents == before[after[0].id]
    cancelled = [item.sequence for item in after if item.state == "cancelled"]
    assert cancelled == list(range(len(after) - len(cancelled) + 1, len(after) + 1))
    # The household's balance is what it paid minus what stays due, to the cent: positive
    # (its credit) when it paid more.
    assert balance_cents(subscription.user_id, subscription.group_id) == paid - stays_due


def test_deliveries_within_the_notice_stay_due(scenario):
    subscription = monthly_subscription(scenario)
    now = utcnow()
    kept = [
        delivery.id
        for delivery in subscription.deliveries
        if delivery.distribution_day.starts_at <= now + timedelta(days=14)
    ]
    cancel_by_household(subscription, now)
    db.session.commit()
    remaining = db.session.scalars(
        select(Delivery.id).where(Delivery.subscription_id == subscription.id)
    ).all()
    assert sorted(remaining) == sorted(kept)
    assert all(db.session.get(Delivery, id_).state == "planned" for id_ in remaining)


def test_a_season_commitment_cannot_be_cancelled_by_the_household(scenario, client, login):
    scenario.offer.cancellation_policy = "season_commitment"
    db.session.commit()
    subscription = monthly_subscription(scenario)
    with pytest.raises(DomainError, match="toute la saison"):
        cancel_by_household(subscription, utcnow())
    db.session.rollback()

    login(scenario.member)
    page = page_text(client.get(f"/contrats/{subscription.id}"))
    assert "Ce contrat vous engage pour toute la saison" in page
    assert "Résilier mon contrat" not in page
    response = client.post(f"/contrats/{subscription.id}/annuler")
    assert response.status_code == 302
    assert db.session.get(Subscription, subscription.id).status == "active"
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 1  # the commitment only


def test_the_household_cancels_from_its_page(scenario, client, login):
    subscription = monthly_subscription(scenario)
    login(scenario.member)
    page = page_text(client.get(f"/contrats/{subscription.id}"))
    assert "Résilier mon contrat" in page

    page = page_text(client.get(f"/contrats/{subscription.id}/annuler"))
    assert "Montant crédité" in page and "Confirmer la résiliation" in page
    assert db.session.get(Subscription, subscription.id).status == "active"  # GET changes nothing

    response = client.post(f"/contrats/{subscription.id}/annuler", follow_redirects=True)
    assert "Le contrat est résilié." in page_text(response)
    assert "Cette inscription est annulée." in page_text(response)
    db.session.expire_all()
    assert db.session.get(Subscription, subscription.id).status == "cancelled"


def test_cancelling_twice_books_a_single_credit(scenario):
    subscription = monthly_subscription(scenario)
    cancel_by_household(subscription, utcnow())
    db.session.commit()
    with pytest.raises(DomainError, match="déjà résilié"):
        cancel_by_household(subscription, utcnow())
    db.session.rollback()
    assert (
        db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "credit"))
        == 1
    )


def test_another_household_cannot_cancel(scenario, client, login):
    subscription = monthly_subscription(scenario)
    login(member_of(scenario, "Foyer Voisin"))
    assert client.get(f"/contrats/{subscription.id}/annuler").status_code == 404
    assert client.post(f"/contrats/{subscription.id}/annuler").status_code == 404
    assert db.session.get(Subscription, subscription.id).status == "active"


def test_a_coordinator_cancels_whatever_the_policy_and_the_place_goes_to_the_waiting_list(
    app, client, user_with_role, outbox
):
    scenario = build_scenario(utcnow(), capacity=1)  # season commitment by default
    holder = sign_up(scenario, scenario.member)
    waiting = member_of(scenario, "Foyer Bernard")
    from marketplace.baskets import waiting_list

    waiting_list.join(scenario.offer, waiting, scenario.small, utcnow())
    db.session.commit()
    user_with_role("coordinator", scenario.offer.group)
    url = f"/groupes/{scenario.offer.group.slug}/gestion/contrats/{holder.id}/annuler"

    assert "Confirmer la résiliation" in page_text(client.get(url))
    response = client.post(url)

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Subscription, holder.id).status == "cancelled"
    assert [message["To"] for message in outbox] == [waiting.email]


def test_a_member_cannot_use_the_coordinator_route(scenario, client, login, user_with_role):
    subscription = monthly_subscription(scenario)
    user_with_role("member", scenario.offer.group)
    url = f"/groupes/{scenario.offer.group.slug}/gestion/contrats/{subscription.id}/annuler"
    assert client.post(url).status_code == 403
    assert db.session.get(Subscription, subscription.id).status == "active"


def test_a_coordinator_of_another_group_cannot_reach_the_subscription(
    scenario, client, user_with_role
):
    subscription = monthly_subscription(scenario)
    other = factories.GroupFactory()
    user_with_role("coordinator", other)
    url = f"/groupes/{other.slug}/gestion/contrats/{subscription.id}/annuler"
    assert client.post(url).status_code == 404
    assert db.session.get(Subscription, subscription.id).status == "active"


def test_the_plan_credits_a_postponed_basket_carried_by_a_dropped_delivery(scenario):
    subscription = monthly_subscription(scenario)
    last = subscription.deliveries[-1]
    last.quantity = 2  # an absent basket postponed to the last day
    db.session.commit()
    plan = cancellation_plan(subscription, utcnow())
    assert plan.credit_cents == 3060 * (len(plan.dropped) + 1)


def test_installments_are_cancelled_from_the_last_and_one_reduced_partly(app):
    from marketplace.baskets.installments import lower_unpaid_installments

    subscription = factories.SubscriptionFactory()
    for sequence, state in ((1, "paid"), (2, "planned"), (3, "planned"), (4, "planned")):
        factories.InstallmentFactory(
            subscription=subscription,
            sequence=sequence,
            amount_cents=3000,
            state=state,
            paid_at=utcnow() if state == "paid" else None,
        )
    assert lower_unpaid_installments(subscription.id, 4550) == 0
    db.session.commit()
    assert [(item.amount_cents, item.state) for item in installments(subscription)] == [
        (3000, "paid"),
        (3000, "planned"),
        (1450, "planned"),
        (3000, "cancelled"),
    ]
    # Beyond what is unpaid, the rest is left to the ledger: the household's credit.
    assert lower_unpaid_installments(subscription.id, 5000) == 5000 - 4450


def test_a_per_delivery_gift_is_no_longer_owed_for_cancelled_deliveries(scenario):
    from marketplace.baskets.subscribing import subscribe
    from marketplace.payments.fund import fund_balance_cents

    gift = 100  # 1 € a delivery for the solidarity fund
    subscription = subscribe(
        scenario.offer,
        scenario.member,
        scenario.large,
        scenario.point,
        scenario.soutien,
        "monthly",
        "cheque",
        utcnow(),
        donation_per_delivery_cents=gift,
    )
    db.session.commit()
    deliveries = delivery_count(subscription)
    total = sum(item.amount_cents for item in installments(subscription))
    fund_before = fund_balance_cents(subscription.group_id)
    assert fund_before == gift * deliveries

    plan = cancel_by_household(subscription, utcnow())
    db.session.commit()

    dropped = len(plan.dropped)
    assert plan.donation_cents == gift * dropped
    assert plan.credit_cents == 3060 * dropped + gift * dropped
    # The fund gives back what will not be paid; the installments no longer include it.
    assert fund_balance_cents(subscription.group_id) == gift * (deliveries - dropped)
    due = [item for item in installments(subscription) if item.state != "cancelled"]
    assert sum(item.amount_cents for item in due) == total - plan.credit_cents
    # The household owes exactly what stays due.
    assert balance_cents(subscription.user_id, subscription.group_id) == -(
        total - plan.credit_cents
    )


def test_leaving_a_fully_paid_contract_leaves_a_credit_shown_on_the_statement(
    scenario, client, login
):
    subscription = monthly_subscription(scenario)
    paid = 0
    for item in installments(subscription):
        item.state, item.paid_at = "paid", utcnow()
        book_entry(
            user_id=subscription.user_id,
            group_id=subscription.group_id,
            kind=EntryKind.PAYMENT,
            amount_cents=item.amount_cents,
            occurred_on=paris_today(),
            label="Chèque",
            subscription_id=subscription.id,
            installment_id=item.id,
        )
        paid += item.amount_cents
    db.session.commit()

    plan = cancel_by_household(subscription, utcnow())
    db.session.commit()

    assert plan.credit_cents > 0 and plan.overpaid_cents == plan.credit_cents
    assert household_credit_cents(subscription.user_id, subscription.group_id) == (
        plan.credit_cents
    )
    assert balance_cents(subscription.user_id, subscription.group_id) == plan.credit_cents
    login(scenario.member)
    statement = page_text(client.get(f"/groupes/{scenario.offer.group.slug}/mon-releve"))
    assert "Avoir en votre faveur" in statement
    assert "la coordination du groupe vous le rembourse" in statement
