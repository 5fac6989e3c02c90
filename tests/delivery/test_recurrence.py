"""The calendar's pure functions: rules, simple choices, occurrences, exceptions, DST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest

from marketplace.delivery import recurrence, timing
from marketplace.delivery.recurrence import RecurrenceError, SimpleRecurrence
from marketplace.delivery.timing import Timing

EVENING = Timing(
    start_time=time(18, 0),
    end_time=time(19, 30),
    order_opens_days_before=7,
    order_opens_time=time(8, 0),
    order_closes_days_before=2,
    order_closes_time=time(20, 0),
)


@dataclass
class ExceptionStub:
    occurrence_date: date
    kind: str
    moved_to: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    reason: str = ""


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekly_rule_gives_every_tuesday():
    dates = recurrence.occurrences_between(
        "FREQ=WEEKLY;BYDAY=TU", date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 31)
    )
    assert dates == [
        date(2026, 3, 3),
        date(2026, 3, 10),
        date(2026, 3, 17),
        date(2026, 3, 24),
        date(2026, 3, 31),
    ]


def test_every_other_week_counts_from_the_first_date():
    rule = recurrence.build_rule(
        SimpleRecurrence("weekly", weekdays=("TH",), interval=2), date(2026, 1, 8)
    )
    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
    dates = recurrence.occurrences_between(
        rule, date(2026, 1, 8), date(2026, 1, 1), date(2026, 2, 28)
    )
    assert dates == [date(2026, 1, 8), date(2026, 1, 22), date(2026, 2, 5), date(2026, 2, 19)]


def test_second_monday_of_the_month():
    rule = recurrence.build_rule(
        SimpleRecurrence("monthly", position=2, weekday="MO"), date(2026, 1, 1)
    )
    assert rule == "FREQ=MONTHLY;BYDAY=2MO"
    dates = recurrence.occurrences_between(
        rule, date(2026, 1, 1), date(2026, 1, 1), date(2026, 4, 30)
    )
    assert dates == [date(2026, 1, 12), date(2026, 2, 9), date(2026, 3, 9), date(2026, 4, 13)]


def test_last_friday_of_the_month():
    rule = recurrence.build_rule(
        SimpleRecurrence("monthly", position=-1, weekday="FR"), date(2026, 1, 1)
    )
    dates = recurrence.occurrences_between(
        rule, date(2026, 1, 1), date(2026, 1, 1), date(2026, 3, 31)
    )
    assert dates == [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27)]


def test_until_ends_the_calendar_on_that_day_included():
    rule = recurrence.build_rule(
        SimpleRecurrence("weekly", weekdays=("TU",), until=date(2026, 3, 17)), date(2026, 3, 1)
    )
    assert rule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260317"
    dates = recurrence.occurrences_between(
        rule, date(2026, 3, 1), date(2026, 3, 1), date(2026, 12, 31)
    )
    assert dates == [date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 17)]


def test_simple_choices_are_read_back_from_the_rule():
    choice = SimpleRecurrence("weekly", weekdays=("TU", "TH"), interval=2, until=date(2026, 6, 30))
    assert recurrence.simple_recurrence(recurrence.build_rule(choice, date(2026, 1, 1))) == choice
    monthly = SimpleRecurrence("monthly", position=1, weekday="SA")
    assert recurrence.simple_recurrence(recurrence.build_rule(monthly, date(2026, 1, 1))) == monthly
    assert recurrence.simple_recurrence("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24") is None


def test_describe_says_the_rule_in_french():
    assert recurrence.describe("FREQ=WEEKLY;BYDAY=TU") == "Chaque mardi"
    assert recurrence.describe("FREQ=MONTHLY;BYDAY=2MO") == "Le 2e lundi du mois"
    assert recurrence.describe("FREQ=DAILY;BYMONTH=7") is None


@pytest.mark.parametrize(
    "text, normalised",
    [
        ("FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=TU"),
        ("rrule:freq=weekly; byday=tu,th", "FREQ=WEEKLY;BYDAY=TU,TH"),
        ("BYDAY=SA;FREQ=WEEKLY;UNTIL=20261231T225959Z", "FREQ=WEEKLY;BYDAY=SA;UNTIL=20261231"),
    ],
)
def test_valid_rules_are_normalised(text, normalised):
    assert recurrence.validate_rule(text, date(2026, 1, 1)) == normalised


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Indiquez une règle"),
        ("FREQ=HOURLY", "au plus une fois par jour"),
        ("FREQ=MINUTELY;INTERVAL=30", "au plus une fois par jour"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=WEEKLY", "N'écrivez pas de DTSTART"),
        ("FREQ=WEEKLY;BYHOUR=18", "Les heures se règlent"),
        ("FREQ=WEEKLY;BYDAY=XX", "n'est pas valide"),
        ("n'importe quoi", "n'est pas valide"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL doit être"),
        ("FREQ=WEEKLY;UNTIL=2026", "AAAAMMJJ"),
        ("FREQ=WEEKLY;BYDAY=TU;UNTIL=20251231", "aucune date"),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31", "aucune date"),
        ("FREQ=WEEKLY;BYDAY=TU;" + "BYMONTH=1;" * 60, "trop longue"),
    ],
)
def test_invalid_rules_are_refused_in_french(text, message):
    with pytest.raises(RecurrenceError) as refused:
        recurrence.validate_rule(text, date(2026, 1, 1))
    assert message in refused.value.message
    assert refused.value.field == "rrule"


def test_a_rule_without_any_date_is_refused_quickly():
    # dateutil alone would walk every day up to the year 9999 before giving up.
    started = datetime.now()
    with pytest.raises(RecurrenceError):
        recurrence.validate_rule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", date(2026, 1, 1))
    assert (datetime.now() - started).total_seconds() < 3


def test_simple_choices_refuse_an_end_before_the_start_and_no_weekday():
    with pytest.raises(RecurrenceError) as refused:
        recurrence.build_rule(
            SimpleRecurrence("weekly", weekdays=("TU",), until=date(2025, 12, 1)), date(2026, 1, 1)
        )
    assert refused.value.field == "until"
    with pytest.raises(RecurrenceError) as refused:
        recurrence.build_rule(SimpleRecurrence("weekly", weekdays=()), date(2026, 1, 1))
    assert refused.value.field == "weekdays"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"end_time": time(17, 0)}, "end_time"),
        (
            {"order_opens_days_before": 2, "order_opens_time": time(21, 0)},
            "order_opens_days_before",
        ),
        ({"order_closes_days_before": 0, "order_closes_time": time(18, 30)}, "order_closes_time"),
        ({"order_opens_days_before": 90}, "order_opens_days_before"),
    ],
)
def test_timing_refuses_what_the_database_would(changes, field):
    from dataclasses import replace

    with pytest.raises(RecurrenceError) as refused:
        timing.validate_timing(replace(EVENING, **changes))
    assert refused.value.field == field


def test_dst_spring_an_18h_distribution_stays_at_18h_paris():
    before = timing.instants_on(date(2026, 3, 24), EVENING)  # winter time, UTC+1
    after = timing.instants_on(date(2026, 3, 31), EVENING)  # summer time since 29 March
    assert before.starts_at == utc(2026, 3, 24, 17, 0)
    assert before.ends_at == utc(2026, 3, 24, 18, 30)
    assert after.starts_at == utc(2026, 3, 31, 16, 0)
    assert after.ends_at == utc(2026, 3, 31, 17, 30)
    # The window of the 31st opens on the 24th at 08:00 winter time, closes on the 29th
    # (the day clocks change) at 20:00 summer time.
    assert after.order_opens_at == utc(2026, 3, 24, 7, 0)
    assert after.order_closes_at == utc(2026, 3, 29, 18, 0)


def test_dst_autumn_an_18h_distribution_stays_at_18h_paris():
    before = timing.instants_on(date(2026, 10, 20), EVENING)  # summer time, UTC+2
    after = timing.instants_on(date(2026, 10, 27), EVENING)  # winter time since 25 Oct
    assert before.starts_at == utc(2026, 10, 20, 16, 0)
    assert after.starts_at == utc(2026, 10, 27, 17, 0)
    # Opens on the 20th at 08:00 summer time; closes on the 25th at 20:00 winter time.
    assert after.order_opens_at == utc(2026, 10, 20, 6, 0)
    assert after.order_closes_at == utc(2026, 10, 25, 19, 0)


def test_a_time_in_the_spring_gap_still_gives_an_ordered_day():
    night = Timing(time(2, 30), time(3, 0), 0, time(1, 0), 0, time(2, 15))
    instants = timing.instants_on(date(2026, 3, 29), night)
    assert instants.order_opens_at < instants.order_closes_at <= instants.starts_at
    assert instants.starts_at < instants.ends_at


def test_expand_applies_a_cancellation_and_a_move_with_other_hours():
    cancelled = ExceptionStub(date(2026, 3, 10), "cancelled", reason="Jour férié")
    moved = ExceptionStub(
        date(2026, 3, 17),
        "moved",
        moved_to=date(2026, 3, 18),
        start_time=time(17, 0),
        end_time=time(18, 0),
        reason="Salle prise",
    )
    found = timing.expand(
        "FREQ=WEEKLY;BYDAY=TU",
        date(2026, 3, 1),
        EVENING,
        date(2026, 3, 1),
        date(2026, 3, 24),
        [cancelled, moved],
    )
    assert [(item.occurrence_date, item.day, item.cancelled, item.moved) for item in found] == [
        (date(2026, 3, 3), date(2026, 3, 3), False, False),
        (date(2026, 3, 10), date(2026, 3, 10), True, False),
        (date(2026, 3, 17), date(2026, 3, 18), False, True),
        (date(2026, 3, 24), date(2026, 3, 24), False, False),
    ]
    assert found[1].reason == "Jour férié"
    wednesday = found[2]
    assert (wednesday.start_time, wednesday.end_time) == (time(17, 0), time(18, 0))
    assert wednesday.starts_at == utc(2026, 3, 18, 16, 0)
    assert wednesday.ends_at == utc(2026, 3, 18, 17, 0)
    # The window follows the new day: 7 days before the 18th, 2 days before at 20:00.
    assert wednesday.order_opens_at == utc(2026, 3, 11, 7, 0)
    assert wednesday.order_closes_at == utc(2026, 3, 16, 19, 0)


def test_expand_includes_an_occurrence_moved_into_the_range_and_ignores_stray_exceptions():
    moved_in = ExceptionStub(date(2026, 3, 31), "moved", moved_to=date(2026, 3, 20))
    stray = ExceptionStub(date(2026, 3, 12), "cancelled")  # a Thursday: not a date of the rule
    found = timing.expand(
        "FREQ=WEEKLY;BYDAY=TU",
        date(2026, 3, 1),
        EVENING,
        date(2026, 3, 15),
        date(2026, 3, 25),
        [moved_in, stray],
    )
    assert [(item.occurrence_date, item.day) for item in found] == [
        (date(2026, 3, 17), date(2026, 3, 17)),
        (date(2026, 3, 31), date(2026, 3, 20)),
        (date(2026, 3, 24), date(2026, 3, 24)),
    ]


def test_upcoming_gives_the_next_dates_from_a_day():
    found = timing.upcoming("FREQ=WEEKLY;BYDAY=TU", date(2026, 1, 1), EVENING, date(2026, 3, 4), 3)
    assert [item.day for item in found] == [date(2026, 3, 10), date(2026, 3, 17), date(2026, 3, 24)]
