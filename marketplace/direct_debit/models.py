"""Direct debits collected through the group's own bank, and its imported bank statements.

A household signs a mandate online: its evidence (reference, date, signer, IP address, the
exact text shown) is never changed afterwards, only revoked. A subscription paid this way
points at the mandate; the coordinators build pain.008 batches of the installments due, and
each installment is in one batch at most (a unique constraint). Bank statement lines are kept
once each (unique entry reference per group), matched to what they pay.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.payments.models import Installment

# The SEPA rulebook asks for 14 calendar days unless the mandate agrees on less; the CORE
# scheme needs the file at the bank one business day before the collection (D-1), so a
# notice shorter than 2 days would reach the household after the debit left: 2 is the floor.
DEFAULT_NOTICE_DAYS = 14
MIN_NOTICE_DAYS = 2
MAX_NOTICE_DAYS = 30


class DebitSettings(Base):
    """A group's creditor identity for the debits it collects itself."""

    __tablename__ = "debit_settings"
    __table_args__ = (
        CheckConstraint(
            f"notice_days >= {MIN_NOTICE_DAYS} AND notice_days <= {MAX_NOTICE_DAYS}",
            name="notice_days_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    creditor_id: Mapped[str] = mapped_column(String(35))  # ICS, e.g. FR12ZZZ123456
    creditor_name: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11))
    notice_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_NOTICE_DAYS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# What a signed mandate proves; revoking it is the only change ever made.
MANDATE_EVIDENCE = (
    "group_id",
    "user_id",
    "reference",
    "signed_on",
    "signed_at",
    "signer_name",
    "iban",
    "bic",
    "ip_address",
    "mandate_text",
    "creditor_id",
    "creditor_name",
)


class DebitMandate(Base):
    __tablename__ = "debit_mandates"
    __table_args__ = (
        # One live mandate per household and group.
        Index(
            "uq_debit_mandates_live",
            "group_id",
            "user_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reference: Mapped[str] = mapped_column(String(35), unique=True)  # RUM
    signed_on: Mapped[date] = mapped_column(Date)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signer_name: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11))
    ip_address: Mapped[str] = mapped_column(String(45))
    mandate_text: Mapped[str] = mapped_column(Text)
    creditor_id: Mapped[str] = mapped_column(String(35))
    creditor_name: Mapped[str] = mapped_column(String(70))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


@event.listens_for(DebitMandate, "before_update")
def _evidence_is_immutable(mapper, connection, mandate: DebitMandate) -> None:
    state = inspect(mandate)
    for name in MANDATE_EVIDENCE:
        if state.attrs[name].history.has_changes():
            raise ValueError(f"A signed mandate's {name} never changes.")


class DebitChoice(Base):
    """A subscription whose installments are debited under a mandate."""

    __tablename__ = "debit_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), unique=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("debit_mandates.id"), index=True)
    # Given back to the subscription when the mandate is revoked.
    previous_method: Mapped[str] = mapped_column(String(20))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DebitNotice(Base):
    """The pre-notification of one installment's debit, sent once."""

    __tablename__ = "debit_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installments.id"), unique=True)
    debit_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BatchState(enum.StrEnum):
    SUBMITTED = "submitted"  # the file was built, to be sent to the bank
    COLLECTED = "collected"  # the bank credited it


class DebitBatch(Base):
    __tablename__ = "debit_batches"
    __table_args__ = (
        choice_check("state", [state.value for state in BatchState]),
        CheckConstraint("total_cents > 0", name="total_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    reference: Mapped[str] = mapped_column(String(35), unique=True)  # the file's MsgId
    # The form that asked for it: a double click gets the same batch.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    total_cents: Mapped[int] = mapped_column(Integer)
    item_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=BatchState.SUBMITTED.value)
    xml: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[DebitBatchItem]] = relationship(
        back_populates="batch", order_by="DebitBatchItem.id"
    )


class ItemState(enum.StrEnum):
    SUBMITTED = "submitted"
    COLLECTED = "collected"  # booked in the ledger once
    RETURNED = "returned"  # rejected or returned by the household's bank


SEQUENCE_TYPES = ("FRST", "RCUR")


class DebitBatchItem(Base):
    __tablename__ = "debit_batch_items"
    __table_args__ = (
        choice_check("state", [state.value for state in ItemState]),
        choice_check("sequence_type", SEQUENCE_TYPES),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "state <> 'returned' OR (return_code IS NOT NULL AND returned_on IS NOT NULL)",
            name="returned_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("debit_batches.id"), index=True)
    # Never the same installment in two batches.
    installment_id: Mapped[int] = mapped_column(ForeignKey("installments.id"), unique=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("debit_mandates.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    collection_date: Mapped[date] = mapped_column(Date)
    sequence_type: Mapped[str] = mapped_column(String(4))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=ItemState.SUBMITTED.value)
    return_code: Mapped[str | None] = mapped_column(String(4))
    returned_on: Mapped[date | None] = mapped_column(Date)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    batch: Mapped[DebitBatch] = relationship(back_populates="items")
    installment: Mapped[Installment] = relationship()
    mandate: Mapped[DebitMandate] = relationship()
    user: Mapped[User] = relationship()


class LineState(enum.StrEnum):
    MATCHED = "matched"
    UNMATCHED = "unmatched"  # for a person to match by hand or ignore
    IGNORED = "ignored"


class StatementLine(Base):
    """One movement of an imported bank statement, kept once (its entry reference)."""

    __tablename__ = "bank_statement_lines"
    __table_args__ = (
        UniqueConstraint("group_id", "entry_reference"),
        choice_check("state", [state.value for state in LineState]),
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    entry_reference: Mapped[str] = mapped_column(String(120))
    booked_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)  # signed: credits positive
    label: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(140))
    return_code: Mapped[str] = mapped_column(String(4), default="")
    state: Mapped[str] = mapped_column(String(20), default=LineState.UNMATCHED.value)
    installment_id: Mapped[int | None] = mapped_column(ForeignKey("installments.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("debit_batches.id"))
    batch_item_id: Mapped[int | None] = mapped_column(ForeignKey("debit_batch_items.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
