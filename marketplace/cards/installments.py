"""An installment with what its emails and pages need: household, group, contract, method.

Cards sits below baskets in the layering: the subscriptions and offers tables are reached
through the foreign keys the models declare (as marketplace.payments.statements does), so
one query gives every figure whatever the number of installments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, select

from marketplace.accounts.models import User
from marketplace.cards.models import SavedPaymentMethod
from marketplace.extensions import db
from marketplace.mail import absolute_url
from marketplace.organisations.models import Membership, Organisation, Role
from marketplace.payments.models import Installment, PaymentMethod
from marketplace.payments.statements import offers_table, subscriptions_table

STRIPE_PAYMENT_METHODS = (PaymentMethod.CARD.value, PaymentMethod.SEPA.value)
ACTIVE_SUBSCRIPTION = "active"  # SubscriptionStatus.ACTIVE, a layer above
# The household's page to pay one installment online (card, SEPA, or 3-D Secure confirmation).
PAY_INSTALLMENT_ENDPOINT = "cards.pay_installment"


@dataclass(frozen=True)
class InstallmentContext:
    installment: Installment
    user: User
    group: Organisation
    offer_name: str
    payment_method: str  # the subscription's: card, sepa_debit, cheque, cash, transfer

    @property
    def pays_through_stripe(self) -> bool:
        return self.payment_method in STRIPE_PAYMENT_METHODS


def context_query() -> Select:
    """Installments joined to their household, group and contract (filter it further)."""
    subscriptions, offers = subscriptions_table(), offers_table()
    return (
        select(Installment, User, Organisation, offers.c.name, subscriptions.c.payment_method)
        .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .join(User, User.id == subscriptions.c.user_id)
        .join(Organisation, Organisation.id == subscriptions.c.group_id)
    )


def contexts(query: Select) -> list[InstallmentContext]:
    return [InstallmentContext(*row) for row in db.session.execute(query).all()]


def context_of(installment_id: int) -> InstallmentContext | None:
    found = contexts(context_query().where(Installment.id == installment_id))
    return found[0] if found else None


def default_methods(user_ids: Iterable[int]) -> dict[int, SavedPaymentMethod]:
    """Each household's default saved card or mandate (one query)."""
    ids = set(user_ids)
    if not ids:
        return {}
    methods = db.session.scalars(
        select(SavedPaymentMethod).where(
            SavedPaymentMethod.user_id.in_(ids),
            SavedPaymentMethod.is_default.is_(True),
            SavedPaymentMethod.removed_at.is_(None),
        )
    )
    return {method.user_id: method for method in methods}


def coordinators_of(group_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == group_id,
                Membership.role == Role.COORDINATOR.value,
            )
            .order_by(User.id)
        )
    )


def pay_installment_url(installment_id: int) -> str:
    """The absolute link to pay an installment online, for emails (also sent by jobs)."""
    return absolute_url(PAY_INSTALLMENT_ENDPOINT, installment_id=installment_id)


def method_for_contract(user_id: int, method: str) -> SavedPaymentMethod | None:
    """The saved method to charge for a contract paying by `method` (card or sepa_debit):
    the household's default if it is of that kind, else its latest one of that kind. A
    contract whose offer takes only cards is never debited from a SEPA mandate (and back),
    and a method refused for good (`declined_at`) is not charged again without the household."""
    return db.session.scalars(
        select(SavedPaymentMethod)
        .where(
            SavedPaymentMethod.user_id == user_id,
            SavedPaymentMethod.method == method,
            SavedPaymentMethod.removed_at.is_(None),
            SavedPaymentMethod.declined_at.is_(None),
        )
        .order_by(SavedPaymentMethod.is_default.desc(), SavedPaymentMethod.id.desc())
        .limit(1)
    ).first()


def has_declined_method(user_id: int, method: str) -> bool:
    """Whether the household keeps a method of that kind that was refused for good."""
    return (
        db.session.scalar(
            select(SavedPaymentMethod.id)
            .where(
                SavedPaymentMethod.user_id == user_id,
                SavedPaymentMethod.method == method,
                SavedPaymentMethod.removed_at.is_(None),
                SavedPaymentMethod.declined_at.is_not(None),
            )
            .limit(1)
        )
        is not None
    )
