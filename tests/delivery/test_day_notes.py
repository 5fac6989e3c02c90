"""The notes the calendar writes on the days it cancels by itself read in the reader's
language; a coordinator's reason reads as typed."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from marketplace.delivery import days as materialisation
from marketplace.delivery import services
from marketplace.delivery.day_notes import DAY_NOTES, HOLIDAY_NAMES, day_note
from marketplace.delivery.holidays import FRENCH_NAMES, public_holidays
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries

TODAY = date(2026, 12, 7)  # a Monday
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CALENDAR = "/groupes/amap-des-canuts/gestion/calendrier"


def days_of(schedule) -> list[DistributionDay]:
    return list(
        db.session.scalars(
            select(DistributionDay)
            .where(DistributionDay.schedule_id == schedule.id)
            .order_by(DistributionDay.occurrence_date)
        )
    )


def friday_schedule(**kwargs):
    # Fridays: Christmas 2026 falls on one.
    return factories.DistributionScheduleFactory(
        starts_on=date(2026, 12, 4), rrule="FREQ=WEEKLY;BYDAY=FR", **kwargs
    )


def test_a_public_holiday_is_stored_in_french_and_read_in_each_language(app):
    schedule = friday_schedule(skip_public_holidays=True)
    materialisation.materialise_schedule(schedule, TODAY, 4)
    christmas = next(day for day in days_of(schedule) if day.day == date(2026, 12, 25))
    assert christmas.is_cancelled
    assert christmas.note == "Jour férié : Noël"
    assert (christmas.note_key, christmas.note_params) == (
        "public_holiday",
        {"holiday": "christmas"},
    )
    with force_locale("fr"):
        assert day_note(christmas) == "Jour férié : Noël"
    with force_locale("en"):
        assert day_note(christmas) == "Public holiday: Christmas Day"
    # Materialised again: nothing changes (the kind is part of what is compared).
    result = materialisation.materialise_schedule(schedule, TODAY, 4)
    assert (result.created, result.updated, result.cancelled) == (0, 0, 0)


def test_the_calendars_own_notes_have_their_kind(app):
    schedule = friday_schedule()
    materialisation.materialise_all(TODAY, 3)
    services.set_schedule_active(schedule, False, today=TODAY, horizon_weeks=3)
    days = days_of(schedule)
    assert {(day.note, day.note_key) for day in days} == {
        (materialisation.NOTE_SCHEDULE_SUSPENDED, "schedule_suspended")
    }
    with force_locale("en"):
        assert {day_note(day) for day in days} == {"Calendar paused."}


def test_a_coordinators_reason_is_shown_as_typed(app):
    schedule = friday_schedule()
    factories.ScheduleExceptionFactory(
        schedule=schedule, occurrence_date=date(2026, 12, 11), reason="Fête du village"
    )
    factories.ScheduleExceptionFactory(
        schedule=schedule, occurrence_date=date(2026, 12, 18), reason=""
    )
    materialisation.materialise_schedule(schedule, TODAY, 3)
    by_day = {day.day: day for day in days_of(schedule)}
    typed, unexplained = by_day[date(2026, 12, 11)], by_day[date(2026, 12, 18)]
    assert (typed.note, typed.note_key) == ("Fête du village", None)
    assert (unexplained.note, unexplained.note_key) == ("Distribution annulée.", "cancelled")
    for language in ("fr", "en"):
        with force_locale(language):
            assert day_note(typed) == "Fête du village"
    with force_locale("en"):
        assert day_note(unexplained) == "Distribution cancelled."


def test_every_note_and_holiday_has_an_english_text(app):
    assert set(HOLIDAY_NAMES) == set(FRENCH_NAMES)
    for key, name in HOLIDAY_NAMES.items():
        with force_locale("fr"):
            assert name() == FRENCH_NAMES[key]
        with force_locale("en"):
            assert name() != FRENCH_NAMES[key] or key == "ascension", key
    for key, write in DAY_NOTES.items():
        with force_locale("fr"):
            french = write({"holiday": "christmas"})
        with force_locale("en"):
            assert write({"holiday": "christmas"}) != french, key


@pytest.fixture
def group(user_with_role):
    group = factories.GroupFactory(slug="amap-des-canuts")
    return group


def test_the_coordinators_calendar_in_each_language(client, group, user_with_role):
    coordinator = user_with_role("coordinator", group)
    point = factories.PickupPointFactory(group=group)
    # Distributions on the weekday of the next public holiday, whatever today is.
    today = paris_today()
    holiday = min(
        day for year in (today.year, today.year + 1) for day in public_holidays(year) if day > today
    )
    schedule = factories.DistributionScheduleFactory(
        group=group, pickup_point=point, starts_on=today,
        rrule=f"FREQ=WEEKLY;BYDAY={BYDAY[holiday.weekday()]}", skip_public_holidays=True,
    )  # fmt: skip
    materialisation.materialise_schedule(schedule, paris_today(), 60)
    db.session.commit()
    assert any(day.note_key == "public_holiday" for day in days_of(schedule))
    coordinator.language = "fr"
    db.session.commit()
    page = client.get(CALENDAR).text
    assert "Jour férié : " in page
    coordinator.language = "en"
    db.session.commit()
    with count_queries() as counter:
        page = client.get(CALENDAR).text
    assert "Public holiday: " in page and "Jour férié" not in page
    few = counter.count
    materialisation.materialise_schedule(schedule, paris_today(), 120)
    db.session.commit()
    with count_queries() as counter:
        client.get(CALENDAR)
    assert counter.count == few


def _migration():
    path = Path(__file__).parents[2] / "migrations/versions/0023_ledger_label_words.py"
    spec = importlib.util.spec_from_file_location("ledger_label_words", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_gives_the_calendars_old_notes_their_kind(app):
    schedule = friday_schedule(skip_public_holidays=True)
    factories.ScheduleExceptionFactory(
        schedule=schedule, occurrence_date=date(2026, 12, 11), reason="Fête du village"
    )
    materialisation.materialise_schedule(schedule, TODAY, 4)
    db.session.execute(update(DistributionDay).values(note_key=None, note_params=None))
    _migration()._backfill_days(db.session.connection())
    db.session.expire_all()
    kinds = {day.note: (day.note_key, day.note_params) for day in days_of(schedule) if day.note}
    assert kinds == {
        "Fête du village": (None, None),
        "Jour férié : Noël": ("public_holiday", {"holiday": "christmas"}),
        "Jour férié : Jour de l'an": ("public_holiday", {"holiday": "new_year"}),
    }
