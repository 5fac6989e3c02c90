"""The cart of each distribution day, kept in the session until the order is placed.

Reading the shop form is pure: {field: typed text} and the units of the products shown give
either new quantities or one message per field, and the cart is left as it was on an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketplace.catalogue.quantities import parse_quantity
from marketplace.errors import DomainError
from marketplace.shop.ordering import quantity_field

SESSION_KEY = "shop_cart"


def load(session: Mapping[str, Any], day_id: int) -> dict[int, int] | None:
    """The cart of a day (None when the person has not touched it yet)."""
    stored = session.get(SESSION_KEY, {}).get(str(day_id))
    if stored is None:
        return None
    return {int(key): int(value) for key, value in stored.items()}


def save(session: dict[str, Any], day_id: int, quantities: Mapping[int, int]) -> None:
    carts = dict(session.get(SESSION_KEY, {}))
    carts[str(day_id)] = {str(key): value for key, value in quantities.items()}
    session[SESSION_KEY] = carts


def forget(session: dict[str, Any], day_id: int) -> None:
    carts = dict(session.get(SESSION_KEY, {}))
    if carts.pop(str(day_id), None) is not None:
        session[SESSION_KEY] = carts


def read_form(
    form: Mapping[str, str], units: Mapping[int, str], cart: Mapping[int, int]
) -> tuple[dict[int, int], dict[str, str]]:
    """Merge the quantities typed for the products shown (`units`) into the cart.

    A blank field takes the product out of the cart; anything else must be a valid quantity.
    Returns the new cart and the errors by field name."""
    merged = {key: value for key, value in cart.items() if key not in units}
    errors: dict[str, str] = {}
    for availability_id, unit in units.items():
        name = quantity_field(availability_id)
        text = (form.get(name) or "").strip()
        if not text:
            continue
        try:
            merged[availability_id] = parse_quantity(text, unit, field=name)
        except DomainError as error:
            errors[name] = error.message
    return merged, errors
