"""Distribution days materialised from the rules: idempotent, never deleted, past kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.delivery import days as materialisation
from marketplace.delivery import services
from marketplace.delivery.models import DistributionDay
from marketplace.delivery.timing import Timing
from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries

TODAY = date(2026, 3, 2)  # a Monday


def days_of(schedule) -> list[DistributionDay]:
    return list(
        db.session.scalars(
            select(DistributionDay)
            .where(DistributionDay.schedule_id == schedule.id)
            .order_by(DistributionDay.occurrence_date)
        )
    )


def snapshot(schedule) -> list[tuple]:
    return [
        (
            d.id,
            d.occurrence_date,
            d.day,
            d.starts_at,
            d.ends_at,
            d.order_opens_at,
            d.order_closes_at,
            d.status,
            d.note,
        )
        for d in days_of(schedule)
    ]


def tuesday_schedule(**kwargs):
    return factories.DistributionScheduleFactory(starts_on=date(2026, 1, 6), **kwargs)


def test_materialise_creates_the_days_up_to_the_horizon_with_utc_instants():
    schedule = tuesday_schedule()
    result = materialisation.materialise_schedule(schedule, TODAY, 4)
    days = days_of(schedule)
    assert result.created == 4 and (result.updated, result.cancelled) == (0, 0)
    assert [d.day for d in days] == [
        date(2026, 3, 3),
        date(2026, 3, 10),
        date(2026, 3, 17),
        date(2026, 3, 24),
    ]
    first = days[0]
    assert first.starts_at == datetime(2026, 3, 3, 17, 0, tzinfo=UTC)
    assert first.order_opens_at == datetime(2026, 2, 24, 7, 0, tzinfo=UTC)
    assert first.order_closes_at == datetime(2026, 3, 1, 19, 0, tzinfo=UTC)
    assert {d.status for d in days} == {"scheduled"}
    assert {(d.group_id, d.pickup_point_id) for d in days} == {
        (schedule.group_id, schedule.pickup_point_id)
    }


def test_materialise_twice_changes_nothing_the_second_time():
    schedule = tuesday_schedule()
    factories.ScheduleExceptionFactory(schedule=schedule, occurrence_date=date(2026, 3, 10))
    factories.ScheduleExceptionFactory(
        schedule=schedule,
        occurrence_date=date(2026, 3, 17),
        kind="moved",
        moved_to=date(2026, 3, 19),
        start_time=time(17, 0),
    )
    first = materialisation.materialise_all(TODAY, 8)
    before = snapshot(schedule)

    second = materialisation.materialise_all(TODAY, 8)

    assert first.created == 8
    assert (second.created, second.updated, second.cancelled) == (0, 0, 0)
    assert snapshot(schedule) == before


def test_exceptions_give_a_cancelled_row_and_a_moved_row_with_new_hours():
    schedule = tuesday_schedule()
    services.add_exception(
        schedule,
        occurrence_date=date(2026, 3, 10),
        kind="cancelled",
        today=TODAY,
        reason="Jour férié",
    )
    services.add_exception(
        schedule,
        occurrence_date=date(2026, 3, 17),
        kind="moved",
        today=TODAY,
        moved_to=date(2026, 3, 19),
        start_time=time(17, 0),
        end_time=time(18, 0),
    )
    materialisation.materialise_schedule(schedule, TODAY, 3)
    days = {d.occurrence_date: d for d in days_of(schedule)}
    cancelled, moved = days[date(2026, 3, 10)], days[date(2026, 3, 17)]
    assert (cancelled.status, cancelled.note) == ("cancelled", "Jour férié")
    assert moved.status == "scheduled"
    assert moved.day == date(2026, 3, 19)
    assert moved.starts_at == datetime(2026, 3, 19, 16, 0, tzinfo=UTC)
    assert moved.ends_at == datetime(2026, 3, 19, 17, 0, tzinfo=UTC)


def test_adding_then_removing_an_exception_updates_the_existing_row():
    schedule = tuesday_schedule()
    materialisation.materialise_schedule(schedule, TODAY, 4)
    row_id = days_of(schedule)[1].id
    exception = services.add_exception(
        schedule, occurrence_date=date(2026, 3, 10), kind="cancelled", today=TODAY
    )
    result = materialisation.materialise_schedule(schedule, TODAY, 4)
    assert (result.created, result.updated, result.cancelled) == (0, 0, 1)
    assert days_of(schedule)[1].status == "cancelled"

    services.remove_exception(exception, today=TODAY)
    result = materialisation.materialise_schedule(schedule, TODAY, 4)
    assert (result.created, result.updated, result.cancelled) == (0, 1, 0)
    restored = days_of(schedule)[1]
    assert (restored.id, restored.status, restored.note) == (row_id, "scheduled", "")


def test_editing_a_rule_cancels_orphaned_future_rows_but_keeps_past_ones():
    schedule = tuesday_schedule()
    earlier = TODAY - timedelta(weeks=4)
    materialisation.materialise_schedule(schedule, earlier, 8)
    past_before = [row for row in snapshot(schedule) if row[2] < TODAY]
    assert len(past_before) == 4

    timing = Timing(time(17, 0), time(19, 0), 7, time(8, 0), 2, time(20, 0))
    services.update_schedule(
        schedule,
        services.ScheduleData(
            schedule.pickup_point_id,
            "Jeudi soir",
            "FREQ=WEEKLY;BYDAY=TH",
            schedule.starts_on,
            timing,
        ),
    )
    result = materialisation.materialise_schedule(schedule, TODAY, 4)

    assert [row for row in snapshot(schedule) if row[2] < TODAY] == past_before
    tuesdays = [d for d in days_of(schedule) if d.day >= TODAY and d.day.weekday() == 1]
    thursdays = [d for d in days_of(schedule) if d.day.weekday() == 3]
    assert tuesdays and all(d.status == "cancelled" for d in tuesdays)
    assert {d.note for d in tuesdays} == {materialisation.NOTE_NOT_IN_CALENDAR}
    assert [d.day for d in thursdays] == [
        date(2026, 3, 5),
        date(2026, 3, 12),
        date(2026, 3, 19),
        date(2026, 3, 26),
    ]
    assert thursdays[0].starts_at == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)
    assert (result.created, result.cancelled) == (4, len(tuesdays))
    second = materialisation.materialise_schedule(schedule, TODAY, 4)
    assert (second.created, second.updated, second.cancelled) == (0, 0, 0)


def test_changing_hours_updates_future_rows_only():
    schedule = tuesday_schedule()
    materialisation.materialise_schedule(schedule, TODAY - timedelta(weeks=1), 3)
    schedule.start_time = time(17, 30)
    result = materialisation.materialise_schedule(schedule, TODAY, 3)
    by_day = {d.day: d for d in days_of(schedule)}
    assert by_day[date(2026, 2, 24)].starts_at == datetime(2026, 2, 24, 17, 0, tzinfo=UTC)
    assert by_day[date(2026, 3, 3)].starts_at == datetime(2026, 3, 3, 16, 30, tzinfo=UTC)
    assert (result.updated, result.created) == (2, 1)


def test_a_shorter_horizon_does_not_cancel_rows_further_ahead():
    schedule = tuesday_schedule()
    materialisation.materialise_schedule(schedule, TODAY, 8)
    result = materialisation.materialise_schedule(schedule, TODAY, 2)
    assert (result.created, result.updated, result.cancelled) == (0, 0, 0)
    assert {d.status for d in days_of(schedule)} == {"scheduled"}


def test_suspending_a_rule_or_closing_its_point_cancels_coming_days_and_resuming_restores():
    schedule = tuesday_schedule()
    materialisation.materialise_all(TODAY, 4)

    result = services.set_schedule_active(schedule, False, today=TODAY, horizon_weeks=4)
    assert result.cancelled == 4
    assert {d.note for d in days_of(schedule)} == {materialisation.NOTE_SCHEDULE_SUSPENDED}
    assert materialisation.materialise_all(TODAY, 4).cancelled == 0  # already done

    result = services.set_schedule_active(schedule, True, today=TODAY, horizon_weeks=4)
    assert result.updated == 4
    assert {d.status for d in days_of(schedule)} == {"scheduled"}

    result = services.set_pickup_point_active(
        schedule.pickup_point, False, today=TODAY, horizon_weeks=4
    )
    assert result.cancelled == 4
    assert {d.note for d in days_of(schedule)} == {materialisation.NOTE_POINT_CLOSED}


def test_materialise_all_runs_a_fixed_number_of_queries():
    for _ in range(2):
        tuesday_schedule()
    with count_queries() as few:
        materialisation.materialise_all(TODAY, 8)
    db.session.rollback()
    for _ in range(15):
        factories.ScheduleExceptionFactory(
            schedule=tuesday_schedule(), occurrence_date=date(2026, 3, 10)
        )
    with count_queries() as many:
        materialisation.materialise_all(TODAY, 8)
    assert many.count == few.count


def test_a_day_ending_before_it_starts_is_refused_by_the_database():
    day = factories.DistributionDayFactory.build(
        schedule=factories.DistributionScheduleFactory(), occurrence_date=date(2026, 3, 3)
    )
    day.ends_at = day.starts_at - timedelta(hours=1)
    db.session.add(day)
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_a_second_day_for_the_same_occurrence_is_refused_by_the_database():
    schedule = tuesday_schedule()
    materialisation.materialise_schedule(schedule, TODAY, 1)
    db.session.add(
        factories.DistributionDayFactory.build(schedule=schedule, occurrence_date=date(2026, 3, 3))
    )
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_next_days_gives_the_coming_days_of_each_point_in_one_query():
    first, second = tuesday_schedule(), tuesday_schedule()
    third = tuesday_schedule()
    materialisation.materialise_all(TODAY - timedelta(weeks=2), 8)
    services.add_exception(first, occurrence_date=date(2026, 3, 10), kind="cancelled", today=TODAY)
    materialisation.materialise_all(TODAY, 8)
    now = datetime(2026, 3, 3, 17, 30, tzinfo=UTC)  # during the distribution of the 3rd

    with count_queries() as queries:
        days = materialisation.next_days([first.pickup_point_id, second.pickup_point_id], now, 3)
        names = [day.pickup_point.name for day in days]

    assert queries.count == 1
    assert len(names) == 6
    by_point = {}
    for day in days:
        by_point.setdefault(day.pickup_point_id, []).append((day.day, day.status))
    assert by_point[first.pickup_point_id] == [
        (date(2026, 3, 3), "scheduled"),
        (date(2026, 3, 10), "cancelled"),
        (date(2026, 3, 17), "scheduled"),
    ]
    assert third.pickup_point_id not in by_point
    scheduled_only = materialisation.next_days(
        None, now, 2, group_ids=[first.group_id], include_cancelled=False
    )
    assert [day.day for day in scheduled_only] == [date(2026, 3, 3), date(2026, 3, 17)]
    assert materialisation.next_days([], now, 3) == []
