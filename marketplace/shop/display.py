"""Formatting for pages that list hundreds of products: each distinct price, quantity or
link is formatted once per page (Babel and url_for cost tens of microseconds per call)."""

from __future__ import annotations

import re

from flask import url_for

from marketplace.catalogue.labels import category_name, unit_name
from marketplace.catalogue.models import MILLI
from marketplace.catalogue.quantities import format_quantity, line_total_cents
from marketplace.payments.money import format_money

_SENTINEL_ID = 987654321
_UNKNOWN = object()


class Formatter:
    def __init__(self) -> None:
        self._money: dict[int, str] = {}
        self._quantities: dict[tuple[int, str], str] = {}
        self._units: dict[str, str] = {}
        self._categories: dict[str, str] = {}
        self._photo: tuple[str, str] | None = None
        self._pattern: tuple[str, str, str] | None | object = _UNKNOWN

    def money(self, cents: int) -> str:
        text = self._money.get(cents)
        if text is None:
            pattern = self._money_pattern() if 0 <= cents < 100_000 else None
            if pattern is None:
                text = format_money(cents)
            else:  # below 1 000 € no digit grouping: the locale's pattern with other digits
                prefix, separator, suffix = pattern
                euros, rest = divmod(cents, 100)
                text = f"{prefix}{euros}{separator}{rest:02d}{suffix}"
            self._money[cents] = text
        return text

    def _money_pattern(self) -> tuple[str, str, str] | None:
        """What Babel writes around the euros and cents of 1,23 € in the current language
        (hundreds of distinct prices on one page would each cost a Babel call)."""
        if self._pattern is _UNKNOWN:
            match = re.fullmatch(r"(\D*)1(\D)23(\D*)", format_money(123))
            self._pattern = match.groups() if match else None
        return self._pattern

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

    def category(self, code: str) -> str:
        text = self._categories.get(code)
        if text is None:
            text = self._categories[code] = category_name(code)
        return text

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
