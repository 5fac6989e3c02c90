"""When each distribution happens: hours, order windows and exceptions applied to a rule's dates.

Pure functions, like `recurrence`: instants are computed from Paris wall-clock times, so an
18:00 distribution stays at 18:00 across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Protocol

from flask_babel import gettext as _

from marketplace.delivery.recurrence import (
    RecurrenceError,
    is_occurrence,
    next_occurrence_dates,
    occurrences_between,
)
from marketplace.timezones import local_instant


@dataclass(frozen=True)
class Timing:
    """Paris wall-clock hours of a distribution and of its order window."""

    start_time: time
    end_time: time
    order_opens_days_before: int
    order_opens_time: time
    order_closes_days_before: int
    order_closes_time: time

    @classmethod
    def of(cls, schedule) -> Timing:
        """The timing of a DistributionSchedule (or any object with the same attributes)."""
        return cls(
            schedule.start_time,
            schedule.end_time,
            schedule.order_opens_days_before,
            schedule.order_opens_time,
            schedule.order_closes_days_before,
            schedule.order_closes_time,
        )


MAX_DAYS_BEFORE = 60


def validate_timing(timing: Timing) -> None:
    """The checks of the database constraints, in words; `field` names the input to fix."""
    if timing.end_time <= timing.start_time:
        raise RecurrenceError(
            _("L'heure de fin doit être après l'heure de début."), field="end_time"
        )
    for name in ("order_opens_days_before", "order_closes_days_before"):
        if not 0 <= getattr(timing, name) <= MAX_DAYS_BEFORE:
            raise RecurrenceError(
                _("Indiquez un nombre de jours entre 0 et %(max)d.", max=MAX_DAYS_BEFORE), name
            )
    opens = (-timing.order_opens_days_before, timing.order_opens_time)
    closes = (-timing.order_closes_days_before, timing.order_closes_time)
    if opens >= closes:
        raise RecurrenceError(
            _("Les commandes doivent ouvrir avant de fermer."), field="order_opens_days_before"
        )
    if timing.order_closes_days_before == 0 and timing.order_closes_time > timing.start_time:
        raise RecurrenceError(
            _("Les commandes doivent fermer au plus tard au début de la distribution."),
            field="order_closes_time",
        )


@dataclass(frozen=True)
class Instants:
    starts_at: datetime
    ends_at: datetime
    order_opens_at: datetime
    order_closes_at: datetime


def instants_on(day: date, timing: Timing) -> Instants:
    """The UTC instants of a distribution on `day` (Paris hours, DST-aware)."""
    starts_at = local_instant(day, timing.start_time)
    ends_at = local_instant(day, timing.end_time)
    opens_day = day - timedelta(days=timing.order_opens_days_before)
    closes_day = day - timedelta(days=timing.order_closes_days_before)
    opens_at = local_instant(opens_day, timing.order_opens_time)
    closes_at = local_instant(closes_day, timing.order_closes_time)
    # A wall-clock time inside the spring DST gap (02:00-03:00) can squeeze an interval to
    # nothing; keep the order the database requires rather than fail the whole calendar.
    ends_at = max(ends_at, starts_at + timedelta(minutes=1))
    closes_at = min(closes_at, starts_at)
    opens_at = min(opens_at, closes_at - timedelta(minutes=1))
    return Instants(starts_at, ends_at, opens_at, closes_at)


# --- Exceptions and occurrences with their instants ------------------------------------------


class ExceptionLike(Protocol):
    occurrence_date: date
    kind: str
    moved_to: date | None
    start_time: time | None
    end_time: time | None
    reason: str


@dataclass(frozen=True)
class Occurrence:
    """One date of a calendar, after its exception if any."""

    occurrence_date: date  # the date the rule gives
    day: date  # the date it really happens (differs when moved)
    start_time: time
    end_time: time
    instants: Instants
    cancelled: bool = False
    moved: bool = False
    reason: str = ""
    # The calendar's own note (a public holiday): its kind and parameters (delivery.day_notes).
    note_key: str | None = None
    note_params: tuple[tuple[str, str], ...] = ()

    @property
    def starts_at(self) -> datetime:
        return self.instants.starts_at

    @property
    def ends_at(self) -> datetime:
        return self.instants.ends_at

    @property
    def order_opens_at(self) -> datetime:
        return self.instants.order_opens_at

    @property
    def order_closes_at(self) -> datetime:
        return self.instants.order_closes_at


def exception_timing(timing: Timing, exception: ExceptionLike) -> Timing:
    """The timing of one occurrence: the exception's own hours replace the rule's."""
    return replace(
        timing,
        start_time=exception.start_time or timing.start_time,
        end_time=exception.end_time or timing.end_time,
    )


def occurrence(day: date, timing: Timing, exception: ExceptionLike | None = None) -> Occurrence:
    if exception is None:
        return Occurrence(day, day, timing.start_time, timing.end_time, instants_on(day, timing))
    if exception.kind == "cancelled":
        return Occurrence(
            day,
            day,
            timing.start_time,
            timing.end_time,
            instants_on(day, timing),
            cancelled=True,
            reason=exception.reason,
            note_key=getattr(exception, "note_key", None),
            note_params=getattr(exception, "note_params", ()),
        )
    moved_timing = exception_timing(timing, exception)
    moved_to = exception.moved_to or day
    return Occurrence(
        day,
        moved_to,
        moved_timing.start_time,
        moved_timing.end_time,
        instants_on(moved_to, moved_timing),
        moved=True,
        reason=exception.reason,
        note_key=getattr(exception, "note_key", None),
        note_params=getattr(exception, "note_params", ()),
    )


def expand(
    text: str,
    starts_on: date,
    timing: Timing,
    first: date,
    last: date,
    exceptions: Iterable[ExceptionLike] = (),
) -> list[Occurrence]:
    """The occurrences whose rule date or real date falls from `first` to `last`, by day.

    An occurrence moved into the range from a rule date outside it is included; an
    exception on a date the rule does not give is ignored.
    """
    by_date = {exception.occurrence_date: exception for exception in exceptions}
    dates = set(occurrences_between(text, starts_on, first, last))
    for exception in by_date.values():
        moved_in = exception.moved_to is not None and first <= exception.moved_to <= last
        if (
            moved_in
            and exception.occurrence_date not in dates
            and is_occurrence(text, starts_on, exception.occurrence_date)
        ):
            dates.add(exception.occurrence_date)
    found = [occurrence(day, timing, by_date.get(day)) for day in dates]
    return sorted(found, key=lambda item: (item.day, item.starts_at))


def upcoming(
    text: str,
    starts_on: date,
    timing: Timing,
    from_day: date,
    count: int,
    exceptions: Iterable[ExceptionLike] = (),
) -> list[Occurrence]:
    """The next `count` dates of the rule from `from_day`, with their exceptions applied."""
    by_date = {exception.occurrence_date: exception for exception in exceptions}
    dates = next_occurrence_dates(text, starts_on, from_day, count)
    found = [occurrence(day, timing, by_date.get(day)) for day in dates]
    return sorted(found, key=lambda item: (item.day, item.starts_at))
