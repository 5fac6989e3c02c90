"""Card and SEPA direct-debit payments through Stripe.

Stripe drives the state: a payment row is written *before* Stripe is called, with the
idempotency key it will be called with, so a timeout or an outage never charges twice; the
webhook events (stored once by their Stripe id) then move it to its final state.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.payments.models import Installment

STRIPE_METHODS = ("card", "sepa_debit")


class StripeCustomer(Base):
    """The Stripe customer of a household (created the first time it pays by card or SEPA)."""

    __tablename__ = "stripe_customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SavedPaymentMethod(Base):
    """A card or SEPA mandate saved (SetupIntent) to pay later installments off-session."""

    __tablename__ = "saved_payment_methods"
    __table_args__ = (
        choice_check("method", STRIPE_METHODS),
        # One default method per household among those not removed.
        Index(
            "uq_saved_payment_methods_default",
            "user_id",
            unique=True,
            sqlite_where=text("is_default AND removed_at IS NULL"),
            postgresql_where=text("is_default AND removed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stripe_payment_method_id: Mapped[str] = mapped_column(String(80), unique=True)
    method: Mapped[str] = mapped_column(String(20))
    brand: Mapped[str] = mapped_column(String(30), default="")  # "visa"; the bank for SEPA
    last4: Mapped[str] = mapped_column(String(4), default="")
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=True)
    # A SEPA mandate's reference (RUM), told to the household with the mandate's terms.
    mandate_reference: Mapped[str] = mapped_column(String(35), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Refused for a reason time does not fix (cards.dunning): never charged again without the
    # household, until it pays online with it or saves it again.
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CardPaymentState(enum.StrEnum):
    CREATING = "creating"  # written, Stripe not (yet) known to have answered
    REQUIRES_ACTION = "requires_action"  # the household must authenticate (3-D Secure)
    PROCESSING = "processing"  # SEPA debits take days
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


LIVE_CARD_PAYMENT_STATES = (
    CardPaymentState.CREATING,
    CardPaymentState.REQUIRES_ACTION,
    CardPaymentState.PROCESSING,
)


ONE_TARGET = (
    "(CASE WHEN installment_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN order_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN membership_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class CardPayment(Base):
    """One attempt to take money through Stripe (a PaymentIntent), for an installment of a
    subscription, a weekly-shop order or a yearly membership's fee."""

    __tablename__ = "card_payments"
    __table_args__ = (
        choice_check("method", STRIPE_METHODS),
        choice_check("state", [state.value for state in CardPaymentState]),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_within_amount"
        ),
        # Exactly one thing paid: an installment, an order or a yearly membership's fee.
        CheckConstraint(ONE_TARGET, name="one_target"),
        CheckConstraint("fee_cents IS NULL OR fee_cents >= 0", name="fee_not_negative"),
        # Never two attempts under way for the same installment, order or fee: no double charge.
        Index(
            "uq_card_payments_live_per_order",
            "order_id",
            unique=True,
            sqlite_where=text("state IN ('creating', 'requires_action', 'processing')"),
            postgresql_where=text("state IN ('creating', 'requires_action', 'processing')"),
        ),
        Index(
            "uq_card_payments_live_per_installment",
            "installment_id",
            unique=True,
            sqlite_where=text("state IN ('creating', 'requires_action', 'processing')"),
            postgresql_where=text("state IN ('creating', 'requires_action', 'processing')"),
        ),
        Index(
            "uq_card_payments_live_per_membership",
            "membership_id",
            unique=True,
            sqlite_where=text("state IN ('creating', 'requires_action', 'processing')"),
            postgresql_where=text("state IN ('creating', 'requires_action', 'processing')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    installment_id: Mapped[int | None] = mapped_column(ForeignKey("installments.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_orders.id"), index=True)
    # A yearly membership's fee (the membership domain, a layer above, is named only here).
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("yearly_memberships.id"), index=True
    )
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20), default="card")
    off_session: Mapped[bool] = mapped_column(Boolean, default=False)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    # Sent to Stripe with the creation call: the same key twice gives back the same intent.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    saved_payment_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_payment_methods.id")
    )
    state: Mapped[str] = mapped_column(String(20), default=CardPaymentState.CREATING.value)
    failure_code: Mapped[str] = mapped_column(String(80), default="")
    failure_message: Mapped[str] = mapped_column(String(300), default="")
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    # What Stripe kept of it (its balance transaction's fee); NULL while unknown.
    fee_cents: Mapped[int | None] = mapped_column(Integer)
    # The ledger payment booked when it succeeded (external reference: the intent's id).
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    installment: Mapped[Installment | None] = relationship()


class StripeEvent(Base):
    """A webhook event, stored by its Stripe id so that each is processed exactly once."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_event_id: Mapped[str] = mapped_column(String(80), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
