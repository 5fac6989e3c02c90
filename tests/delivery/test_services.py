"""Pickup points, calendar rules and exceptions: the services and their refusals."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, insert, select

from marketplace.delivery import services
from marketplace.delivery.models import DistributionSchedule, PickupPoint, ScheduleException
from marketplace.delivery.timing import Timing
from marketplace.errors import DomainError
from marketplace.extensions import db
from tests import factories

TODAY = date(2026, 3, 2)  # a Monday
EVENING = Timing(time(18, 0), time(19, 30), 7, time(8, 0), 2, time(20, 0))


def point_data(**changes) -> services.PickupPointData:
    values = {
        "name": "Préau de l'école",
        "address": "12 rue des Écoles",
        "postcode": "69100",
        "city": "Villeurbanne",
        "latitude": 45.7701,
        "longitude": 4.8802,
        "access_notes": "Portail vert",
        "capacity": 40,
    } | changes
    return services.PickupPointData(**values)


def schedule_data(point, **changes) -> services.ScheduleData:
    values = {
        "pickup_point_id": point.id,
        "label": "Mardi soir",
        "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "starts_on": date(2026, 3, 1),
        "timing": EVENING,
    } | changes
    return services.ScheduleData(**values)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_and_update_a_pickup_point():
    group = factories.GroupFactory()
    point = services.create_pickup_point(group, point_data(name="  Salle du Rize "))
    assert (point.name, point.group_id, point.active) == ("Salle du Rize", group.id, True)

    services.update_pickup_point(point, point_data(name="Salle du Rize", capacity=None))
    assert point.capacity is None


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"latitude": 91.0}, "latitude"),
        ({"longitude": -180.5}, "longitude"),
        ({"capacity": 0}, "capacity"),
        ({"name": "   "}, "name"),
        ({"city": "x" * 101}, "city"),
        ({"access_notes": "x" * 2001}, "access_notes"),
    ],
)
def test_pickup_point_bad_input_is_refused_and_nothing_saved(changes, field):
    group = factories.GroupFactory()
    with pytest.raises(DomainError) as refused:
        services.create_pickup_point(group, point_data(**changes))
    assert refused.value.field == field
    assert count(PickupPoint) == 0


def test_pickup_point_names_are_unique_in_a_group_whatever_the_case():
    group, other = factories.GroupFactory(), factories.GroupFactory()
    first = services.create_pickup_point(group, point_data(name="Préau"))
    with pytest.raises(DomainError, match="déjà un lieu"):
        services.create_pickup_point(group, point_data(name="préau"))
    services.create_pickup_point(other, point_data(name="Préau"))  # another group may
    second = services.create_pickup_point(group, point_data(name="Halle"))
    with pytest.raises(DomainError):
        services.update_pickup_point(second, point_data(name="PRÉAU"))
    services.update_pickup_point(first, point_data(name="Préau"))  # keeping its own name


def test_create_schedule_normalises_the_rule():
    point = factories.PickupPointFactory()
    schedule = services.create_schedule(
        point.group, schedule_data(point, rrule="rrule:freq=weekly;byday=tu")
    )
    assert schedule.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert schedule.group_id == point.group_id


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"rrule": "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260201"}, "rrule"),
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"timing": Timing(time(18), time(17), 7, time(8), 2, time(20))}, "end_time"),
        ({"timing": Timing(time(18), time(19), 0, time(8), 0, time(19))}, "order_closes_time"),
        ({"label": "x" * 121}, "label"),
    ],
)
def test_schedule_bad_input_is_refused_and_nothing_saved(changes, field):
    point = factories.PickupPointFactory()
    with pytest.raises(DomainError) as refused:
        services.create_schedule(point.group, schedule_data(point, **changes))
    assert refused.value.field == field
    assert count(DistributionSchedule) == 0


def test_schedule_refuses_a_pickup_point_of_another_group_or_a_closed_one():
    point = factories.PickupPointFactory()
    foreign = factories.PickupPointFactory()
    closed = factories.PickupPointFactory(group=point.group, active=False)
    for tampered in (foreign.id, closed.id, 999_999, None):
        with pytest.raises(DomainError) as refused:
            services.create_schedule(point.group, schedule_data(point, pickup_point_id=tampered))
        assert refused.value.field == "pickup_point_id"
    assert count(DistributionSchedule) == 0


def test_preview_gives_the_next_dates_without_saving():
    found = services.preview(
        "FREQ=WEEKLY;BYDAY=TU", date(2026, 1, 1), EVENING, today=TODAY, count=8
    )
    assert len(found) == 8
    assert found[0].day == date(2026, 3, 3)
    assert found[0].order_opens_at < found[0].order_closes_at < found[0].starts_at
    assert count(DistributionSchedule) == 0


def test_cancel_and_move_occurrences():
    schedule = factories.DistributionScheduleFactory(starts_on=date(2026, 3, 1))
    services.add_exception(
        schedule,
        occurrence_date=date(2026, 3, 10),
        kind="cancelled",
        today=TODAY,
        reason="Jour férié",
    )
    moved = services.add_exception(
        schedule,
        occurrence_date=date(2026, 3, 17),
        kind="moved",
        today=TODAY,
        moved_to=date(2026, 3, 18),
        start_time=time(17, 0),
        end_time=time(18, 0),
    )
    same_day = services.add_exception(
        schedule,
        occurrence_date=date(2026, 3, 24),
        kind="moved",
        today=TODAY,
        moved_to=date(2026, 3, 24),
        start_time=time(16, 0),
    )
    assert (moved.moved_to, moved.start_time) == (date(2026, 3, 18), time(17, 0))
    assert same_day.end_time is None
    assert count(ScheduleException) == 3


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"occurrence_date": date(2026, 3, 11), "kind": "cancelled"}, "occurrence_date"),
        ({"occurrence_date": date(2026, 2, 24), "kind": "cancelled"}, "occurrence_date"),
        ({"occurrence_date": date(2026, 3, 10), "kind": "moved"}, "moved_to"),
        # Onto the next Tuesday, which already has a distribution of the same rule:
        (
            {"occurrence_date": date(2026, 3, 10), "kind": "moved", "moved_to": date(2026, 3, 17)},
            "moved_to",
        ),
        (
            {"occurrence_date": date(2026, 3, 10), "kind": "moved", "moved_to": date(2026, 3, 1)},
            "moved_to",
        ),
        (
            {"occurrence_date": date(2026, 3, 10), "kind": "moved", "moved_to": date(2026, 3, 10)},
            "moved_to",
        ),
        (
            {
                "occurrence_date": date(2026, 3, 10),
                "kind": "moved",
                "moved_to": date(2026, 3, 11),
                "start_time": time(20, 0),
            },
            "end_time",
        ),
        (
            {"occurrence_date": date(2026, 3, 10), "kind": "cancelled", "reason": "x" * 201},
            "reason",
        ),
        ({"occurrence_date": date(2026, 3, 10), "kind": "dropped"}, "kind"),
    ],
)
def test_bad_exceptions_are_refused(kwargs, field):
    schedule = factories.DistributionScheduleFactory(starts_on=date(2026, 1, 1))
    with pytest.raises(DomainError) as refused:
        services.add_exception(schedule, today=TODAY, **kwargs)
    assert refused.value.field == field
    assert count(ScheduleException) == 0


def test_a_move_may_land_on_a_date_freed_by_another_exception_but_not_twice():
    schedule = factories.DistributionScheduleFactory(starts_on=date(2026, 1, 1))
    services.add_exception(
        schedule, occurrence_date=date(2026, 3, 17), kind="cancelled", today=TODAY
    )
    services.add_exception(
        schedule,
        occurrence_date=date(2026, 3, 10),
        kind="moved",
        moved_to=date(2026, 3, 17),
        today=TODAY,
    )
    with pytest.raises(DomainError, match="déjà une distribution"):
        services.add_exception(
            schedule,
            occurrence_date=date(2026, 3, 24),
            kind="moved",
            moved_to=date(2026, 3, 17),
            today=TODAY,
        )
    with pytest.raises(DomainError, match="déjà une exception"):
        services.add_exception(
            schedule, occurrence_date=date(2026, 3, 10), kind="cancelled", today=TODAY
        )


def test_remove_exception_but_not_a_past_one():
    schedule = factories.DistributionScheduleFactory(starts_on=date(2026, 1, 1))
    coming = services.add_exception(
        schedule, occurrence_date=date(2026, 3, 10), kind="cancelled", today=TODAY
    )
    past = factories.ScheduleExceptionFactory(schedule=schedule, occurrence_date=date(2026, 2, 24))
    services.remove_exception(coming, today=TODAY)
    assert [item.occurrence_date for item in schedule.exceptions] == [date(2026, 2, 24)]
    with pytest.raises(DomainError, match="passée"):
        services.remove_exception(past, today=TODAY)
    assert count(ScheduleException) == 1


def test_a_simultaneous_exception_on_the_same_date_is_refused_in_words():
    schedule = factories.DistributionScheduleFactory(starts_on=date(2026, 1, 1))
    assert schedule.exceptions == []
    # A double click: the other request saved the same date after this one loaded the rule.
    db.session.execute(
        insert(ScheduleException).values(
            schedule_id=schedule.id, occurrence_date=date(2026, 3, 10), kind="cancelled", reason=""
        )
    )
    with pytest.raises(DomainError, match="déjà une exception") as refused:
        services.add_exception(
            schedule, occurrence_date=date(2026, 3, 10), kind="cancelled", today=TODAY
        )
    assert refused.value.field == "occurrence_date"
