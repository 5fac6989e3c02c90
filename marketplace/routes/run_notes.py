"""The notes the timetable writes on mobile-grocery runs it cancels by itself, in the reader's
language: the run stores the note's kind (`note_key`) besides its French text (`note`). Staff's
own reason has no kind: shown as typed, never translated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

# Keys are stored in the database: never rename one.
RUN_NOTES: dict[str, Callable[[], str]] = {
    "cancelled": lambda: _("Tournée annulée."),
    "not_in_timetable": lambda: _("Cette date ne fait plus partie de la tournée."),
    "route_suspended": lambda: _("Tournée suspendue."),
}


def run_note(run: Any) -> str:
    """The Jinja filter `run_note`: a run's note in the reader's language."""
    write = RUN_NOTES.get(run.note_key) if run.note_key else None
    return write() if write is not None else run.note
