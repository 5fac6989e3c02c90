"""French public holidays (jours fériés), on which many groups cancel or move a distribution."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta

from dateutil.easter import easter


def french_public_holidays(year: int) -> dict[date, str]:
    """Metropolitan France's eleven public holidays of `year`, with their French names."""
    easter_sunday = easter(year)
    return {
        date(year, 1, 1): "Jour de l'an",
        easter_sunday + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter_sunday + timedelta(days=39): "Ascension",
        easter_sunday + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }


@dataclass(frozen=True)
class HolidayClosure:
    """A public holiday seen as a cancelled occurrence (the shape of a ScheduleException)."""

    occurrence_date: date
    reason: str
    kind: str = "cancelled"
    moved_to: date | None = None
    start_time: time | None = None
    end_time: time | None = None


def holiday_reason(name: str) -> str:
    # Stored on the cancelled day like the reasons coordinators type, in French.
    return f"Jour férié : {name}"


def with_public_holidays(exceptions: Iterable, first: date, last: date) -> list:
    """The calendar's own exceptions, plus a cancellation on each public holiday from `first`
    to `last` that has none (a coordinator's exception on a holiday wins: a moved Christmas)."""
    explicit = list(exceptions)
    taken = {exception.occurrence_date for exception in explicit}
    closures = [
        HolidayClosure(day, holiday_reason(name))
        for year in range(first.year, last.year + 1)
        for day, name in french_public_holidays(year).items()
        if first <= day <= last and day not in taken
    ]
    return explicit + closures
