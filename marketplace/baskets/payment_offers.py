"""Other ways to pay a contract, offered on its page by more specific domains.

Baskets is more general than, say, the group's own direct debits (imports flow one way), so
such a domain registers here a function that, given a subscription, returns an offer (a text
and a link) or None. Registration happens once per process, from the app factory
(`blueprints.py`); registering the same name again replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marketplace.baskets.models import Subscription


@dataclass(frozen=True)
class PaymentOffer:
    text: str
    link_label: str
    url: str


_providers: dict[str, Callable[[Subscription], PaymentOffer | None]] = {}


def register(name: str, provider: Callable[[Subscription], PaymentOffer | None]) -> None:
    _providers[name] = provider


def offers_for(subscription: Subscription) -> list[PaymentOffer]:
    found = (provider(subscription) for provider in _providers.values())
    return [offer for offer in found if offer is not None]
