"""Instants are stored in UTC; pickup days and opening hours are Paris local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def local_instant(day: date, at: time) -> datetime:
    """The UTC instant of a wall-clock time in Paris on a given day (DST-aware)."""
    return datetime.combine(day, at, tzinfo=PARIS).astimezone(UTC)


def paris_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(PARIS).date()


def to_paris(instant: datetime) -> datetime:
    return instant.astimezone(PARIS)
