"""Cadences: when a period is due, in Paris time, across daylight-saving changes."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from marketplace.scheduler.registry import Daily, Hourly, JobRegistry, Minutely, Period
from marketplace.timezones import PARIS


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_daily_job_at_three_is_due_at_two_utc_in_winter_and_one_utc_in_summer():
    cadence = Daily(time(3, 0))

    winter = list(cadence.due_periods(utc(2025, 1, 14, 12), utc(2025, 1, 16, 12)))
    summer = list(cadence.due_periods(utc(2025, 7, 14, 12), utc(2025, 7, 16, 12)))

    assert winter == [
        Period("2025-01-15", utc(2025, 1, 15, 2)),
        Period("2025-01-16", utc(2025, 1, 16, 2)),
    ]
    assert summer == [
        Period("2025-07-15", utc(2025, 7, 15, 1)),
        Period("2025-07-16", utc(2025, 7, 16, 1)),
    ]


@pytest.mark.parametrize("change_day", [date(2025, 3, 30), date(2025, 10, 26)])
@pytest.mark.parametrize("at", [time(3, 0), time(2, 30), time(2, 0), time(0, 0), time(23, 30)])
def test_each_daylight_saving_change_day_yields_exactly_one_period(change_day, at):
    since = datetime.combine(change_day - timedelta(days=1), time(12), tzinfo=PARIS)
    until = datetime.combine(change_day + timedelta(days=1), time(12), tzinfo=PARIS)

    periods = list(Daily(at).due_periods(since, until))
    keys = [period.key for period in periods]

    assert keys.count(change_day.isoformat()) == 1
    assert keys == sorted(set(keys))
    assert [period.due_at for period in periods] == sorted(period.due_at for period in periods)


def test_the_dst_days_due_instants_at_three_oclock():
    cadence = Daily(time(3, 0))
    assert cadence.period_for_key("2025-03-30").due_at == utc(2025, 3, 30, 1)
    assert cadence.period_for_key("2025-10-26").due_at == utc(2025, 10, 26, 2)


@pytest.mark.parametrize(
    "after", [datetime(2025, 3, 29, 12, tzinfo=PARIS), datetime(2025, 10, 25, 12, tzinfo=PARIS)]
)
def test_the_cron_trigger_fires_when_the_period_falls_due(after):
    """APScheduler's trigger and the catch-up computation agree on the instant."""
    cadence = Daily(time(3, 0))
    trigger = CronTrigger(timezone=PARIS, **cadence.cron_fields())

    fire_time = trigger.get_next_fire_time(None, after)
    [period] = cadence.due_periods(after, after + timedelta(days=1))

    assert fire_time == period.due_at


def test_an_hourly_job_has_one_period_per_utc_hour_even_on_the_25_hour_day():
    # 26 October 2025 in Paris lasts 25 hours.
    since = datetime(2025, 10, 26, 0, 0, tzinfo=PARIS) - timedelta(seconds=1)
    until = datetime(2025, 10, 27, 0, 0, tzinfo=PARIS) - timedelta(seconds=1)

    periods = list(Hourly(minute=15).due_periods(since, until))

    assert len(periods) == 25
    assert len({period.key for period in periods}) == 25
    assert periods[0] == Period("2025-10-25T22", utc(2025, 10, 25, 22, 15))


def test_period_keys_name_the_period_they_come_from():
    assert Daily(time(3)).period_of(utc(2025, 6, 1, 23, 30)).key == "2025-06-02"  # Paris date
    assert Hourly(5).period_of(utc(2025, 6, 1, 23, 30)) == Period(
        "2025-06-01T23", utc(2025, 6, 1, 23, 5)
    )
    assert Hourly(5).period_for_key("2025-06-01T23").due_at == utc(2025, 6, 1, 23, 5)
    with pytest.raises(ValueError):
        Daily(time(3)).period_for_key("demain")
    with pytest.raises(ValueError):
        Hourly().period_for_key("2025-06-01")


def test_the_registry_refuses_a_name_twice_and_an_unknown_catch_up():
    registry = JobRegistry()
    registry.register("once", Daily(time(3)))(lambda period: None)

    with pytest.raises(ValueError):
        registry.register("once", Daily(time(4)))(lambda period: None)
    with pytest.raises(ValueError):
        registry.register("other", Daily(time(3)), catch_up="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Hourly(minute=60)
    assert [job.name for job in registry] == ["once"]


def test_a_minutely_job_only_ever_runs_its_latest_minute():
    cadence = Minutely()

    due = list(cadence.due_periods(utc(2025, 1, 14, 12), utc(2025, 1, 21, 12, 7, 30)))

    assert due == [Period("2025-01-21T12:07", utc(2025, 1, 21, 12, 7))]
    assert cadence.period_for_key("2025-01-21T12:07") == due[0]
    assert list(cadence.due_periods(utc(2025, 1, 21, 12, 7, 10), utc(2025, 1, 21, 12, 7, 30))) == []
    CronTrigger(timezone=PARIS, **cadence.cron_fields())  # APScheduler accepts it
    with pytest.raises(ValueError):
        cadence.period_for_key("2025-01-21T12")
    with pytest.raises(ValueError, match="latest minute"):
        JobRegistry().register("every_minute", cadence, catch_up="every")
