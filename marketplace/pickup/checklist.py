"""A day's checklist as the page and the API show it: lines, counts and a version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import get_locale

from marketplace.catalogue.quantities import format_quantity
from marketplace.delivery.models import DistributionDay
from marketplace.pickup.roster import DayCounts, HouseholdLine, day_counts, household_lines
from marketplace.pickup.taps import day_is_closed


@dataclass
class Checklist:
    day: DistributionDay
    lines: list[HouseholdLine]
    counts: DayCounts
    closed: bool
    version: str  # changes whenever a line's content or state changes
    csrf_token: str = ""


def checklist_for(day: DistributionDay) -> Checklist:
    lines = household_lines(day.id)
    closed = day_is_closed(day.id)
    return Checklist(
        day=day,
        lines=lines,
        counts=day_counts(lines),
        closed=closed,
        version=_version(lines, closed),
    )


def _version(lines: list[HouseholdLine], closed: bool) -> str:
    digest = hashlib.sha256(repr(closed).encode())
    for line in lines:
        digest.update(repr((line.key, line.name, line.note, line.baskets, line.extras)).encode())
    return digest.hexdigest()[:16]


def quantity_text(milli: int, unit: str) -> str:
    """format_quantity, remembered: a list of 500 households repeats the same few amounts."""
    return _quantity_text(milli, unit, str(get_locale()))


@lru_cache(maxsize=4096)
def _quantity_text(milli: int, unit: str, locale: str) -> str:
    return format_quantity(milli, unit)
