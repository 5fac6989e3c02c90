"""Reading offline payments: a group's unpaid installments, recorded payments and contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, Table, case, func, select

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import (
    Installment,
    OfflineMethod,
    OfflinePayment,
    OfflinePaymentState,
)
from marketplace.payments.statements import UNPAID_STATES, offers_table, subscriptions_table

OFFLINE_METHODS = tuple(method.value for method in OfflineMethod)


@dataclass(frozen=True)
class UnpaidInstallment:
    installment_id: int
    user_id: int
    household: str
    offer_id: int
    offer_name: str
    sequence: int
    due_on: date
    amount_cents: int
    state: str
    planned_method: str  # how the household said it would pay

    @property
    def paid_offline(self) -> bool:
        return self.planned_method in OFFLINE_METHODS


def _unpaid_query(group_id: int) -> Select:
    subscriptions, offers = subscriptions_table(), offers_table()
    offline_first = case((subscriptions.c.payment_method.in_(OFFLINE_METHODS), 0), else_=1)
    return (
        select(
            Installment.id,
            User.id,
            User.name,
            offers.c.id,
            offers.c.name,
            Installment.sequence,
            Installment.due_on,
            Installment.amount_cents,
            Installment.state,
            subscriptions.c.payment_method,
        )
        .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .join(User, User.id == subscriptions.c.user_id)
        .where(subscriptions.c.group_id == group_id, Installment.state.in_(UNPAID_STATES))
        .order_by(offline_first, Installment.due_on, User.name, Installment.sequence)
    )


def unpaid_query(
    group_id: int, *, offer_id: int | None = None, household: str = "", user_id: int | None = None
) -> Select:
    """The group's installments still waiting for money (planned or failed), offline
    methods first, then by due date; rows for `UnpaidInstallment`."""
    query = _unpaid_query(group_id)
    subscriptions = subscriptions_table()
    if offer_id is not None:
        query = query.where(subscriptions.c.offer_id == offer_id)
    if household.strip():
        query = query.where(User.name.icontains(household.strip(), autoescape=True))
    if user_id is not None:
        query = query.where(subscriptions.c.user_id == user_id)
    return query


def unpaid_installments(
    group_id: int, *, offer_id: int | None = None, household: str = "", user_id: int | None = None
) -> list[UnpaidInstallment]:
    """`unpaid_query`'s installments, all of them: one query whatever their number."""
    query = unpaid_query(group_id, offer_id=offer_id, household=household, user_id=user_id)
    return [UnpaidInstallment(*row) for row in db.session.execute(query)]


@dataclass(frozen=True)
class RecordedPayment:
    payment_id: int
    household: str
    offer_name: str
    due_on: date
    method: str
    amount_cents: int
    bank: str | None
    cheque_number: str | None
    cash_on: date | None
    state: str
    received_at: datetime | None
    handed_over_at: datetime | None


STATE_ORDER = {state.value: rank for rank, state in enumerate(OfflinePaymentState)}


def recorded_payments(
    group_id: int, *, state: str | None = None, offer_id: int | None = None, household: str = ""
) -> list[RecordedPayment]:
    """`recorded_query`'s payments, all of them."""
    query = recorded_query(group_id, state=state, offer_id=offer_id, household=household)
    return [RecordedPayment(*row) for row in db.session.execute(query)]


def recorded_query(
    group_id: int, *, state: str | None = None, offer_id: int | None = None, household: str = ""
) -> Select:
    """The group's offline payments, those still to act on first, each state by the date
    the money is expected (a cheque's cashing date, else the installment's due date); rows
    for `RecordedPayment`."""
    subscriptions, offers = subscriptions_table(), offers_table()
    state_rank = case(STATE_ORDER, value=OfflinePayment.state)
    query = (
        select(
            OfflinePayment.id,
            User.name,
            offers.c.name,
            Installment.due_on,
            OfflinePayment.method,
            OfflinePayment.amount_cents,
            OfflinePayment.bank,
            OfflinePayment.cheque_number,
            OfflinePayment.cash_on,
            OfflinePayment.state,
            OfflinePayment.received_at,
            OfflinePayment.handed_over_at,
        )
        .join(User, User.id == OfflinePayment.user_id)
        .join(Installment, Installment.id == OfflinePayment.installment_id)
        .join(subscriptions, subscriptions.c.id == Installment.subscription_id)
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .where(OfflinePayment.group_id == group_id)
        .order_by(
            state_rank,
            func.coalesce(OfflinePayment.cash_on, Installment.due_on),
            User.name,
            OfflinePayment.id,
        )
    )
    if state:
        query = query.where(OfflinePayment.state == state)
    if offer_id is not None:
        query = query.where(subscriptions.c.offer_id == offer_id)
    if household.strip():  # the search field serves both lists: a territory's lists grow
        query = query.where(User.name.icontains(household.strip(), autoescape=True))
    return query


def group_offer_choices(group_id: int) -> list[tuple[int, str]]:
    """The group's contracts (id, name), for the filters."""
    offers = offers_table()
    return [
        (offer_id, name)
        for offer_id, name in db.session.execute(
            select(offers.c.id, offers.c.name)
            .where(offers.c.group_id == group_id)
            .order_by(offers.c.season_starts_on.desc(), offers.c.name)
        )
    ]


# A card or SEPA attempt still under way (cards.models.LIVE_CARD_PAYMENT_STATES, a layer above).
LIVE_ONLINE_STATES = ("creating", "requires_action", "processing")


def _card_payments_table() -> Table:
    return db.metadata.tables["card_payments"]


def refuse_if_paying_online(installment_ids: set[int]) -> None:
    """One settlement at a time per installment: never cash on top of a card payment."""
    card_payments = _card_payments_table()
    live = db.session.scalar(
        select(func.count())
        .select_from(card_payments)
        .where(
            card_payments.c.installment_id.in_(installment_ids),
            card_payments.c.state.in_(LIVE_ONLINE_STATES),
        )
    )
    if live:
        raise DomainError(
            _(
                "Un paiement en ligne (carte ou prélèvement) est en cours pour une de ces "
                "échéances : attendez son résultat avant d'enregistrer un autre règlement. "
                "Un paiement par carte laissé sans confirmation est annulé de lui-même au bout "
                "d'un jour."
            )
        )


def unpaid_fees(group_id: int, *, user_id: int) -> list[tuple[int, int]]:
    """(membership id, amount) of a household's yearly fees still to pay in a group.

    The memberships are a domain above: their table is read by name, like card payments'."""
    fees = db.metadata.tables["yearly_memberships"]
    return [
        (row.id, row.amount_cents)
        for row in db.session.execute(
            select(fees.c.id, fees.c.amount_cents)
            .where(
                fees.c.group_id == group_id,
                fees.c.user_id == user_id,
                fees.c.paid_at.is_(None),
            )
            .order_by(fees.c.period_starts_on)
        )
    ]
