"""Pickup points, calendar rules and their exceptions, and the materialised distribution days.

Services check what people must be told in words (DomainError with the form field to
blame), change the session and flush; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from marketplace.delivery import recurrence
from marketplace.delivery.models import (
    DayStatus,
    DistributionDay,
    DistributionSchedule,
    ExceptionKind,
    PickupPoint,
    ScheduleException,
)
from marketplace.delivery.recurrence import Occurrence, Timing
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group

# Notes the calendar writes on days it cancels by itself. They are stored data, in French
# like the reasons coordinators type, and shown as they are.
NOTE_CANCELLED = "Distribution annulée."
NOTE_NOT_IN_CALENDAR = "Cette date ne fait plus partie du calendrier."
NOTE_SCHEDULE_SUSPENDED = "Calendrier suspendu."
NOTE_POINT_CLOSED = "Lieu de distribution fermé."

MAX_ACCESS_NOTES = 2000
MAX_LABEL = 120
MAX_REASON = 200


def _day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- Pickup points -------------------------------------------------------------------------


@dataclass(frozen=True)
class PickupPointData:
    name: str
    address: str
    postcode: str
    city: str
    latitude: float
    longitude: float
    access_notes: str = ""
    capacity: int | None = None


def _check_pickup_point(group_id: int, data: PickupPointData, point_id: int | None) -> None:
    lengths = {"name": 120, "address": 200, "postcode": 10, "city": 100}
    for name, longest in lengths.items():
        value = getattr(data, name).strip()
        if not value:
            raise DomainError(_("Ce champ est obligatoire."), field=name)
        if len(value) > longest:
            raise DomainError(_("%(max)d caractères au plus.", max=longest), field=name)
    if len(data.access_notes) > MAX_ACCESS_NOTES:
        raise DomainError(
            _("%(max)d caractères au plus.", max=MAX_ACCESS_NOTES), field="access_notes"
        )
    if not -90 <= data.latitude <= 90:
        raise DomainError(_("La latitude doit être comprise entre -90 et 90."), field="latitude")
    if not -180 <= data.longitude <= 180:
        raise DomainError(
            _("La longitude doit être comprise entre -180 et 180."), field="longitude"
        )
    if data.capacity is not None and data.capacity <= 0:
        raise DomainError(_("La capacité doit être d'au moins 1."), field="capacity")
    same_name = select(PickupPoint.id).where(
        PickupPoint.group_id == group_id,
        func.lower(PickupPoint.name) == data.name.strip().lower(),
    )
    if point_id is not None:
        same_name = same_name.where(PickupPoint.id != point_id)
    if db.session.scalar(same_name.limit(1)) is not None:
        raise DomainError(
            _("Le groupe a déjà un lieu de distribution nommé ainsi."), field="name"
        )


def _fill_pickup_point(point: PickupPoint, data: PickupPointData) -> None:
    point.name = data.name.strip()
    point.address = data.address.strip()
    point.postcode = data.postcode.strip()
    point.city = data.city.strip()
    point.latitude = data.latitude
    point.longitude = data.longitude
    point.access_notes = data.access_notes.strip()
    point.capacity = data.capacity


def create_pickup_point(group: Group, data: PickupPointData) -> PickupPoint:
    _check_pickup_point(group.id, data, None)
    point = PickupPoint(group=group, group_id=group.id)
    _fill_pickup_point(point, data)
    db.session.add(point)
    db.session.flush()
    return point


def update_pickup_point(point: PickupPoint, data: PickupPointData) -> PickupPoint:
    _check_pickup_point(point.group_id, data, point.id)
    _fill_pickup_point(point, data)
    db.session.flush()
    return point


def set_pickup_point_active(
    point: PickupPoint, active: bool, *, today: date, horizon_weeks: int
) -> MaterialiseResult:
    """Close or reopen a pickup point; its coming distributions are cancelled or restored."""
    point.active = active
    db.session.flush()
    schedules = db.session.scalars(
        select(DistributionSchedule)
        .where(DistributionSchedule.pickup_point_id == point.id)
        .options(selectinload(DistributionSchedule.exceptions))
    ).all()
    result = MaterialiseResult()
    for schedule in schedules:
        result += materialise_schedule(schedule, today, horizon_weeks)
    return result


# --- Calendar rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleData:
    pickup_point_id: int | None
    label: str
    rrule: str
    starts_on: date
    timing: Timing


def validate_schedule(
    group: Group, data: ScheduleData, schedule: DistributionSchedule | None = None
) -> tuple[PickupPoint, str]:
    """The pickup point and the normalised rule, or DomainError naming the faulty field."""
    point = None
    if data.pickup_point_id is not None:
        point = db.session.get(PickupPoint, data.pickup_point_id)
    keeps_point = schedule is not None and point is not None and point.id == schedule.pickup_point_id
    if point is None or point.group_id != group.id or not (point.active or keeps_point):
        raise DomainError(
            _("Choisissez un des lieux de distribution ouverts du groupe."),
            field="pickup_point_id",
        )
    if len(data.label) > MAX_LABEL:
        raise DomainError(_("%(max)d caractères au plus.", max=MAX_LABEL), field="label")
    rule = recurrence.validate_rule(data.rrule, data.starts_on)
    recurrence.validate_timing(data.timing)
    return point, rule


def _fill_schedule(schedule: DistributionSchedule, data: ScheduleData, point, rule) -> None:
    schedule.pickup_point = point
    schedule.pickup_point_id = point.id
    schedule.label = data.label.strip()
    schedule.rrule = rule
    schedule.starts_on = data.starts_on
    for name, value in asdict(data.timing).items():
        setattr(schedule, name, value)


def create_schedule(group: Group, data: ScheduleData) -> DistributionSchedule:
    point, rule = validate_schedule(group, data)
    schedule = DistributionSchedule(group=group, group_id=group.id)
    _fill_schedule(schedule, data, point, rule)
    db.session.add(schedule)
    db.session.flush()
    return schedule


def update_schedule(schedule: DistributionSchedule, data: ScheduleData) -> DistributionSchedule:
    """Change a rule; materialise it afterwards to move or cancel its coming days."""
    point, rule = validate_schedule(schedule.group, data, schedule)
    _fill_schedule(schedule, data, point, rule)
    db.session.flush()
    return schedule


def set_schedule_active(
    schedule: DistributionSchedule, active: bool, *, today: date, horizon_weeks: int
) -> MaterialiseResult:
    """Suspend or resume a rule; its coming distributions are cancelled or restored."""
    schedule.active = active
    db.session.flush()
    return materialise_schedule(schedule, today, horizon_weeks)


def preview(
    rrule: str,
    starts_on: date,
    timing: Timing,
    *,
    today: date,
    count: int = 8,
    exceptions: Iterable[recurrence.ExceptionLike] = (),
) -> list[Occurrence]:
    """The next `count` distributions a rule would give, with their windows; saves nothing."""
    rule = recurrence.validate_rule(rrule, starts_on)
    recurrence.validate_timing(timing)
    return recurrence.upcoming(rule, starts_on, timing, max(today, starts_on), count, exceptions)


# --- Exceptions ------------------------------------------------------------------------------


def _has_distribution_on(schedule: DistributionSchedule, day: date, ignoring: date) -> bool:
    """Whether the rule already has a distribution on `day`, leaving out occurrence `ignoring`."""
    by_date = {item.occurrence_date: item for item in schedule.exceptions}
    for item in schedule.exceptions:
        if item.occurrence_date != ignoring and item.moved_to == day:
            return True
    if day == ignoring or not recurrence.is_occurrence(schedule.rrule, schedule.starts_on, day):
        return False
    return day not in by_date  # an occurrence cancelled or moved away leaves the day free


def add_exception(
    schedule: DistributionSchedule,
    *,
    occurrence_date: date,
    kind: ExceptionKind | str,
    today: date,
    moved_to: date | None = None,
    start_time: time | None = None,
    end_time: time | None = None,
    reason: str = "",
) -> ScheduleException:
    """Cancel one date of the rule, or move it to another day and/or other hours."""
    if occurrence_date < today:
        raise DomainError(
            _("Cette distribution est passée : elle ne peut plus être modifiée."),
            field="occurrence_date",
        )
    if not recurrence.is_occurrence(schedule.rrule, schedule.starts_on, occurrence_date):
        raise DomainError(
            _(
                "Le %(day)s n'est pas une date de ce calendrier.",
                day=_day_text(occurrence_date),
            ),
            field="occurrence_date",
        )
    if any(item.occurrence_date == occurrence_date for item in schedule.exceptions):
        raise DomainError(
            _("Cette date a déjà une exception : retirez-la d'abord."), field="occurrence_date"
        )
    if len(reason) > MAX_REASON:
        raise DomainError(_("%(max)d caractères au plus.", max=MAX_REASON), field="reason")
    try:
        kind = ExceptionKind(kind)
    except ValueError as error:
        raise DomainError(_("Choisissez : annuler ou déplacer."), field="kind") from error
    if kind == ExceptionKind.CANCELLED:
        moved_to = start_time = end_time = None
    else:
        _check_move(schedule, occurrence_date, moved_to, start_time, end_time, today)
    exception = ScheduleException(
        occurrence_date=occurrence_date,
        kind=kind.value,
        moved_to=moved_to,
        start_time=start_time,
        end_time=end_time,
        reason=reason.strip(),
    )
    schedule.exceptions.append(exception)
    db.session.flush()
    return exception


def _check_move(schedule, occurrence_date, moved_to, start_time, end_time, today) -> None:
    if moved_to is None:
        raise DomainError(_("Indiquez la nouvelle date."), field="moved_to")
    if moved_to < today:
        raise DomainError(_("La nouvelle date est déjà passée."), field="moved_to")
    if moved_to == occurrence_date and start_time is None and end_time is None:
        raise DomainError(
            _("Indiquez une autre date ou d'autres horaires."), field="moved_to"
        )
    if _has_distribution_on(schedule, moved_to, ignoring=occurrence_date):
        raise DomainError(
            _(
                "Ce calendrier a déjà une distribution le %(day)s.",
                day=_day_text(moved_to),
            ),
            field="moved_to",
        )
    timing = Timing.of(schedule)
    moved = replace(
        timing,
        start_time=start_time or timing.start_time,
        end_time=end_time or timing.end_time,
    )
    try:
        recurrence.validate_timing(moved)
    except recurrence.InvalidRecurrence as error:
        field = "end_time" if error.field == "end_time" else "start_time"
        raise DomainError(error.message, field=field) from error


def remove_exception(exception: ScheduleException, *, today: date) -> None:
    """The date goes back to what the rule says; materialise the rule afterwards."""
    days = [exception.occurrence_date, exception.moved_to or exception.occurrence_date]
    if min(days) < today:
        raise DomainError(
            _("Cette distribution est passée : son exception ne peut plus être retirée.")
        )
    exception.schedule.exceptions.remove(exception)
    db.session.flush()


# --- Materialised distribution days ----------------------------------------------------------


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

    def __str__(self) -> str:
        return (
            f"{self.created} distribution(s) créée(s), {self.updated} mise(s) à jour, "
            f"{self.cancelled} annulée(s)"
        )


def _target_values(schedule: DistributionSchedule, item: Occurrence) -> dict:
    if item.cancelled:
        status, note = DayStatus.CANCELLED.value, item.reason or NOTE_CANCELLED
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
        for item in recurrence.expand(
            schedule.rrule,
            schedule.starts_on,
            Timing.of(schedule),
            today,
            scan_until,
            schedule.exceptions,
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
    orphan_note = NOTE_NOT_IN_CALENDAR
    if not schedule.active:
        orphan_note = NOTE_SCHEDULE_SUSPENDED
    elif not schedule.pickup_point.active:
        orphan_note = NOTE_POINT_CLOSED
    for row in coming:
        if row.occurrence_date not in expected and row.status != DayStatus.CANCELLED:
            # Never deleted: orders or volunteer shifts may hang on the row.
            row.status = DayStatus.CANCELLED.value
            row.note = orphan_note
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
        )
        inserted += db.session.execute(statement).rowcount
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
    rows = _rows_to_check([schedule.id], today)[schedule.id]
    result, to_insert = _materialise(schedule, rows, today, until)
    result.created += _insert_days(to_insert)
    db.session.flush()
    return result


def materialise_all(
    today: date, horizon_weeks: int, *, until: date | None = None
) -> MaterialiseResult:
    """Materialise every active rule, and cancel the coming days of suspended ones."""
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
    schedules = db.session.scalars(
        select(DistributionSchedule)
        .where(or_(DistributionSchedule.active.is_(True), has_coming_days))
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
    to_insert = []
    for schedule in schedules:
        counts, missing = _materialise(schedule, rows[schedule.id], today, until)
        result += counts
        to_insert.extend(missing)
    result.created += _insert_days(to_insert)
    db.session.flush()
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
