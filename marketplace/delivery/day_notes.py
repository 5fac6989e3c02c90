"""The notes the calendar writes on distribution days it cancels by itself, in the reader's
language: the day stores the note's kind and parameters (`note_key`, `note_params`) besides
its French text (`note`). A coordinator's reason has no kind: shown as typed, never translated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

from marketplace.stored_words import in_reader_language

HOLIDAY_NAMES: dict[str, Callable[[], str]] = {
    "new_year": lambda: _("Jour de l'an"),
    "easter_monday": lambda: _("Lundi de Pâques"),
    "labour_day": lambda: _("Fête du Travail"),
    "victory_1945": lambda: _("Victoire 1945"),
    "ascension": lambda: _("Ascension"),
    "whit_monday": lambda: _("Lundi de Pentecôte"),
    "national_day": lambda: _("Fête nationale"),
    "assumption": lambda: _("Assomption"),
    "all_saints": lambda: _("Toussaint"),
    "armistice_1918": lambda: _("Armistice 1918"),
    "christmas": lambda: _("Noël"),
}

# Keys are stored in the database: never rename one.
DAY_NOTES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "cancelled": lambda p: _("Distribution annulée."),
    "not_in_calendar": lambda p: _("Cette date ne fait plus partie du calendrier."),
    "schedule_suspended": lambda p: _("Calendrier suspendu."),
    "point_closed": lambda p: _("Lieu de distribution fermé."),
    "public_holiday": lambda p: _("Jour férié : %(name)s", name=HOLIDAY_NAMES[p["holiday"]]()),
}


def note_text(note: str, key: str | None, params: Mapping[str, Any] | None) -> str:
    """The day's note for the reader: the calendar's own in the locale in force, else (a
    coordinator's reason, a day written before kinds existed) the stored text."""
    return in_reader_language(DAY_NOTES, note, key, params)


def day_note(day: Any) -> str:
    """The Jinja filter `day_note`: a distribution day's note in the reader's language."""
    return note_text(day.note, day.note_key, day.note_params)
