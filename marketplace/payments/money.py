"""Showing amounts of money: integer cents in, a localised euro amount out."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import format_currency


def format_money(cents: int) -> str:
    # Decimal keeps the exact cents: money is never a float here.
    return format_currency(Decimal(cents) / 100, "EUR")
