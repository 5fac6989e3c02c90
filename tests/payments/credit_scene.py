"""A household that left a contract having paid 100 € of 60 € still due (a 40 € credit), and
holds another contract of the group with three unpaid installments of 25 €."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.payments.credits import open_credit_if_overpaid
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind
from marketplace.timezones import paris_today
from tests import factories


@dataclass
class CreditScene:
    group: object
    member: object
    coordinator: object
    left: object  # the cancelled subscription
    other: object  # the household's other contract
    credit: object
    other_installments: list


def commit_entry(subscription, kind, amount, installment=None, reference=None):
    book_entry(
        user_id=subscription.user_id,
        group_id=subscription.group_id,
        kind=kind,
        amount_cents=amount,
        occurred_on=paris_today(),
        label=str(kind),
        subscription_id=subscription.id,
        installment_id=installment.id if installment else None,
        external_reference=reference,
    )


def make_credit_scene(*, pay=None, group=None) -> CreditScene:
    """`pay(subscription, installment)` pays the first contract's installment (by default a
    cheque booked in the ledger)."""
    supply = factories.ProducerSuppliesGroupFactory(**({"group": group} if group else {}))
    offer = factories.BasketOfferFactory(name="Légumes de saison", supply=supply)
    group = offer.group
    member = factories.UserFactory(name="Foyer Martin")
    factories.MembershipFactory(user=member, organisation=group, role="member")
    coordinator = factories.UserFactory(name="Coordinatrice")
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    left = factories.SubscriptionFactory(
        offer=offer, user=member, status="cancelled", cancelled_at=utcnow()
    )
    paid = factories.InstallmentFactory(subscription=left, sequence=1, amount_cents=10000)
    commit_entry(left, EntryKind.COMMITMENT, -6000)
    if pay is None:
        paid.state, paid.paid_at = "paid", utcnow()
        commit_entry(left, EntryKind.PAYMENT, 10000, paid, reference=f"cheque-{paid.id}")
    else:
        pay(left, paid)
    other_offer = factories.BasketOfferFactory(
        name="Fruits du verger", supply=factories.ProducerSuppliesGroupFactory(group=group)
    )
    other = factories.SubscriptionFactory(offer=other_offer, user=member)
    installments = [
        factories.InstallmentFactory(subscription=other, sequence=sequence, amount_cents=2500)
        for sequence in (1, 2, 3)
    ]
    commit_entry(other, EntryKind.COMMITMENT, -7500)
    credit = open_credit_if_overpaid(
        subscription_id=left.id,
        user_id=member.id,
        group_id=group.id,
        offer_name=offer.name,
        on=paris_today(),
    )
    db.session.commit()
    return CreditScene(group, member, coordinator, left, other, credit, installments)
