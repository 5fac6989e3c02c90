"""The notes the timetable writes on the runs it cancels read in the reader's language; staff's
own reason reads as typed."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

from flask_babel import force_locale
from sqlalchemy import update

from marketplace.extensions import db
from marketplace.routes.models import RouteException, RouteRun
from marketplace.routes.run_notes import RUN_NOTES, run_note
from marketplace.routes.runs import materialise_runs
from tests.routes.test_runs import EARLY, MARCH_TODAY, runs_of, weekly_route

UNTIL = date(2026, 4, 5)


def cancel(route, day: date, reason: str = "") -> None:
    db.session.add(
        RouteException(route_id=route.id, occurrence_date=day, kind="cancelled", reason=reason)
    )


def test_the_timetables_notes_have_their_kind_and_staffs_reason_stays_as_typed(app):
    route = weekly_route()
    cancel(route, date(2026, 3, 17))
    cancel(route, date(2026, 3, 24), "Camion en panne")
    materialise_runs(route, UNTIL, today=MARCH_TODAY, now=EARLY)
    runs = {run.occurrence_date: run for run in runs_of(route)}
    unexplained, typed = runs[date(2026, 3, 17)], runs[date(2026, 3, 24)]
    assert (unexplained.note, unexplained.note_key) == ("Tournée annulée.", "cancelled")
    assert (typed.note, typed.note_key) == ("Camion en panne", None)
    with force_locale("en"):
        assert run_note(unexplained) != "Tournée annulée."
        assert run_note(typed) == "Camion en panne"
    with force_locale("fr"):
        assert run_note(unexplained) == "Tournée annulée."
    # Materialised again: nothing to rewrite.
    assert materialise_runs(route, UNTIL, today=MARCH_TODAY, now=EARLY) == 0
    assert {run.note_key for run in runs_of(route) if run.status == "cancelled"} == {
        "cancelled",
        None,
    }


def test_a_suspended_route_says_so_in_each_language(app):
    route = weekly_route()
    materialise_runs(route, UNTIL, today=MARCH_TODAY, now=EARLY)
    route.active = False
    materialise_runs(route, UNTIL, today=MARCH_TODAY, now=EARLY)
    cancelled = [run for run in runs_of(route) if run.status == "cancelled"]
    assert cancelled and {run.note_key for run in cancelled} == {"route_suspended"}
    with force_locale("en"):
        assert {run_note(run) for run in cancelled} != {"Tournée suspendue."}


def test_every_run_note_has_an_english_text(app):
    for key, write in RUN_NOTES.items():
        with force_locale("fr"):
            french = write()
        with force_locale("en"):
            assert write() != french, key


def test_the_migration_gives_old_run_notes_their_kind(app):
    route = weekly_route()
    cancel(route, date(2026, 3, 17))
    cancel(route, date(2026, 3, 24), "Camion en panne")
    materialise_runs(route, UNTIL, today=MARCH_TODAY, now=EARLY)
    db.session.execute(update(RouteRun).values(note_key=None))
    path = Path(__file__).parents[2] / "migrations/versions/0023_ledger_label_words.py"
    spec = importlib.util.spec_from_file_location("ledger_label_words", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module._backfill_runs(db.session.connection())
    db.session.expire_all()
    kinds = {run.note: run.note_key for run in runs_of(route) if run.note}
    assert kinds == {"Tournée annulée.": "cancelled", "Camion en panne": None}
