"""Pickup points, calendar rules and their exceptions.

Services check what people must be told in words (DomainError with the form field to
blame), change the session and flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.delivery import recurrence
from marketplace.delivery.days import MaterialiseResult, materialise_schedule
from marketplace.delivery.holidays import with_public_holidays
from marketplace.delivery.models import (
    DistributionSchedule,
    ExceptionKind,
    PickupPoint,
    ScheduleException,
)
from marketplace.delivery.timing import ExceptionLike, Occurrence, Timing, upcoming, validate_timing
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group

# Notes the calendar writes on days it cancels by itself. They are stored data, in French
# like the reasons coordinators type, and shown as they are.

MAX_ACCESS_NOTES = 2000
MAX_LABEL = 120
MAX_REASON = 200


def _day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _flush_or_refuse(message: str, field: str) -> None:
    """Flush; a unique constraint broken by a simultaneous request (a double click) becomes
    the same refusal the check before it gives. The caller rolls back."""
    try:
        db.session.flush()
    except IntegrityError as error:
        raise DomainError(message, field=field) from error


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
            raise DomainError(_("%(max)d caractères au maximum.", max=longest), field=name)
    if len(data.access_notes) > MAX_ACCESS_NOTES:
        raise DomainError(
            _("%(max)d caractères au maximum.", max=MAX_ACCESS_NOTES), field="access_notes"
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
        raise DomainError(_("Le groupe a déjà un lieu de distribution nommé ainsi."), field="name")


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
    _flush_or_refuse(_("Le groupe a déjà un lieu de distribution nommé ainsi."), "name")
    return point


def update_pickup_point(point: PickupPoint, data: PickupPointData) -> PickupPoint:
    _check_pickup_point(point.group_id, data, point.id)
    _fill_pickup_point(point, data)
    _flush_or_refuse(_("Le groupe a déjà un lieu de distribution nommé ainsi."), "name")
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
    skip_public_holidays: bool = False


def validate_schedule(
    group: Group, data: ScheduleData, schedule: DistributionSchedule | None = None
) -> tuple[PickupPoint, str]:
    """The pickup point and the normalised rule, or DomainError naming the faulty field."""
    point = None
    if data.pickup_point_id is not None:
        point = db.session.get(PickupPoint, data.pickup_point_id)
    keeps_point = (
        schedule is not None and point is not None and point.id == schedule.pickup_point_id
    )
    if point is None or point.group_id != group.id or not (point.active or keeps_point):
        raise DomainError(
            _("Choisissez un des lieux de distribution ouverts du groupe."),
            field="pickup_point_id",
        )
    if len(data.label) > MAX_LABEL:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_LABEL), field="label")
    rule = recurrence.validate_rule(data.rrule, data.starts_on)
    validate_timing(data.timing)
    return point, rule


def _fill_schedule(schedule: DistributionSchedule, data: ScheduleData, point, rule) -> None:
    schedule.pickup_point = point
    schedule.pickup_point_id = point.id
    schedule.label = data.label.strip()
    schedule.rrule = rule
    schedule.starts_on = data.starts_on
    schedule.skip_public_holidays = data.skip_public_holidays
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
    exceptions: Iterable[ExceptionLike] = (),
    skip_public_holidays: bool = False,
) -> list[Occurrence]:
    """The next `count` distributions a rule would give, with their windows; saves nothing."""
    rule = recurrence.validate_rule(rrule, starts_on)
    validate_timing(timing)
    first = max(today, starts_on)
    if skip_public_holidays:
        # A year of holidays covers any preview of a few weeks, even a monthly rule's.
        exceptions = with_public_holidays(exceptions, first, first + timedelta(days=366 * 2))
    return upcoming(rule, starts_on, timing, first, count, exceptions)


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
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_REASON), field="reason")
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
    _flush_or_refuse(_("Cette date a déjà une exception : retirez-la d'abord."), "occurrence_date")
    return exception


def _check_move(schedule, occurrence_date, moved_to, start_time, end_time, today) -> None:
    if moved_to is None:
        raise DomainError(_("Indiquez la nouvelle date."), field="moved_to")
    if moved_to < today:
        raise DomainError(_("La nouvelle date est déjà passée."), field="moved_to")
    if moved_to == occurrence_date and start_time is None and end_time is None:
        raise DomainError(_("Indiquez une autre date ou d'autres horaires."), field="moved_to")
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
        validate_timing(moved)
    except recurrence.RecurrenceError as error:
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
