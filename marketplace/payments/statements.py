"""Reading the ledger: a household's statement in a group, and the group's arrears.

Payments sits below baskets in the layering, so it cannot import the Subscription model;
installments and arrears reach the subscriptions table through the foreign key the models
already declare (see `_referenced_table`), which keeps each figure to one SQL query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Table, func, select
from sqlalchemy.sql import ColumnElement

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.payments.labels import INSTALLMENT_STATE_LABELS
from marketplace.payments.models import (
    EntryKind,
    Installment,
    InstallmentState,
    LedgerEntry,
)

ENTRY_KIND_LABELS = {
    EntryKind.COMMITMENT.value: _l("Engagement"),
    EntryKind.PAYMENT.value: _l("Paiement"),
    EntryKind.REFUND.value: _l("Remboursement"),
    EntryKind.CREDIT.value: _l("Avoir"),
    EntryKind.DONATION.value: _l("Don"),
    EntryKind.ADJUSTMENT.value: _l("Correction"),
}


# Installments still waiting for the household's money; late once their due date has passed.
UNPAID_STATES = (InstallmentState.PLANNED.value, InstallmentState.FAILED.value)
OPEN_STATES = (*UNPAID_STATES, InstallmentState.PENDING.value)


def entry_kind_label(kind: str) -> str:
    return str(ENTRY_KIND_LABELS.get(kind, kind))


def installment_state_label(state: str) -> str:
    return str(INSTALLMENT_STATE_LABELS.get(state, state))


def _referenced_table(column: Column) -> Table:
    """The table a (single) foreign key column points to, without importing its model."""
    (foreign_key,) = column.foreign_keys
    return foreign_key.column.table


def subscriptions_table() -> Table:
    """The subscriptions table, reached through the installments' foreign key."""
    return _referenced_table(Installment.__table__.c.subscription_id)


def offers_table() -> Table:
    """The basket offers table, reached through the ledger entries' foreign key."""
    return _referenced_table(LedgerEntry.__table__.c.offer_id)


# --- A household's statement -------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    occurred_on: date
    label: str  # the stored French words; shown through `entry_label`
    kind: str
    amount_cents: int
    balance_cents: int  # the running balance after this entry
    label_key: str | None = None
    label_params: dict | None = None

    @property
    def kind_label(self) -> str:
        return entry_kind_label(self.kind)


@dataclass(frozen=True)
class UpcomingInstallment:
    due_on: date
    amount_cents: int
    state: str
    offer_name: str
    late: bool

    @property
    def state_label(self) -> str:
        return installment_state_label(self.state)


@dataclass(frozen=True)
class MemberStatement:
    lines: list[StatementLine]
    installments: list[UpcomingInstallment]

    @property
    def balance_cents(self) -> int:
        return self.lines[-1].balance_cents if self.lines else 0


def member_statement(user_id: int, group_id: int, *, today: date) -> MemberStatement:
    """The household's ledger in the group, oldest first with a running balance, and its
    installments not yet paid (two queries, whatever the number of entries)."""
    entries = db.session.execute(
        select(
            LedgerEntry.occurred_on,
            LedgerEntry.label,
            LedgerEntry.kind,
            LedgerEntry.amount_cents,
            LedgerEntry.label_key,
            LedgerEntry.label_params,
        )
        .where(LedgerEntry.user_id == user_id, LedgerEntry.group_id == group_id)
        .order_by(LedgerEntry.occurred_on, LedgerEntry.id)
    ).all()
    lines = []
    running = 0
    for occurred_on, label, kind, amount, key, params in entries:
        running += amount
        lines.append(StatementLine(occurred_on, label, kind, amount, running, key, params))
    return MemberStatement(lines=lines, installments=_open_installments(user_id, group_id, today))


def _open_installments(user_id: int, group_id: int, today: date) -> list[UpcomingInstallment]:
    subscriptions, offers = subscriptions_table(), offers_table()
    rows = db.session.execute(
        select(Installment.due_on, Installment.amount_cents, Installment.state, offers.c.name)
        .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .where(
            subscriptions.c.user_id == user_id,
            subscriptions.c.group_id == group_id,
            Installment.state.in_(OPEN_STATES),
        )
        .order_by(Installment.due_on, Installment.id)
    ).all()
    return [
        UpcomingInstallment(
            due_on=due_on,
            amount_cents=amount,
            state=state,
            offer_name=name,
            late=state in UNPAID_STATES and due_on < today,
        )
        for due_on, amount, state, name in rows
    ]


# --- The group's arrears -----------------------------------------------------------------------


@dataclass(frozen=True)
class ArrearsRow:
    user_id: int
    name: str
    email: str
    balance_cents: int  # negative: what the household owes
    late_installments: int
    oldest_late_due_on: date | None

    @property
    def owed_cents(self) -> int:
        return -self.balance_cents


@dataclass(frozen=True)
class Arrears:
    rows: list[ArrearsRow]

    @property
    def total_owed_cents(self) -> int:
        return sum(row.owed_cents for row in self.rows)

    @property
    def total_late_installments(self) -> int:
        return sum(row.late_installments for row in self.rows)


def _late_installments_by_user(group_id: int, today: date):
    """Per household: how many installments are late in the group, and the oldest due date."""
    subscriptions = subscriptions_table()
    return (
        select(
            subscriptions.c.user_id.label("user_id"),
            func.count(Installment.id).label("late"),
            func.min(Installment.due_on).label("oldest"),
        )
        .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
        .where(
            subscriptions.c.group_id == group_id,
            Installment.state.in_(UNPAID_STATES),
            Installment.due_on < today,
        )
        .group_by(subscriptions.c.user_id)
        .subquery("late")
    )


def group_arrears(group_id: int, *, today: date) -> Arrears:
    """Every household whose balance in the group is negative, most owed first: one query
    (balances grouped by household, joined to the late installments' own aggregate).

    It holds amounts only: a household's price tier is none of this screen's business."""
    balance: ColumnElement[int] = func.sum(LedgerEntry.amount_cents)
    balances = (
        select(LedgerEntry.user_id.label("user_id"), balance.label("balance"))
        .where(LedgerEntry.group_id == group_id)
        .group_by(LedgerEntry.user_id)
        .having(balance < 0)
        .subquery("balances")
    )
    late = _late_installments_by_user(group_id, today)
    rows = db.session.execute(
        select(
            User.id,
            User.name,
            User.email,
            balances.c.balance,
            func.coalesce(late.c.late, 0),
            late.c.oldest,
        )
        .join(balances, balances.c.user_id == User.id)
        .outerjoin(late, late.c.user_id == User.id)
        .order_by(balances.c.balance, User.name, User.id)
    ).all()
    return Arrears(
        rows=[
            ArrearsRow(
                user_id=user_id,
                name=name,
                email=email,
                balance_cents=int(owed),
                late_installments=int(late_count),
                oldest_late_due_on=oldest,
            )
            for user_id, name, email, owed, late_count, oldest in rows
        ]
    )
