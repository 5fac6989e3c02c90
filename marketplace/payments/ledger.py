"""Booking ledger entries and reading balances: the only way money is written down."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select

from marketplace.extensions import db
from marketplace.payments.entry_words import KEY_MAX, LABEL_MAX, french_text, words
from marketplace.payments.models import NEGATIVE_KINDS, POSITIVE_KINDS, EntryKind, LedgerEntry


def book_entry(
    *,
    user_id: int,
    group_id: int,
    kind: EntryKind,
    amount_cents: int,
    occurred_on: date,
    label_key: str | None = None,
    label_params: dict | None = None,
    label: str | None = None,
    offer_id: int | None = None,
    subscription_id: int | None = None,
    installment_id: int | None = None,
    order_id: int | None = None,
    external_reference: str | None = None,
) -> LedgerEntry:
    """Add one entry. `amount_cents` is signed from the household's side (see the models).

    Its words: a kind of label and its parameters (`label_key`, `label_params`, see
    `entry_words`), written in the reader's language when read; or `label`, text typed by a
    person, kept and shown as typed."""
    _check_amount(kind, amount_cents)
    label_fields = _label_fields(label_key, label_params, label)
    entry = LedgerEntry(
        user_id=user_id,
        group_id=group_id,
        kind=str(kind),
        amount_cents=amount_cents,
        occurred_on=occurred_on,
        **label_fields,
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
    Each dict carries `book_entry`'s keyword arguments; ids are not returned. The French
    sentence of each kind of label is written once per distinct parameters."""
    rows = []
    french: dict[str, dict] = {}
    for entry in entries:
        _check_amount(entry["kind"], entry["amount_cents"])
        key, params = entry.get("label_key"), entry.get("label_params")
        cache_key = repr((key, sorted((params or {}).items()), entry.get("label")))
        if cache_key not in french:
            french[cache_key] = _label_fields(key, params, entry.get("label"))
        rows.append({**entry, **french[cache_key], "kind": str(entry["kind"])})
    if rows:
        db.session.execute(insert(LedgerEntry), rows)


def _label_fields(key: str | None, params: dict | None, label: str | None) -> dict:
    if key is None:
        if params or not label or not label.strip():
            raise ValueError("A ledger entry needs a kind of label, or a person's own words.")
        return {"label": label.strip()[:LABEL_MAX], "label_key": None, "label_params": None}
    if label is not None:
        raise ValueError("A ledger entry has a kind of label or free words, not both.")
    if len(key) > KEY_MAX:
        raise ValueError(f"Label kind {key!r} is longer than {KEY_MAX} characters.")
    checked = words(key, **(params or {}))
    return {
        "label": french_text(checked.key, checked.params),
        "label_key": checked.key,
        "label_params": checked.params or None,
    }


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
