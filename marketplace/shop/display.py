"""Formatting for pages that list hundreds of products: each distinct price, quantity or
link is formatted once per page (Babel and url_for cost tens of microseconds per call)."""

from __future__ import annotations

from flask import url_for

from marketplace.catalogue.labels import category_name, unit_name
from marketplace.catalogue.models import MILLI
from marketplace.catalogue.quantities import format_quantity, line_total_cents
from marketplace.payments.money import format_money

_SENTINEL_ID = 987654321


class Formatter:
    def __init__(self) -> None:
        self._money: dict[int, str] = {}
        self._quantities: dict[tuple[int, str], str] = {}
        self._units: dict[str, str] = {}
        self._photo: tuple[str, str] | None = None

    def money(self, cents: int) -> str:
        text = self._money.get(cents)
        if text is None:
            text = self._money[cents] = format_money(cents)
        return text

    def quantity(self, milli: int, unit: str) -> str:
        key = (milli, unit)
        text = self._quantities.get(key)
        if text is None:
            text = self._quantities[key] = format_quantity(milli, unit)
        return text

    def per_unit(self, unit: str) -> str:
        text = self._units.get(unit)
        if text is None:
            text = self._units[unit] = unit_name(unit)
        return text

    def line_total(self, price_cents: int, milli: int) -> str:
        return self.money(line_total_cents(price_cents, milli))

    @staticmethod
    def category(code: str) -> str:
        return category_name(code)

    @staticmethod
    def typed(milli: int | None) -> str:
        """A quantity as a person types it back in the form ("1,5")."""
        if not milli:
            return ""
        whole, rest = divmod(milli, MILLI)
        return str(whole) if not rest else f"{whole},{rest:03d}".rstrip("0")

    def photo_url(self, product_id: int) -> str:
        if self._photo is None:
            url = url_for("catalogue.photo", product_id=_SENTINEL_ID)
            prefix, suffix = url.split(str(_SENTINEL_ID))
            self._photo = (prefix, suffix)
        return f"{self._photo[0]}{product_id}{self._photo[1]}"
