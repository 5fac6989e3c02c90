"""Other ways to pay a contract, offered on its page by more specific domains.

Baskets is more general than, say, the group's own direct debits (imports flow one way), so
such a domain registers here a function that, given a subscription, returns an offer (a text
and a link) or None. Registration happens once per process, from the app factory
(`blueprints.py`); registering the same name again replaces it.

Such a domain may also offer its way to pay on the sign-up form (`SignupChoice`): the contract
is then written with a standing method the offer accepts, and once it is written the domain's
`after` (in the same transaction) says where the household goes next to finish the choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marketplace.baskets.models import BasketOffer, Subscription


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


@dataclass(frozen=True)
class SignupChoice:
    code: str  # the value sent by the form; never one of the offer's own methods
    label: Callable[[], str]
    offered: Callable[[int], bool]  # given the group's id
    after: Callable[[Subscription], str]  # the contract just written: the next page's URL


_signup_choices: dict[str, SignupChoice] = {}

# While the other way is being set up (a mandate to sign), the contract is paid the first of
# these the offer accepts: a method nobody charges without the household.
STANDING_ORDER = ("transfer", "cheque", "cash", "card", "sepa_debit")


def register_signup_choice(choice: SignupChoice) -> None:
    _signup_choices[choice.code] = choice


def signup_choices(offer: BasketOffer) -> list[SignupChoice]:
    """The other ways to pay offered on this offer's sign-up form (none without a standing
    method: the contract must be written with one of the offer's methods first)."""
    if standing_method(offer) is None:
        return []
    return [
        choice
        for choice in _signup_choices.values()
        if choice.code not in offer.allowed_methods and choice.offered(offer.group_id)
    ]


def standing_method(offer: BasketOffer) -> str | None:
    allowed = list(offer.allowed_methods)
    ranked = [method for method in STANDING_ORDER if method in allowed]
    return (ranked or allowed or [None])[0]
