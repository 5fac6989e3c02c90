"""Amounts of money as integer cents: shown in the reader's language, read from what people type."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import format_currency

# VAT rates in basis points (hundredths of a percent): 0 %, 5,5 %, 10 %, 20 %.
VAT_RATES_BP = (0, 550, 1000, 2000)
DEFAULT_VAT_RATE_BP = 550  # most food in France


def format_vat_rate(rate_bp: int) -> str:
    """« 5,5 % », « 20 % » (decimal comma, non-breaking space), as French invoices print it."""
    whole, rest = divmod(rate_bp, 100)
    text = str(whole) if not rest else f"{whole},{rest:02d}".rstrip("0")
    return f"{text}\u00a0%"


def format_money(cents: int) -> str:
    # Decimal keeps the exact cents: money is never a float here.
    return format_currency(Decimal(cents) / 100, "EUR")


# Whole euros, then at most two decimals after a French comma or an English point.
AMOUNT = re.compile(r"^(?P<sign>-?)(?P<euros>\d{1,6})(?:[.,](?P<cents>\d{1,2}))?$")
SPACES = str.maketrans("", "", " \u00a0\u202f")


def parse_euros(text: str) -> int:
    """'15,50', '15.50' or '-5' as integer cents, exactly (never through a float).

    Raises ValueError for anything else.
    """
    match = AMOUNT.match(text.strip().translate(SPACES))
    if match is None:
        raise ValueError(text)
    cents = int(match["euros"]) * 100 + int((match["cents"] or "0").ljust(2, "0"))
    return -cents if match["sign"] else cents


def cents_as_typed(cents: int) -> str:
    """Cents back as a person would type them in a form ("15,50")."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d}"
