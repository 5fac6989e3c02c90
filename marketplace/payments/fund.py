"""A group's solidarity fund (panier suspendu): gifts in, solidarity prices paid out.

The balance is the sum of the fund's movements, never a stored total. Who gave and who was
helped is kept for the accounts only: every figure read here is a total, without names.
Services flush and never commit; the caller (a view) commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, extract, func, select

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.payments.entry_words import Words, fields_of, stored_text, words
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind, FundMovement, FundMovementKind, LedgerEntry
from marketplace.payments.money import format_money

# A one-off gift typed on the fund's page: above this, a typing slip is more likely than a gift.
MAX_GIFT_CENTS = 100_000
MONTHS_SHOWN = 12


class GiftAlreadyRecordedError(DomainError):
    """The same gift form was sent again: the first sending is the one recorded."""


def lock_fund(group_id: int) -> None:
    """Hold the group's fund until commit, so two approvals cannot both spend the same euros
    (a row lock on the group on PostgreSQL; SQLite serialises writers by itself)."""
    db.session.execute(select(Organisation.id).where(Organisation.id == group_id).with_for_update())


def fund_balance_cents(group_id: int) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(FundMovement.amount_cents), 0)).where(
            FundMovement.group_id == group_id
        )
    )
    return int(total)


def record_donation(
    group: Organisation,
    user: User,
    amount_cents: int,
    occurred_on: date,
    label: Words | str,
    *,
    subscription_id: int | None = None,
    external_reference: str | None = None,
) -> FundMovement:
    """The household pledges `amount_cents` to the fund: it owes it (a ledger DONATION entry)
    and the fund receives it (a DONATION movement linked to that entry)."""
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise DomainError(_("Indiquez un montant supérieur à zéro."), field="amount")
    entry = book_entry(
        user_id=user.id,
        group_id=group.id,
        kind=EntryKind.DONATION,
        amount_cents=-amount_cents,
        occurred_on=occurred_on,
        **fields_of(label),
        subscription_id=subscription_id,
        external_reference=external_reference,
    )
    return _add_movement(
        group.id,
        FundMovementKind.DONATION,
        amount_cents,
        occurred_on,
        stored_text(label),
        user_id=user.id,
        subscription_id=subscription_id,
        ledger_entry_id=entry.id,
    )


def withdraw_donation(
    group_id: int,
    user_id: int,
    amount_cents: int,
    occurred_on: date,
    label: Words | str,
    *,
    subscription_id: int | None = None,
) -> FundMovement:
    """A pledged gift that will not be paid (its deliveries were cancelled): the household is
    credited and the fund gives the amount back (an ADJUSTMENT out of it)."""
    entry = book_entry(
        user_id=user_id,
        group_id=group_id,
        kind=EntryKind.CREDIT,
        amount_cents=amount_cents,
        occurred_on=occurred_on,
        **fields_of(label),
        subscription_id=subscription_id,
    )
    return _add_movement(
        group_id,
        FundMovementKind.ADJUSTMENT,
        -amount_cents,
        occurred_on,
        stored_text(label),
        user_id=user_id,
        subscription_id=subscription_id,
        ledger_entry_id=entry.id,
    )


def give_once(
    group: Organisation, user: User, amount_cents: int, occurred_on: date, reference: str
) -> FundMovement:
    """A one-off gift from the fund's page. `reference` identifies the form that was sent, so
    the same form sent twice (a double click, a reload) records one gift only."""
    if amount_cents <= 0:
        raise DomainError(_("Indiquez un montant supérieur à zéro."), field="amount")
    if amount_cents > MAX_GIFT_CENTS:
        raise DomainError(
            _("Un don ne peut dépasser %(max)s.", max=format_money(MAX_GIFT_CENTS)),
            field="amount",
        )
    external_reference = f"fund-gift:{reference}"
    already = db.session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.group_id == group.id, LedgerEntry.external_reference == external_reference
        )
    )
    if already is not None:
        raise GiftAlreadyRecordedError(_("Ce don est déjà enregistré. Merci !"))
    return record_donation(
        group,
        user,
        amount_cents,
        occurred_on,
        words("donation_gift"),
        external_reference=external_reference,
    )


def record_group_share(
    group_id: int, amount_cents: int, occurred_on: date, label: str, *, subscription_id: int
) -> FundMovement:
    """The group puts `amount_cents` (> 0) of its own into the fund, to cover what the fund
    lacks for an approved solidarity price (a coordinator's decision, kept in the fund's
    movements as an adjustment with its label)."""
    if amount_cents <= 0:
        raise ValueError("The group puts in a positive amount.")
    return _add_movement(
        group_id,
        FundMovementKind.ADJUSTMENT,
        amount_cents,
        occurred_on,
        label,
        subscription_id=subscription_id,
    )


def record_tier_support(
    group_id: int,
    amount_cents: int,
    occurred_on: date,
    label: str,
    *,
    user_id: int,
    subscription_id: int,
    ledger_entry_id: int,
) -> FundMovement:
    """The fund pays `amount_cents` (> 0) of an approved solidarity price. The caller has
    locked the fund (`lock_fund`) and checked its balance."""
    if amount_cents <= 0:
        raise ValueError("The fund pays a positive amount.")
    return _add_movement(
        group_id,
        FundMovementKind.TIER_SUPPORT,
        -amount_cents,
        occurred_on,
        label,
        user_id=user_id,
        subscription_id=subscription_id,
        ledger_entry_id=ledger_entry_id,
    )


def _add_movement(
    group_id: int, kind: FundMovementKind, amount_cents: int, occurred_on: date, label: str, **links
) -> FundMovement:
    movement = FundMovement(
        group_id=group_id,
        kind=kind.value,
        amount_cents=amount_cents,
        occurred_on=occurred_on,
        label=label,
        **links,
    )
    db.session.add(movement)
    db.session.flush()
    return movement


# --- Totals shown to the group -------------------------------------------------------------------


@dataclass(frozen=True)
class FundMonth:
    month: date  # the first day of the month
    in_cents: int
    out_cents: int  # a positive amount: what left the fund


@dataclass(frozen=True)
class FundTotals:
    balance_cents: int
    given_cents: int  # every gift, one-off or per delivery
    used_cents: int  # paid for solidarity prices (a positive amount)
    months: list[FundMonth]  # the last MONTHS_SHOWN months, most recent first


def _first_months(today: date, count: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _step in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def fund_totals(group_id: int, *, today: date) -> FundTotals:
    """The fund's balance, totals by kind and money in and out per month: two queries."""
    by_kind = dict(
        db.session.execute(
            select(FundMovement.kind, func.sum(FundMovement.amount_cents))
            .where(FundMovement.group_id == group_id)
            .group_by(FundMovement.kind)
        ).all()
    )
    months = _first_months(today, MONTHS_SHOWN)
    amount = FundMovement.amount_cents
    year = extract("year", FundMovement.occurred_on)
    month = extract("month", FundMovement.occurred_on)
    rows = db.session.execute(
        select(
            year,
            month,
            func.sum(case((amount > 0, amount), else_=0)),
            func.sum(case((amount < 0, -amount), else_=0)),
        )
        .where(FundMovement.group_id == group_id, FundMovement.occurred_on >= months[-1])
        .group_by(year, month)
    ).all()
    flows = {(int(y), int(m)): (int(gifts), int(spent)) for y, m, gifts, spent in rows}
    return FundTotals(
        balance_cents=int(sum(by_kind.values())),
        given_cents=int(by_kind.get(FundMovementKind.DONATION.value, 0)),
        used_cents=-int(by_kind.get(FundMovementKind.TIER_SUPPORT.value, 0)),
        months=[
            FundMonth(first, *flows.get((first.year, first.month), (0, 0))) for first in months
        ],
    )
