"""Booking ledger entries and reading balances: the only way money is written down."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select

from marketplace.extensions import db
from marketplace.payments.models import NEGATIVE_KINDS, POSITIVE_KINDS, EntryKind, LedgerEntry


def book_entry(
    *,
    user_id: int,
    group_id: int,
    kind: EntryKind,
    amount_cents: int,
    occurred_on: date,
    label: str,
    offer_id: int | None = None,
    subscription_id: int | None = None,
    installment_id: int | None = None,
    order_id: int | None = None,
    external_reference: str | None = None,
) -> LedgerEntry:
    """Add one entry. `amount_cents` is signed from the household's side (see the models)."""
    _check_amount(kind, amount_cents)
    entry = LedgerEntry(
        user_id=user_id,
        group_id=group_id,
        kind=str(kind),
        amount_cents=amount_cents,
        occurred_on=occurred_on,
        label=label,
        offer_id=offer_id,
        subscription_id=subscription_id,
        installment_id=installment_id,
        order_id=order_id,
        external_reference=external_reference,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def book_entries(entries: list[dict]) -> None:
    """Add many entries in one statement (planning a season for thousands of households).
    Each dict carries `book_entry`'s keyword arguments; ids are not returned."""
    rows = []
    for entry in entries:
        _check_amount(entry["kind"], entry["amount_cents"])
        rows.append({**entry, "kind": str(entry["kind"])})
    if rows:
        db.session.execute(insert(LedgerEntry), rows)


def _check_amount(kind: EntryKind, amount_cents: int) -> None:
    if not isinstance(amount_cents, int) or amount_cents == 0:
        raise ValueError("A ledger entry needs a non-zero whole number of cents.")
    if (kind in NEGATIVE_KINDS and amount_cents > 0) or (
        kind in POSITIVE_KINDS and amount_cents < 0
    ):
        raise ValueError(f"A {kind} entry cannot carry {amount_cents} cents.")


def balance_cents(user_id: int, group_id: int) -> int:
    """What the household has paid minus what it owes in the group: negative means arrears."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.user_id == user_id, LedgerEntry.group_id == group_id
        )
    )
    return int(total)
