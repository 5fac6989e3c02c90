"""Quantities as people type and read them ("1,5" kg, "3" bottes), stored in thousandths.

Pure functions, no database: the shop, the producer's grid and the packing lists share them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal
from flask_babel import gettext as _

from marketplace.catalogue.labels import unit_name
from marketplace.catalogue.models import BASKET_UNIT, MILLI, Unit
from marketplace.errors import DomainError

MAX_QUANTITY_MILLI = 100_000 * MILLI  # far above any real stock: a typo guard


def _as_number(text: str) -> Decimal:
    """French input as a Decimal: "1,5", "1 000"; InvalidOperation when it is not a number."""
    return Decimal((text or "").strip().replace("\u202f", "").replace(" ", "").replace(",", "."))


def is_zero_text(text: str) -> bool:
    """Whether a quantity field says zero ("0", "0,0"...): an order form reads it as "none"."""
    try:
        return _as_number(text) == 0
    except InvalidOperation:
        return False


def parse_quantity(text: str, unit: str | Unit, *, field: str | None = None) -> int:
    """'1,5' → 1500 for kg. Refuses empty, zero, negative, too precise (more than 3
    decimals), absurdly large, and fractional quantities of an indivisible unit."""
    try:
        value = _as_number(text)
    except InvalidOperation as error:
        raise DomainError(
            _("Indiquez une quantité en chiffres, par exemple 2 ou 1,5."), field=field
        ) from error
    if not value.is_finite() or value <= 0:
        raise DomainError(_("La quantité doit être supérieure à zéro."), field=field)
    milli = value * MILLI
    if milli != milli.to_integral_value():
        raise DomainError(_("Trois décimales au plus, s'il vous plaît."), field=field)
    return check_quantity(int(milli), unit, field=field)


def check_quantity(milli: int, unit: str | Unit, *, field: str | None = None) -> int:
    """The same rules for a quantity already in thousandths (from JSON or a form integer)."""
    if milli <= 0:
        raise DomainError(_("La quantité doit être supérieure à zéro."), field=field)
    if milli > MAX_QUANTITY_MILLI:
        raise DomainError(_("Cette quantité est bien trop grande."), field=field)
    if not _divisible(unit) and milli % MILLI:
        raise DomainError(
            _("Ce produit se vend à l'unité : indiquez un nombre entier."), field=field
        )
    return milli


def _divisible(unit: str | Unit) -> bool:
    return unit != BASKET_UNIT and Unit(unit).divisible


def quantity_number(milli: int) -> str:
    """1500 → '1,5' (in the current language), 2000 → '2'."""
    return format_decimal(Decimal(milli) / MILLI, format="#,##0.###")


def line_total_cents(unit_price_cents: int, quantity_milli: int) -> int:
    """Price × quantity, rounded half up to the cent (1,5 kg at 3,35 € → 5,03 €)."""
    return (unit_price_cents * quantity_milli * 2 + MILLI) // (2 * MILLI)


def format_quantity(milli: int, unit: str | Unit) -> str:
    """1500, 'kg' → '1,5 kg'; 3000, 'botte' → '3 bottes' (in the current language)."""
    return f"{quantity_number(milli)} {unit_name(unit, plural=milli > MILLI)}"
