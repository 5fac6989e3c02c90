"""The one registry of scheduled jobs.

A job does the work of one *period* (a day, an hour). The runner records each period in
`job_runs`, so a period is done once, by one process, and periods missed while the
scheduler was down are caught up when it starts again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from marketplace.timezones import PARIS


@dataclass(frozen=True)
class Period:
    key: str
    due_at: datetime  # aware, UTC


@dataclass(frozen=True)
class Daily:
    """Once a day at a Paris wall-clock time; the period is the local date."""

    at: time

    def period_at(self, due_at_local: datetime) -> Period:
        return Period(due_at_local.date().isoformat(), due_at_local.astimezone(UTC))

    def due_periods(self, since: datetime, until: datetime) -> Iterator[Period]:
        """Periods whose due time falls in (since, until], oldest first."""
        day = since.astimezone(PARIS).date()
        last_day = until.astimezone(PARIS).date()
        while day <= last_day:
            due_local = datetime.combine(day, self.at, tzinfo=PARIS)
            if since < due_local <= until:
                yield self.period_at(due_local)
            day += timedelta(days=1)

    def cron_fields(self) -> dict[str, int]:
        return {"hour": self.at.hour, "minute": self.at.minute}


@dataclass(frozen=True)
class Hourly:
    """Once an hour at a given minute; the period is the UTC hour."""

    minute: int = 0

    def due_periods(self, since: datetime, until: datetime) -> Iterator[Period]:
        hour = since.astimezone(UTC).replace(minute=self.minute, second=0, microsecond=0)
        while hour <= until:
            if since < hour:
                yield Period(hour.strftime("%Y-%m-%dT%H"), hour)
            hour += timedelta(hours=1)

    def cron_fields(self) -> dict[str, int]:
        return {"minute": self.minute}


Cadence = Daily | Hourly
CatchUp = Literal["every", "latest"]


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[Period], str | None]
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
    ) -> Callable[[Callable[[Period], str | None]], Callable[[Period], str | None]]:
        """Decorator: `@registry.register("name", Daily(time(3, 0)))` on `def job(period)`.

        The function does the period's work with `db.session`, flushes, and returns a short
        summary; the runner commits it together with the run's outcome.
        """

        def decorate(func: Callable[[Period], str | None]) -> Callable[[Period], str | None]:
            if name in self.jobs:
                raise ValueError(f"Job {name!r} is registered twice.")
            self.jobs[name] = Job(name, func, cadence, catch_up, description)
            return func

        return decorate

    def get(self, name: str) -> Job:
        return self.jobs[name]

    def __iter__(self) -> Iterator[Job]:
        return iter(sorted(self.jobs.values(), key=lambda job: job.name))


registry = JobRegistry()


def load_jobs() -> JobRegistry:
    """Import every domain's jobs module so their jobs are in the registry."""
    import marketplace.delivery.jobs  # noqa: F401

    return registry
