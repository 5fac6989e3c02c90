"""A checklist as the page and the API show it: heading, lines, counts and a version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import get_locale

from marketplace.catalogue.quantities import format_quantity
from marketplace.db import utcnow
from marketplace.pickup.roster import DayCounts, HouseholdLine, day_counts
from marketplace.pickup.sources import ChecklistSource, Heading


@dataclass
class Checklist:
    source: ChecklistSource
    subject: Any  # the source's: a distribution day, a stop of the van
    heading: Heading
    lines: list[HouseholdLine]
    counts: DayCounts
    closed: bool
    closed_message: str  # why it is closed ("" while open)
    version: str  # changes whenever a line's content or state changes
    csrf_token: str = ""
    # When the server read it (µs since 1970): a phone shows the newest copy it holds.
    as_of_us: int = field(default_factory=lambda: server_instant_us())


def checklist_for(source: ChecklistSource, subject: Any) -> Checklist:
    lines = source.lines(subject)
    closed_message = source.closed_reason(subject) or ""
    closed = bool(closed_message)
    return Checklist(
        source=source,
        subject=subject,
        heading=source.heading(subject),
        lines=lines,
        counts=day_counts(lines),
        closed=closed,
        closed_message=closed_message,
        version=_version(lines, closed),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def server_instant_us() -> int:
    """Now, in microseconds since 1970: what a phone compares to know which of its copies of
    a list (the page, the last answer it kept) is the newest."""
    return (utcnow() - _EPOCH) // timedelta(microseconds=1)


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
