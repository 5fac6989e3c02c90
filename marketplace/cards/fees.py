"""Membership fees paid by card: what the membership domain (a layer above) lends cards.

Cards never import the membership: the app factory registers here, once per process, the
three things a card payment of a fee needs (blueprints.py `register_card_fees`): describe a
fee for its page, lock it and read its amount before an attempt, mark it paid when the money
came in. Until registered, no fee can be paid by card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marketplace.payments.entry_words import Words


@dataclass(frozen=True)
class FeeToPay:
    id: int
    user_id: int
    group_id: int
    amount_cents: int
    paid: bool
    title: str
    back: str  # the page the household came from


@dataclass(frozen=True)
class FeeHooks:
    describe: Callable[[int], FeeToPay | None]
    # Lock the fee's row; its amount, or a DomainError if it is no longer to pay.
    lock_unpaid: Callable[[int], int]
    # Lock and mark it paid by card: the (ledger reference, words) to book its payment with,
    # or None if it was already paid another way (the card money then goes back).
    settle: Callable[[int], tuple[str, Words] | None]


_hooks: list[FeeHooks] = []


def register(hooks: FeeHooks) -> None:
    _hooks[:] = [hooks]


def hooks() -> FeeHooks:
    if not _hooks:
        raise LookupError("No membership fee hooks registered.")
    return _hooks[0]
