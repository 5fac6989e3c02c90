"""Money owed and paid: a ledger per household and group, and planned installments.

Balances are sums of ledger entries, never stored totals that could drift. Amounts are
integer cents, signed from the household's side: what it owes is negative (a commitment,
a donation pledged, a refund paid back to it), what it pays or is credited is positive.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    SEPA = "sepa_debit"
    CHEQUE = "cheque"
    CASH = "cash"
    TRANSFER = "transfer"
    # Debited by the group itself from a mandate it holds (marketplace/direct_debit).
    DIRECT_DEBIT = "direct_debit"


class EntryKind(enum.StrEnum):
    COMMITMENT = "commitment"  # the household commits to pay (a season, an order)
    PAYMENT = "payment"  # money received from the household
    REFUND = "refund"  # money given back to the household
    CREDIT = "credit"  # the household is credited (absent basket, correction in its favour)
    DONATION = "donation"  # a gift pledged to the group's solidarity fund
    ADJUSTMENT = "adjustment"  # a coordinator's correction, explained in the reference


# The sign each kind must carry (adjustments may go either way).
NEGATIVE_KINDS = (EntryKind.COMMITMENT, EntryKind.REFUND, EntryKind.DONATION)
POSITIVE_KINDS = (EntryKind.PAYMENT, EntryKind.CREDIT)


def _sign_rule() -> str:
    negative = ", ".join(f"'{kind}'" for kind in NEGATIVE_KINDS)
    positive = ", ".join(f"'{kind}'" for kind in POSITIVE_KINDS)
    return (
        f"(kind IN ({negative}) AND amount_cents < 0) "
        f"OR (kind IN ({positive}) AND amount_cents > 0) "
        f"OR (kind = '{EntryKind.ADJUSTMENT}' AND amount_cents <> 0)"
    )


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        choice_check("kind", [kind.value for kind in EntryKind]),
        CheckConstraint(_sign_rule(), name="sign_matches_kind"),
        # The same external reference (a Stripe charge, a cheque) is never booked twice.
        UniqueConstraint("group_id", "external_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("basket_offers.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    installment_id: Mapped[int | None] = mapped_column(ForeignKey("installments.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(Integer)
    occurred_on: Mapped[date] = mapped_column(Date)
    # The French words, written at booking (the FEC reads them); `label_key` and
    # `label_params` say what happened, written in the reader's language (payments.entry_words).
    label: Mapped[str] = mapped_column(String(200))
    label_key: Mapped[str | None] = mapped_column(String(40))
    label_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    external_reference: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class InstallmentState(enum.StrEnum):
    PLANNED = "planned"  # due later
    PENDING = "pending"  # a payment is under way (card processing, cheque handed over)
    PAID = "paid"  # received
    FAILED = "failed"  # a charge failed; retried or paid another way
    HANDED_OVER = "handed_over"  # received and handed to the producer
    CANCELLED = "cancelled"


class Installment(Base):
    """One planned payment (échéance) of a subscription's schedule."""

    __tablename__ = "installments"
    __table_args__ = (
        UniqueConstraint("subscription_id", "sequence"),
        choice_check("state", [state.value for state in InstallmentState]),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        CheckConstraint(
            "state NOT IN ('paid', 'handed_over') OR paid_at IS NOT NULL", name="paid_has_date"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=InstallmentState.PLANNED.value)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A failed card or SEPA charge is tried again on this date (None: no retry planned).
    charge_retry_on: Mapped[date | None] = mapped_column(Date, index=True)
    # When the household was told the installment falls due soon (sent once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfflineMethod(enum.StrEnum):
    CHEQUE = "cheque"
    CASH = "cash"
    TRANSFER = "transfer"


class OfflinePaymentState(enum.StrEnum):
    RECORDED = "recorded"  # handed to a coordinator (a cheque may wait for its cashing date)
    RECEIVED = "received"  # the money is there: booked in the ledger, installment paid
    HANDED_OVER = "handed_over"  # passed on to the producer
    CANCELLED = "cancelled"  # recorded by mistake, or a bounced cheque


class OfflinePayment(Base):
    """A cheque, cash or bank transfer a coordinator records against one installment."""

    __tablename__ = "offline_payments"
    __table_args__ = (
        choice_check("method", [method.value for method in OfflineMethod]),
        choice_check("state", [state.value for state in OfflinePaymentState]),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "method <> 'cheque' OR (bank IS NOT NULL AND cheque_number IS NOT NULL)",
            name="cheque_has_bank_and_number",
        ),
        # The same cheque is never recorded twice in a group, unless the first record was
        # cancelled (a mistake, a bounced cheque). NULLs (cash, transfers) never clash.
        Index(
            "uq_offline_payments_live_cheque",
            "group_id",
            "bank",
            "cheque_number",
            unique=True,
            sqlite_where=text("state <> 'cancelled'"),
            postgresql_where=text("state <> 'cancelled'"),
        ),
        CheckConstraint(
            "state NOT IN ('received', 'handed_over') OR received_at IS NOT NULL",
            name="received_has_date",
        ),
        CheckConstraint(
            "state <> 'handed_over' OR handed_over_at IS NOT NULL", name="handed_over_has_date"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installments.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(Integer)
    bank: Mapped[str | None] = mapped_column(String(80))
    cheque_number: Mapped[str | None] = mapped_column(String(40))
    # Cheques are often handed over all at once and cashed month by month.
    cash_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default=OfflinePaymentState.RECORDED.value)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    installment: Mapped[Installment] = relationship()


class FundMovementKind(enum.StrEnum):
    DONATION = "donation"  # a household gives to the fund (one-off, or per delivery)
    TIER_SUPPORT = "tier_support"  # the fund pays the difference of an approved reduced price
    ADJUSTMENT = "adjustment"  # a coordinator's correction


class FundMovement(Base):
    """Money in and out of a group's solidarity fund (panier suspendu). Shown as totals only."""

    __tablename__ = "solidarity_fund_movements"
    __table_args__ = (
        choice_check("kind", [kind.value for kind in FundMovementKind]),
        CheckConstraint(
            "(kind = 'donation' AND amount_cents > 0) "
            "OR (kind = 'tier_support' AND amount_cents < 0) "
            "OR (kind = 'adjustment' AND amount_cents <> 0)",
            name="sign_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(Integer)
    occurred_on: Mapped[date] = mapped_column(Date)
    # Private: who gave or who was helped is never shown, only kept for the accounts.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
