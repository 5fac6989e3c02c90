"""The one registry of scheduled jobs.

A job does the work of one *period* (a day, an hour). The runner records each period in
`job_runs`, so a period is done once, by one process, and periods missed while the
scheduler was down are caught up when it starts again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from marketplace.timezones import PARIS

HOUR_KEY_FORMAT = "%Y-%m-%dT%H"


@dataclass(frozen=True)
class Period:
    key: str
    due_at: datetime  # aware, UTC


@dataclass(frozen=True)
class Daily:
    """Once a day at a Paris wall-clock time; the period is the local date.

    On the spring DST day a time that does not exist (02:30) falls an hour later in real
    time; on the autumn day an ambiguous time is its first occurrence: still one period a day.
    """

    at: time

    def period_at(self, due_at_local: datetime) -> Period:
        return Period(due_at_local.date().isoformat(), due_at_local.astimezone(UTC))

    def period_of_day(self, day: date) -> Period:
        return self.period_at(datetime.combine(day, self.at, tzinfo=PARIS))

    def period_of(self, instant: datetime) -> Period:
        """The period an instant belongs to: its Paris date."""
        return self.period_of_day(instant.astimezone(PARIS).date())

    def period_for_key(self, key: str) -> Period:
        """The period named `key` (`YYYY-MM-DD`); ValueError if it is not a date."""
        return self.period_of_day(date.fromisoformat(key))

    def due_periods(self, since: datetime, until: datetime) -> Iterator[Period]:
        """Periods whose due time falls in (since, until], oldest first."""
        # Compare in UTC: two datetimes sharing the PARIS tzinfo compare by wall clock,
        # which is wrong in the autumn hour that happens twice.
        since, until = since.astimezone(UTC), until.astimezone(UTC)
        day = since.astimezone(PARIS).date()
        last_day = until.astimezone(PARIS).date()
        while day <= last_day:
            period = self.period_of_day(day)
            if since < period.due_at <= until:
                yield period
            day += timedelta(days=1)

    def cron_fields(self) -> dict[str, int]:
        return {"hour": self.at.hour, "minute": self.at.minute}


@dataclass(frozen=True)
class Hourly:
    """Once an hour at a given minute; the period is the UTC hour (`YYYY-MM-DDTHH`)."""

    minute: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.minute <= 59:
            raise ValueError(f"Hourly minute must be within 0-59, not {self.minute}.")

    def period_of(self, instant: datetime) -> Period:
        hour = instant.astimezone(UTC).replace(minute=self.minute, second=0, microsecond=0)
        return Period(hour.strftime(HOUR_KEY_FORMAT), hour)

    def period_for_key(self, key: str) -> Period:
        """The period named `key` (`YYYY-MM-DDTHH`, UTC); ValueError if malformed."""
        hour = datetime.strptime(key, HOUR_KEY_FORMAT).replace(minute=self.minute, tzinfo=UTC)
        return Period(key, hour)

    def due_periods(self, since: datetime, until: datetime) -> Iterator[Period]:
        """Periods whose due time falls in (since, until], oldest first."""
        hour = self.period_of(since).due_at
        while hour <= until:
            if since < hour:
                yield Period(hour.strftime(HOUR_KEY_FORMAT), hour)
            hour += timedelta(hours=1)

    def cron_fields(self) -> dict[str, int]:
        return {"minute": self.minute}


MINUTE_KEY_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class Minutely:
    """Every minute; the period is the UTC minute (`YYYY-MM-DDTHH:MM`). Only for work that
    looks at what is due now (the outbox): it catches up its latest minute, never each one."""

    def period_of(self, instant: datetime) -> Period:
        minute = instant.astimezone(UTC).replace(second=0, microsecond=0)
        return Period(minute.strftime(MINUTE_KEY_FORMAT), minute)

    def period_for_key(self, key: str) -> Period:
        """The period named `key` (`YYYY-MM-DDTHH:MM`, UTC); ValueError if malformed."""
        return Period(key, datetime.strptime(key, MINUTE_KEY_FORMAT).replace(tzinfo=UTC))

    def due_periods(self, since: datetime, until: datetime) -> Iterator[Period]:
        """The latest minute in (since, until], if any: earlier minutes have nothing to add."""
        latest = self.period_of(until)
        if since < latest.due_at:
            yield latest

    def cron_fields(self) -> dict[str, int | str]:
        return {"minute": "*"}


Cadence = Daily | Hourly | Minutely
CatchUp = Literal["every", "latest"]
JobFunction = Callable[[Period], str | None]


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunction
    cadence: Cadence
    # "every": each missed period is run in turn (e.g. one reminder per day);
    # "latest": only the newest missed period matters (e.g. "materialise up to N weeks ahead").
    catch_up: CatchUp
    description: str = ""


@dataclass
class JobRegistry:
    jobs: dict[str, Job] = field(default_factory=dict)

    def register(
        self, name: str, cadence: Cadence, catch_up: CatchUp = "latest", description: str = ""
    ) -> Callable[[JobFunction], JobFunction]:
        """Decorator: `@registry.register("name", Daily(time(3, 0)))` on `def job(period)`.

        The function does the period's work with `db.session`, flushes, and returns a short
        summary; the runner commits it together with the run's outcome.
        """
        if catch_up not in get_args(CatchUp):
            raise ValueError(f"catch_up must be one of {get_args(CatchUp)}, not {catch_up!r}.")
        if isinstance(cadence, Minutely) and catch_up != "latest":
            raise ValueError("A job run every minute catches up its latest minute only.")
        if not 0 < len(name) <= 80:  # the job_runs.job_name column
            raise ValueError(f"Job name {name!r} must have 1 to 80 characters.")

        def decorate(func: JobFunction) -> JobFunction:
            if name in self.jobs:
                raise ValueError(f"Job {name!r} is registered twice.")
            self.jobs[name] = Job(name, func, cadence, catch_up, description)
            return func

        return decorate

    def get(self, name: str) -> Job:
        return self.jobs[name]

    def __contains__(self, name: object) -> bool:
        return name in self.jobs

    def __iter__(self) -> Iterator[Job]:
        return iter(sorted(self.jobs.values(), key=lambda job: job.name))


registry = JobRegistry()
