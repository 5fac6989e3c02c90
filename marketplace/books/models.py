"""The treasurer's books: bank accounts, remittance slips, payouts to producers.

A remittance (bordereau de remise) lists cheques or cash handed to the bank or to a producer;
each payment is in at most one remittance (a unique constraint). A payout run pays producers
what the association collected on their behalf, by one SEPA credit transfer file; each
producer's payouts are numbered, so two runs started at the same moment cannot both pay.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, choice_check, utcnow

HOLDER_MAX, IBAN_MAX, BIC_MAX = 70, 34, 11


class BankAccount(Base):
    """The bank account of an organisation: a producer is paid on it, a group pays from it."""

    __tablename__ = "bank_accounts"
    __table_args__ = (
        UniqueConstraint("organisation_id"),
        CheckConstraint("length(holder) > 0", name="holder_not_empty"),
        CheckConstraint("length(iban) BETWEEN 15 AND 34", name="iban_length"),
        CheckConstraint("length(bic) IN (8, 11)", name="bic_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    holder: Mapped[str] = mapped_column(String(HOLDER_MAX))
    iban: Mapped[str] = mapped_column(String(IBAN_MAX))  # compact, upper case, checked
    bic: Mapped[str] = mapped_column(String(BIC_MAX))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RemittanceKind(enum.StrEnum):
    BANK = "bank"  # cheques deposited at the association's bank
    PRODUCER = "producer"  # cheques handed to the producer they are made out to
    CASH = "cash"  # the cash counted at a pickup day, deposited at the bank


class Remittance(Base):
    __tablename__ = "remittances"
    __table_args__ = (
        choice_check("kind", [kind.value for kind in RemittanceKind]),
        CheckConstraint(
            "(kind = 'producer') = (producer_id IS NOT NULL)", name="producer_when_handed_over"
        ),
        CheckConstraint("total_cents > 0", name="total_positive"),
        CheckConstraint("payments_count > 0", name="not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    remitted_on: Mapped[date] = mapped_column(Date)
    total_cents: Mapped[int] = mapped_column(Integer)
    payments_count: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[RemittanceItem]] = relationship(
        back_populates="remittance", order_by="RemittanceItem.id"
    )


class RemittanceItem(Base):
    __tablename__ = "remittance_items"
    # A cheque (or a cash payment) is remitted once, whoever clicks first.
    __table_args__ = (UniqueConstraint("payment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_id: Mapped[int] = mapped_column(
        ForeignKey("remittances.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[int] = mapped_column(ForeignKey("offline_payments.id"))

    remittance: Mapped[Remittance] = relationship(back_populates="items")


class PayoutRun(Base):
    """One SEPA credit transfer file: the association pays the producers it owes."""

    __tablename__ = "payout_runs"
    __table_args__ = (
        UniqueConstraint("message_id"),
        CheckConstraint("total_cents > 0", name="total_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(35))
    execution_on: Mapped[date] = mapped_column(Date)
    total_cents: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The file given to the bank, kept as it was produced.
    xml: Mapped[str] = mapped_column(Text)

    payouts: Mapped[list[Payout]] = relationship(back_populates="run", order_by="Payout.id")


class Payout(Base):
    """What one run pays one producer. `sequence` counts the producer's payouts from the group:
    two runs computed from the same balance both take the next number, and only one commits."""

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("group_id", "producer_id", "sequence"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payout_runs.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)
    iban: Mapped[str] = mapped_column(String(IBAN_MAX))
    end_to_end_id: Mapped[str] = mapped_column(String(35))

    run: Mapped[PayoutRun] = relationship(back_populates="payouts")
