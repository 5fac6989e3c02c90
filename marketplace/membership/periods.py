"""Membership periods: pure date arithmetic, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date  # the last day, included

    @property
    def label(self) -> str:
        """« 2026 » for a calendar year, « 2026-2027 » for a season across two years."""
        if self.starts_on.year == self.ends_on.year:
            return str(self.starts_on.year)
        return f"{self.starts_on.year}-{self.ends_on.year}"

    def next(self) -> Period:
        return period_starting(self.ends_on + timedelta(days=1))

    def previous(self) -> Period:
        return period_containing(self.starts_on - timedelta(days=1), self.starts_on.month)


def period_starting(starts_on: date) -> Period:
    following = date(starts_on.year + 1, starts_on.month, 1)
    return Period(starts_on, following - timedelta(days=1))


def period_containing(day: date, start_month: int) -> Period:
    """The period (of a year starting on the first of `start_month`) that contains `day`."""
    if not 1 <= start_month <= 12:
        raise ValueError(f"A month is within 1-12, not {start_month}.")
    year = day.year if day.month >= start_month else day.year - 1
    return period_starting(date(year, start_month, 1))
