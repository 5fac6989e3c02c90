"""A household's credit (avoir) and what became of it.

When a household leaves a contract having paid more than the deliveries it keeps, the
difference is a credit: a HouseholdCredit of the cancelled subscription (one at most). A
coordinator settles it, in one or several CreditSettlements: refunded (by card through Stripe,
by cheque or transfer) or carried to another contract of the household in the same group.

`settled_cents` never exceeds `amount_cents` (a database rule, and the one conditional UPDATE
that settles a part), so a credit is never refunded or carried twice; each settlement carries
the key of the form that asked for it (unique), so a double submission is recognised.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow


class SettlementKind(enum.StrEnum):
    REFUND = "refund"  # money given back to the household
    CARRY = "carry"  # carried to another contract: pays its next installments


class RefundMethod(enum.StrEnum):
    CARD = "card"  # a Stripe refund of the contract's card payments
    CHEQUE = "cheque"
    TRANSFER = "transfer"


class HouseholdCredit(Base):
    __tablename__ = "household_credits"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "settled_cents >= 0 AND settled_cents <= amount_cents", name="settled_within_amount"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The cancelled contract the household overpaid (one credit per contract).
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    settled_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    label: Mapped[str] = mapped_column(String(200))  # "Légumes de saison — résiliation"
    occurred_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    settlements: Mapped[list[CreditSettlement]] = relationship(
        back_populates="credit", order_by="CreditSettlement.id"
    )

    @property
    def remaining_cents(self) -> int:
        return self.amount_cents - self.settled_cents


class CreditSettlement(Base):
    __tablename__ = "household_credit_settlements"
    __table_args__ = (
        choice_check("kind", [kind.value for kind in SettlementKind]),
        choice_check("method", [method.value for method in RefundMethod]),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "(kind = 'carry') = (target_subscription_id IS NOT NULL)", name="carry_has_target"
        ),
        CheckConstraint("(kind = 'refund') = (method IS NOT NULL)", name="refund_has_method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("household_credits.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    method: Mapped[str | None] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(Integer)
    target_subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"))
    # A cheque's number, a transfer's reference, the Stripe refunds' ids.
    reference: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The key of the form that asked for it: the same submission twice is one settlement.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    credit: Mapped[HouseholdCredit] = relationship(back_populates="settlements")
