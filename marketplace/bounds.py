"""The limits every value a person or a proxy sends must keep, checked in one place.

- ids in URLs: the `int` converter of the app's URL map is `BoundedIntConverter` (at most
  10 digits and within PostgreSQL's `integer`), so `/offres/9223372036854775808` is a 404;
- ids in query strings and posted lists: `forms.int_or_none` (None beyond the bounds);
- form fields: `forms.BaseForm` cleans every text of control characters and checks every
  number, date and text against the bounds below (`check_bounds`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from marshmallow import ValidationError
from werkzeug.routing import IntegerConverter

# PostgreSQL's `integer`: the widest id, count or amount in cents a column holds.
DB_INT_MAX = 2**31 - 1
# A decimal typed in a form (euros, kilos, coordinates): its cents or thousandths still fit.
DECIMAL_MAX = Decimal(DB_INT_MAX) / 1000
# Every date a person types: a season, a sign-up window, a route's validity...
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)
# A text field without its own Length validator (a textarea, a search box).
TEXT_MAX_LENGTH = 10_000

# C0 controls and DEL, but tab and line breaks (a textarea's text keeps its lines).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    """A text without NUL and other control characters (PostgreSQL refuses NUL)."""
    if isinstance(value, str):
        return _CONTROL_CHARACTERS.sub("", value)
    return value


def bounded_int(value, *, minimum: int = -DB_INT_MAX, maximum: int = DB_INT_MAX) -> int | None:
    """`value` as an int within the bounds, else None (text, too many digits, out of range)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,10}", value):
            return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if minimum <= number <= maximum else None


def out_of_bounds(value) -> bool:
    """True for a number, date or text a column cannot hold or a person would not mean."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return not -DB_INT_MAX <= value <= DB_INT_MAX
    if isinstance(value, (float, Decimal)):
        return not (value == value and -DECIMAL_MAX <= value <= DECIMAL_MAX)  # NaN too
    if isinstance(value, date):
        day = value if type(value) is date else value.date()
        return not DATE_MIN <= day <= DATE_MAX
    if isinstance(value, str):
        return len(value) > TEXT_MAX_LENGTH
    if isinstance(value, (list, tuple, set)):
        return any(out_of_bounds(item) for item in value)
    return False


def within_the_years(value: datetime) -> None:
    """A JSON instant (a phone's clock) within the same years as a typed date. Only the year
    is read: comparing year 1 or 9999 to a bound would itself overflow once offsets apply."""
    if not DATE_MIN.year <= value.year <= DATE_MAX.year:
        raise ValidationError(f"An instant between {DATE_MIN.year} and {DATE_MAX.year}.")


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route: a non-negative id a database column can hold, else 404."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
