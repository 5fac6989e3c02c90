"""A household's credit (avoir) after leaving a contract it overpaid, and settling it.

A credit is opened when a cancelled contract's own ledger (its entries: commitment, credits,
payments, refunds) stays positive: the household paid more than the deliveries it keeps. It
is settled in parts, each part exactly once:
- refunded: a REFUND entry on the cancelled contract (cheque or transfer here; a card refund
  goes through Stripe in cards/credit_refunds.py, which books through cards.settlement);
- carried to another contract of the same household in the same group: a REFUND taking the
  amount off the cancelled contract, and one PAYMENT per installment of the other contract it
  pays, from the next one due (each producer's statement follows the euros); an installment
  covered in full is paid, the last one touched is reduced by what was carried. The
  household's balance does not move; each contract's does, to the cent.

Every part first moves `settled_cents` by one conditional UPDATE (never beyond the amount,
also a database rule) and stores the form's key (unique): a double click or two coordinators
at once give one settlement. Services flush and never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.credit_models import (
    CreditSettlement,
    HouseholdCredit,
    RefundMethod,
    SettlementKind,
)
from marketplace.payments.entry_words import Words, words
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind, Installment, InstallmentState, LedgerEntry
from marketplace.payments.money import format_money
from marketplace.payments.statements import UNPAID_STATES, offers_table, subscriptions_table
from marketplace.timezones import paris_today


@dataclass(frozen=True)
class CarryTarget:
    """Another contract of the household whose unpaid installments a credit may pay."""

    subscription_id: int
    offer_name: str
    unpaid_cents: int


# --- Reading -----------------------------------------------------------------------------------


def subscription_balance_cents(subscription_id: int) -> int:
    """The contract's own ledger: what was paid or credited on it minus what it commits to."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.subscription_id == subscription_id
            )
        )
    )


def household_credit_cents(user_id: int, group_id: int) -> int:
    """What the group still owes the household from its credits (refund or carry to come)."""
    return int(
        db.session.scalar(
            select(
                func.coalesce(
                    func.sum(HouseholdCredit.amount_cents - HouseholdCredit.settled_cents), 0
                )
            ).where(HouseholdCredit.user_id == user_id, HouseholdCredit.group_id == group_id)
        )
    )


def credits_of(user_id: int, group_id: int) -> list[HouseholdCredit]:
    """The household's credits in the group with their settlements, newest first (2 queries)."""
    return list(
        db.session.scalars(
            select(HouseholdCredit)
            .options(selectinload(HouseholdCredit.settlements))
            .where(HouseholdCredit.user_id == user_id, HouseholdCredit.group_id == group_id)
            .order_by(HouseholdCredit.created_at.desc(), HouseholdCredit.id.desc())
        )
    )


def offer_names(subscription_ids: set[int]) -> dict[int, str]:
    """The contract (offer) name of each subscription, in one query."""
    if not subscription_ids:
        return {}
    subscriptions, offers = subscriptions_table(), offers_table()
    rows = db.session.execute(
        select(subscriptions.c.id, offers.c.name)
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .where(subscriptions.c.id.in_(subscription_ids))
    )
    return {subscription_id: name for subscription_id, name in rows}


def credits_to_settle(group_id: int) -> list[HouseholdCredit]:
    """The group's credits not settled in full, oldest first, with their household (1 query)."""
    return list(
        db.session.scalars(
            select(HouseholdCredit)
            .options(joinedload(HouseholdCredit.user))
            .where(
                HouseholdCredit.group_id == group_id,
                HouseholdCredit.settled_cents < HouseholdCredit.amount_cents,
            )
            .order_by(HouseholdCredit.created_at, HouseholdCredit.id)
        )
    )


def carry_targets(group_id: int, user_ids: set[int]) -> dict[int, list[CarryTarget]]:
    """Per household, its contracts in the group with installments left to pay (1 query)."""
    if not user_ids:
        return {}
    subscriptions, offers = subscriptions_table(), offers_table()
    rows = db.session.execute(
        select(
            subscriptions.c.user_id,
            subscriptions.c.id,
            offers.c.name,
            func.sum(Installment.amount_cents),
        )
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .join(Installment, Installment.subscription_id == subscriptions.c.id)
        .where(
            subscriptions.c.group_id == group_id,
            subscriptions.c.user_id.in_(user_ids),
            Installment.state.in_(UNPAID_STATES),
        )
        .group_by(subscriptions.c.user_id, subscriptions.c.id, offers.c.name)
        .order_by(subscriptions.c.id)
    )
    targets: dict[int, list[CarryTarget]] = {}
    for user_id, subscription_id, name, unpaid in rows:
        targets.setdefault(user_id, []).append(CarryTarget(subscription_id, name, int(unpaid)))
    return targets


def credit_in_group(group_id: int, credit_id: int) -> HouseholdCredit | None:
    credit = db.session.get(HouseholdCredit, credit_id)
    return credit if credit is not None and credit.group_id == group_id else None


# --- Opening -----------------------------------------------------------------------------------


def open_credit_if_overpaid(
    *, subscription_id: int, user_id: int, group_id: int, offer_name: str, on: date
) -> HouseholdCredit | None:
    """After a cancellation: the contract's positive balance becomes the household's credit."""
    overpaid = subscription_balance_cents(subscription_id)
    if overpaid <= 0:
        return None
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # a stored label
        label = _("%(offer)s — trop-perçu à la résiliation", offer=offer_name)
    credit = HouseholdCredit(
        group_id=group_id,
        user_id=user_id,
        subscription_id=subscription_id,
        amount_cents=overpaid,
        label=label[:200],
        occurred_on=on,
    )
    db.session.add(credit)
    db.session.flush()
    return credit


# --- Settling ----------------------------------------------------------------------------------


def new_request_key() -> str:
    return uuid.uuid4().hex


def begin_settlement(
    credit: HouseholdCredit,
    *,
    kind: SettlementKind,
    amount_cents: int,
    by_user_id: int | None,
    now: datetime,
    request_key: str | None,
    method: RefundMethod | None = None,
    target_subscription_id: int | None = None,
    reference: str = "",
) -> tuple[CreditSettlement, bool]:
    """Take `amount_cents` off the credit, once: (the settlement, True if made by this call).
    The same request key again gives back the settlement it made."""
    key = request_key or new_request_key()
    existing = db.session.scalar(
        select(CreditSettlement).where(CreditSettlement.request_key == key)
    )
    if existing is not None:
        if existing.credit_id != credit.id:
            raise DomainError(_("Ce formulaire a déjà servi pour un autre avoir."))
        return existing, False
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise DomainError(_("Indiquez un montant d'au moins 0,01 €."), field="amount")
    taken = db.session.execute(
        update(HouseholdCredit)
        .where(
            HouseholdCredit.id == credit.id,
            HouseholdCredit.settled_cents + amount_cents <= HouseholdCredit.amount_cents,
        )
        .values(settled_cents=HouseholdCredit.settled_cents + amount_cents)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(credit, ["settled_cents"])
    if taken.rowcount != 1:
        if credit.remaining_cents == 0:
            raise DomainError(_("Cet avoir est déjà entièrement réglé."), field="amount")
        raise DomainError(
            _(
                "Le montant dépasse ce qui reste de l'avoir : %(left)s au plus.",
                left=format_money(credit.remaining_cents),
            ),
            field="amount",
        )
    settlement = CreditSettlement(
        credit_id=credit.id,
        kind=kind.value,
        method=method.value if method else None,
        amount_cents=amount_cents,
        target_subscription_id=target_subscription_id,
        reference=reference[:200],
        request_key=key,
        settled_by_id=by_user_id,
        settled_at=now,
    )
    db.session.add(settlement)
    db.session.flush()  # the unique key: a concurrent twin fails here, before any money moves
    return settlement, True


def record_refund(
    credit: HouseholdCredit,
    amount_cents: int,
    method: RefundMethod,
    *,
    by_user_id: int | None,
    now: datetime,
    reference: str = "",
    request_key: str | None = None,
) -> CreditSettlement:
    """A refund by cheque or transfer, made outside: recorded, and booked as a REFUND."""
    if method == RefundMethod.CARD:
        raise ValueError("Card refunds go through cards.credit_refunds.refund_credit.")
    settlement, new = begin_settlement(
        credit,
        kind=SettlementKind.REFUND,
        amount_cents=amount_cents,
        by_user_id=by_user_id,
        now=now,
        request_key=request_key,
        method=method,
        reference=reference.strip(),
    )
    if new:
        label = words(
            "credit_refund_cheque" if method == RefundMethod.CHEQUE else "credit_refund_transfer"
        )
        _book(credit, settlement, EntryKind.REFUND, -amount_cents, label, now)
    return settlement


def carry_credit(
    credit: HouseholdCredit,
    target_subscription_id: int,
    amount_cents: int,
    *,
    by_user_id: int | None,
    now: datetime,
    request_key: str | None = None,
) -> CreditSettlement:
    """Carry part or all of the credit to another contract of the household in the group: it
    pays that contract's next unpaid installments, fully or partly, to the cent."""
    target = _target(credit, target_subscription_id)
    unpaid = list(
        db.session.scalars(
            select(Installment)
            .where(
                Installment.subscription_id == target_subscription_id,
                Installment.state.in_(UNPAID_STATES),
            )
            .order_by(Installment.sequence)
            .with_for_update()
        )
    )
    left_to_pay = sum(installment.amount_cents for installment in unpaid)
    if amount_cents > left_to_pay and not _already_made(request_key):
        raise DomainError(
            _(
                "Ce contrat n'a que %(left)s d'échéances à payer : reportez au plus ce montant.",
                left=format_money(left_to_pay),
            ),
            field="amount",
        )
    settlement, new = begin_settlement(
        credit,
        kind=SettlementKind.CARRY,
        amount_cents=amount_cents,
        by_user_id=by_user_id,
        now=now,
        request_key=request_key,
        target_subscription_id=target_subscription_id,
    )
    if not new:
        return settlement
    names = offer_names({credit.subscription_id, target_subscription_id})
    out_label = words("credit_carried_out", offer=names[target])
    # Booked as money out of one contract and into the other, so that each producer's
    # prefinancing statement follows the euros; the household's balance does not move.
    _book(credit, settlement, EntryKind.REFUND, -amount_cents, out_label, now)
    remaining = amount_cents
    for installment in unpaid:
        if remaining == 0:
            break
        part = min(remaining, installment.amount_cents)
        in_label = words(
            "credit_carried_in",
            offer=names[credit.subscription_id],
            date=installment.due_on,
        )
        if part == installment.amount_cents:
            installment.state = InstallmentState.PAID.value
            installment.paid_at = now
            installment.charge_retry_on = None
        else:
            installment.amount_cents -= part
        _book(
            credit,
            settlement,
            EntryKind.PAYMENT,
            part,
            in_label,
            now,
            subscription_id=target,
            installment_id=installment.id,
        )
        remaining -= part
    db.session.flush()
    return settlement


def _already_made(request_key: str | None) -> bool:
    return request_key is not None and bool(
        db.session.scalar(
            select(CreditSettlement.id).where(CreditSettlement.request_key == request_key)
        )
    )


def _target(credit: HouseholdCredit, subscription_id: int) -> int:
    subscriptions = subscriptions_table()
    row = db.session.execute(
        select(subscriptions.c.user_id, subscriptions.c.group_id).where(
            subscriptions.c.id == subscription_id
        )
    ).first()
    if (
        row is None
        or subscription_id == credit.subscription_id
        or (row.user_id, row.group_id) != (credit.user_id, credit.group_id)
    ):
        raise DomainError(
            _("Choisissez un autre contrat de ce foyer dans ce groupe."),
            field="target_subscription_id",
        )
    return subscription_id


def _book(
    credit: HouseholdCredit,
    settlement: CreditSettlement,
    kind: EntryKind,
    amount_cents: int,
    label: Words,
    now: datetime,
    *,
    subscription_id: int | None = None,
    installment_id: int | None = None,
) -> LedgerEntry:
    suffix = f":{installment_id}" if installment_id else ""
    subscription_id = subscription_id or credit.subscription_id
    subscriptions = subscriptions_table()
    offer_id = db.session.scalar(
        select(subscriptions.c.offer_id).where(subscriptions.c.id == subscription_id)
    )
    return book_entry(
        user_id=credit.user_id,
        group_id=credit.group_id,
        kind=kind,
        amount_cents=amount_cents,
        occurred_on=paris_today(now),
        **label.fields(),
        offer_id=offer_id,
        subscription_id=subscription_id,
        installment_id=installment_id,
        external_reference=f"credit-settlement:{settlement.id}{suffix}",
    )
