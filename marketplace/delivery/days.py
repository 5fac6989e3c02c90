"""Distribution days: materialising calendar rules into dated rows, and reading the next ones.

Materialisation is idempotent: rows are inserted when missing, coming rows updated when their
rule or exception changed, and never deleted (other data hangs on them); past rows never change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from marketplace.db import utcnow
from marketplace.delivery import followers
from marketplace.delivery.holidays import with_public_holidays
from marketplace.delivery.models import (
    DayStatus,
    DistributionDay,
    DistributionSchedule,
    ScheduleException,
)
from marketplace.delivery.timing import Occurrence, Timing, expand
from marketplace.extensions import db

MAX_ACCESS_NOTES = 2000
MAX_LABEL = 120
MAX_REASON = 200

# Notes the calendar writes on days it cancels by itself: stored in French with their kind
# (delivery.day_notes), shown in the reader's language; a coordinator's reason is shown as typed.
NOTE_CANCELLED = "Distribution annulée."
NOTE_NOT_IN_CALENDAR = "Cette date ne fait plus partie du calendrier."
NOTE_SCHEDULE_SUSPENDED = "Calendrier suspendu."
NOTE_POINT_CLOSED = "Lieu de distribution fermé."


@dataclass
class MaterialiseResult:
    """Rows inserted (scheduled or cancelled), rows changed, and rows newly cancelled."""

    created: int = 0
    updated: int = 0
    cancelled: int = 0

    def __iadd__(self, other: MaterialiseResult) -> MaterialiseResult:
        self.created += other.created
        self.updated += other.updated
        self.cancelled += other.cancelled
        return self

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.cancelled)

    def __str__(self) -> str:
        return (
            f"{self.created} distribution(s) créée(s), {self.updated} mise(s) à jour, "
            f"{self.cancelled} annulée(s)"
        )


def _target_values(schedule: DistributionSchedule, item: Occurrence) -> dict:
    key, params = (item.note_key, dict(item.note_params) or None) if item.reason else (None, None)
    if item.cancelled:
        status, note = DayStatus.CANCELLED.value, item.reason
        if not note:
            note, key = NOTE_CANCELLED, "cancelled"
    else:
        status, note = DayStatus.SCHEDULED.value, item.reason
    return {
        "pickup_point_id": schedule.pickup_point_id,
        "day": item.day,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "order_opens_at": item.order_opens_at,
        "order_closes_at": item.order_closes_at,
        "status": status,
        "note": note[:MAX_REASON],
        "note_key": key,
        "note_params": params,
    }


def _rows_to_check(schedule_ids: list[int], today: date) -> dict[int, list[DistributionDay]]:
    """Coming rows, and rows whose rule date is coming or carries an exception."""
    with_exception = exists().where(
        ScheduleException.schedule_id == DistributionDay.schedule_id,
        ScheduleException.occurrence_date == DistributionDay.occurrence_date,
    )
    rows = db.session.scalars(
        select(DistributionDay).where(
            DistributionDay.schedule_id.in_(schedule_ids),
            or_(
                DistributionDay.day >= today,
                DistributionDay.occurrence_date >= today,
                with_exception,
            ),
        )
    ).all()
    by_schedule: dict[int, list[DistributionDay]] = defaultdict(list)
    for row in rows:
        by_schedule[row.schedule_id].append(row)
    return by_schedule


def _materialise(
    schedule: DistributionSchedule, rows: list[DistributionDay], today: date, until: date
) -> tuple[MaterialiseResult, list[dict]]:
    """Update `rows` in place; return the counts and the rows to insert."""
    result = MaterialiseResult()
    coming = [row for row in rows if row.day >= today]
    expected: dict[date, Occurrence] = {}
    if schedule.active and schedule.pickup_point.active:
        # Look as far as the furthest existing row, so none is wrongly taken for an orphan.
        scan_until = max([until, *(r.day for r in coming), *(r.occurrence_date for r in coming)])
        exceptions = list(schedule.exceptions)
        if schedule.skip_public_holidays:
            # Every date the rule gives follows the holidays, however far ahead it lies.
            exceptions = with_public_holidays(exceptions, today, scan_until)
        for item in expand(
            schedule.rrule,
            schedule.starts_on,
            Timing.of(schedule),
            today,
            scan_until,
            exceptions,
        ):
            if item.day >= today:
                expected[item.occurrence_date] = item
    by_date = {row.occurrence_date: row for row in rows}
    to_insert = []
    for occurrence_date, item in expected.items():
        values = _target_values(schedule, item)
        row = by_date.get(occurrence_date)
        if row is None:
            if item.day <= until:
                to_insert.append(
                    {"schedule_id": schedule.id, "group_id": schedule.group_id}
                    | {"occurrence_date": occurrence_date}
                    | values
                )
            continue
        if row.day < today:
            continue  # past rows never change
        changes = {name: value for name, value in values.items() if getattr(row, name) != value}
        if not changes:
            continue
        if changes.get("status") == DayStatus.CANCELLED:
            result.cancelled += 1
        else:
            result.updated += 1
        for name, value in changes.items():
            setattr(row, name, value)
    orphan_note, orphan_key = NOTE_NOT_IN_CALENDAR, "not_in_calendar"
    if not schedule.active:
        orphan_note, orphan_key = NOTE_SCHEDULE_SUSPENDED, "schedule_suspended"
    elif not schedule.pickup_point.active:
        orphan_note, orphan_key = NOTE_POINT_CLOSED, "point_closed"
    for row in coming:
        if row.occurrence_date not in expected and row.status != DayStatus.CANCELLED:
            # Never deleted: orders or volunteer shifts may hang on the row.
            row.status = DayStatus.CANCELLED.value
            row.note, row.note_key, row.note_params = orphan_note, orphan_key, None
            result.cancelled += 1
    return result, to_insert


def _insert_days(values: list[dict]) -> int:
    """Insert rows, skipping any another process inserted meanwhile; the count inserted."""
    if not values:
        return 0
    dialect = db.session.get_bind().dialect.name
    dialect_insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if dialect_insert is None:
        db.session.add_all(DistributionDay(**row) for row in values)
        db.session.flush()
        return len(values)
    db.session.flush()
    inserted = 0
    for start in range(0, len(values), 500):
        statement = (
            dialect_insert(DistributionDay)
            .values(values[start : start + 500])
            .on_conflict_do_nothing(index_elements=["schedule_id", "occurrence_date"])
            .returning(DistributionDay.id)
        )
        inserted += len(db.session.execute(statement).all())
    return inserted


def materialise_schedule(
    schedule: DistributionSchedule, today: date, horizon_weeks: int, *, until: date | None = None
) -> MaterialiseResult:
    """Bring the rule's distribution days from `today` to the horizon in line with the rule.

    Inserts missing days, updates coming days whose date, hours, window, place or
    exception changed, cancels coming days the rule no longer gives; past days never
    change. Running it again changes nothing.
    """
    until = until or today + timedelta(weeks=horizon_weeks)
    db.session.flush()
    until = max(
        until, followers.days_needed_until([schedule.group_id]).get(schedule.group_id, until)
    )
    rows = _rows_to_check([schedule.id], today)[schedule.id]
    result, to_insert = _materialise(schedule, rows, today, until)
    result.created += _insert_days(to_insert)
    db.session.flush()
    if result.changed:
        followers.announce_changes({schedule.group_id}, utcnow())
    return result


def materialise_all(
    today: date,
    horizon_weeks: int,
    *,
    until: date | None = None,
    group_ids: Collection[int] | None = None,
) -> MaterialiseResult:
    """Materialise every active rule (of `group_ids`, or of every group), and cancel the coming
    days of suspended ones; each group's days reach at least the end of its seasons."""
    until = until or today + timedelta(weeks=horizon_weeks)
    db.session.flush()
    has_coming_days = (
        exists()
        .where(
            DistributionDay.schedule_id == DistributionSchedule.id,
            DistributionDay.day >= today,
            DistributionDay.status == DayStatus.SCHEDULED.value,
        )
        .correlate(DistributionSchedule)
    )
    in_groups = true() if group_ids is None else DistributionSchedule.group_id.in_(list(group_ids))
    schedules = db.session.scalars(
        select(DistributionSchedule)
        .where(or_(DistributionSchedule.active.is_(True), has_coming_days), in_groups)
        .options(
            joinedload(DistributionSchedule.pickup_point),
            selectinload(DistributionSchedule.exceptions),
        )
        .order_by(DistributionSchedule.id)
    ).all()
    result = MaterialiseResult()
    if not schedules:
        return result
    rows = _rows_to_check([schedule.id for schedule in schedules], today)
    # A season contract needs every day of its season, beyond the horizon.
    needed = followers.days_needed_until(group_ids)
    to_insert = []
    changed_groups: set[int] = set()
    for schedule in schedules:
        schedule_until = max(until, needed.get(schedule.group_id, until))
        counts, missing = _materialise(schedule, rows[schedule.id], today, schedule_until)
        result += counts
        to_insert.extend(missing)
        if counts.changed or missing:
            changed_groups.add(schedule.group_id)
    result.created += _insert_days(to_insert)
    db.session.flush()
    followers.announce_changes(changed_groups, utcnow())
    return result


def next_days(
    pickup_point_ids: Iterable[int] | None,
    from_instant: datetime,
    limit_per_point: int = 3,
    *,
    group_ids: Iterable[int] | None = None,
    include_cancelled: bool = True,
) -> list[DistributionDay]:
    """The next `limit_per_point` days of each pickup point not over at `from_instant`.

    One query whatever the number of points (a window function ranks each point's days);
    each day comes with its `pickup_point` loaded. Select by pickup point ids, by group ids,
    or both (a day must match both). Ordered by pickup point id, then start.
    """
    if pickup_point_ids is None and group_ids is None:
        raise ValueError("next_days needs pickup point ids or group ids.")
    conditions = [DistributionDay.ends_at > from_instant]
    for column, ids in (
        (DistributionDay.pickup_point_id, pickup_point_ids),
        (DistributionDay.group_id, group_ids),
    ):
        if ids is not None:
            ids = list(ids)
            if not ids:
                return []
            conditions.append(column.in_(ids))
    if not include_cancelled:
        conditions.append(DistributionDay.status == DayStatus.SCHEDULED.value)
    rank = (
        func.row_number()
        .over(
            partition_by=DistributionDay.pickup_point_id,
            order_by=(DistributionDay.starts_at, DistributionDay.id),
        )
        .label("rank")
    )
    ranked = select(DistributionDay.id, rank).where(*conditions).subquery()
    return list(
        db.session.scalars(
            select(DistributionDay)
            .join(ranked, ranked.c.id == DistributionDay.id)
            .where(ranked.c.rank <= limit_per_point)
            .options(joinedload(DistributionDay.pickup_point))
            .order_by(DistributionDay.pickup_point_id, DistributionDay.starts_at)
        )
    )
