"""French public holidays (jours fériés), on which many groups cancel or move a distribution."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta

from dateutil.easter import easter

# Each holiday's stable key (stored with a day's note) and French name.
FRENCH_NAMES = {
    "new_year": "Jour de l'an",
    "easter_monday": "Lundi de Pâques",
    "labour_day": "Fête du Travail",
    "victory_1945": "Victoire 1945",
    "ascension": "Ascension",
    "whit_monday": "Lundi de Pentecôte",
    "national_day": "Fête nationale",
    "assumption": "Assomption",
    "all_saints": "Toussaint",
    "armistice_1918": "Armistice 1918",
    "christmas": "Noël",
}


def public_holidays(year: int) -> dict[date, str]:
    """Metropolitan France's eleven public holidays of `year`, by their keys."""
    easter_sunday = easter(year)
    return {
        date(year, 1, 1): "new_year",
        easter_sunday + timedelta(days=1): "easter_monday",
        date(year, 5, 1): "labour_day",
        date(year, 5, 8): "victory_1945",
        easter_sunday + timedelta(days=39): "ascension",
        easter_sunday + timedelta(days=50): "whit_monday",
        date(year, 7, 14): "national_day",
        date(year, 8, 15): "assumption",
        date(year, 11, 1): "all_saints",
        date(year, 11, 11): "armistice_1918",
        date(year, 12, 25): "christmas",
    }


def french_public_holidays(year: int) -> dict[date, str]:
    """Metropolitan France's eleven public holidays of `year`, with their French names."""
    return {day: FRENCH_NAMES[key] for day, key in public_holidays(year).items()}


@dataclass(frozen=True)
class HolidayClosure:
    """A public holiday seen as a cancelled occurrence (the shape of a ScheduleException)."""

    occurrence_date: date
    reason: str
    kind: str = "cancelled"
    moved_to: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    # The note's kind and parameters, written in the reader's language (delivery.day_notes).
    note_key: str | None = "public_holiday"
    note_params: tuple[tuple[str, str], ...] = ()


def holiday_reason(name: str) -> str:
    # Stored on the cancelled day like the reasons coordinators type, in French.
    return f"Jour férié : {name}"


def with_public_holidays(exceptions: Iterable, first: date, last: date) -> list:
    """The calendar's own exceptions, plus a cancellation on each public holiday from `first`
    to `last` that has none (a coordinator's exception on a holiday wins: a moved Christmas)."""
    explicit = list(exceptions)
    taken = {exception.occurrence_date for exception in explicit}
    closures = [
        HolidayClosure(day, holiday_reason(FRENCH_NAMES[key]), note_params=(("holiday", key),))
        for year in range(first.year, last.year + 1)
        for day, key in public_holidays(year).items()
        if first <= day <= last and day not in taken
    ]
    return explicit + closures
