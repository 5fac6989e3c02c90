"""Coordinators' screens: a group's pickup points and its distribution calendar.

Every screen is for the group's coordinators (and site administrators): others get 403.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.delivery import days, recurrence, services
from marketplace.delivery.forms import ExceptionForm, PickupPointForm, ScheduleForm
from marketplace.delivery.models import (
    DistributionDay,
    DistributionSchedule,
    PickupPoint,
    ScheduleException,
)
from marketplace.delivery.timing import Timing
from marketplace.delivery.timing import upcoming as upcoming_occurrences
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.groups.models import Group
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role
from marketplace.timezones import paris_today

bp = Blueprint("delivery", __name__, url_prefix="/groupes/<slug>/gestion")

NEXT_DATES_PER_RULE = 3
PREVIEW_COUNT = 8


def _managed_group(slug: str) -> Group:
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        abort(404)
    require_role(group, Role.COORDINATOR)
    return group


def _horizon() -> int:
    return current_app.config["DISTRIBUTION_HORIZON_WEEKS"]


def _points(group: Group) -> list[PickupPoint]:
    return list(
        db.session.scalars(
            select(PickupPoint)
            .where(PickupPoint.group_id == group.id)
            .order_by(PickupPoint.active.desc(), PickupPoint.name)
        )
    )


def _point_or_404(group: Group, point_id: int) -> PickupPoint:
    point = db.session.get(PickupPoint, point_id)
    if point is None or point.group_id != group.id:
        abort(404)
    return point


def _schedule_or_404(group: Group, schedule_id: int) -> DistributionSchedule:
    schedule = db.session.get(DistributionSchedule, schedule_id)
    if schedule is None or schedule.group_id != group.id:
        abort(404)
    return schedule


def _flash_changes(message: str, result: days.MaterialiseResult) -> None:
    flash(
        _(
            "%(message)s Distributions ajoutées : %(created)d, modifiées : %(updated)d, "
            "annulées : %(cancelled)d.",
            message=message,
            created=result.created,
            updated=result.updated,
            cancelled=result.cancelled,
        ),
        "success",
    )


# --- Pickup points -----------------------------------------------------------------------------


@bp.get("/lieux")
def pickup_points(slug: str):
    group = _managed_group(slug)
    return render_template(
        "delivery/pickup_points.html", group=group, points=_points(group), action=ConfirmForm()
    )


@bp.route("/lieux/nouveau", methods=["GET", "POST"])
def new_pickup_point(slug: str):
    return _pickup_point_form(_managed_group(slug), None)


@bp.route("/lieux/<int:point_id>/modifier", methods=["GET", "POST"])
def edit_pickup_point(slug: str, point_id: int):
    group = _managed_group(slug)
    return _pickup_point_form(group, _point_or_404(group, point_id))


def _pickup_point_form(group: Group, point: PickupPoint | None):
    form = PickupPointForm.for_point(point)
    if form.validate_on_submit():
        try:
            if point is None:
                services.create_pickup_point(group, form.to_data())
            else:
                services.update_pickup_point(point, form.to_data())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Lieu de distribution enregistré."), "success")
            return redirect(url_for(".pickup_points", slug=group.slug))
    return render_template("delivery/pickup_point_form.html", group=group, point=point, form=form)


@bp.post("/lieux/<int:point_id>/desactiver")
def deactivate_pickup_point(slug: str, point_id: int):
    return _set_point_active(slug, point_id, False)


@bp.post("/lieux/<int:point_id>/reactiver")
def reactivate_pickup_point(slug: str, point_id: int):
    return _set_point_active(slug, point_id, True)


def _set_point_active(slug: str, point_id: int, active: bool):
    group = _managed_group(slug)
    point = _point_or_404(group, point_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    result = services.set_pickup_point_active(
        point, active, today=paris_today(), horizon_weeks=_horizon()
    )
    db.session.commit()
    message = _("Lieu rouvert.") if active else _("Lieu fermé.")
    _flash_changes(message, result)
    return redirect(url_for(".pickup_points", slug=slug))


# --- Calendar ----------------------------------------------------------------------------------


@bp.get("/calendrier")
def calendar(slug: str):
    group = _managed_group(slug)
    today = paris_today()
    points = {point.id: point for point in _points(group)}
    schedules = db.session.scalars(
        select(DistributionSchedule)
        .where(DistributionSchedule.group_id == group.id)
        .options(selectinload(DistributionSchedule.exceptions))
        .order_by(DistributionSchedule.active.desc(), DistributionSchedule.label)
    ).all()
    days = db.session.scalars(
        select(DistributionDay)
        .where(DistributionDay.group_id == group.id, DistributionDay.day >= today)
        .order_by(DistributionDay.day, DistributionDay.starts_at, DistributionDay.id)
    ).all()
    next_by_schedule = defaultdict(list)
    for day in days:
        if not day.is_cancelled and len(next_by_schedule[day.schedule_id]) < NEXT_DATES_PER_RULE:
            next_by_schedule[day.schedule_id].append(day)
    return render_template(
        "delivery/calendar.html",
        group=group,
        points=points,
        schedules=schedules,
        next_by_schedule=next_by_schedule,
        days=days,
        action=ConfirmForm(),
        describe=recurrence.describe,
    )


@bp.route("/calendrier/nouveau", methods=["GET", "POST"])
def new_schedule(slug: str):
    return _schedule_form(_managed_group(slug), None)


@bp.route("/calendrier/<int:schedule_id>/modifier", methods=["GET", "POST"])
def edit_schedule(slug: str, schedule_id: int):
    group = _managed_group(slug)
    return _schedule_form(group, _schedule_or_404(group, schedule_id))


def _schedule_form(group: Group, schedule: DistributionSchedule | None):
    today = paris_today()
    points = _points(group)
    form = ScheduleForm(points, data=ScheduleForm.initial(schedule, today))
    previews = None
    if form.validate_on_submit():
        try:
            data = form.to_data()
            if form.save.data:
                return _save_schedule(group, schedule, data, today)
            exceptions = schedule.exceptions if schedule is not None else ()
            services.validate_schedule(group, data, schedule)
            previews = services.preview(
                data.rrule,
                data.starts_on,
                data.timing,
                today=today,
                count=PREVIEW_COUNT,
                exceptions=exceptions,
                skip_public_holidays=data.skip_public_holidays,
            )
        except DomainError as error:
            db.session.rollback()
            form.show_error(error)
    return render_template(
        "delivery/schedule_form.html",
        group=group,
        schedule=schedule,
        form=form,
        has_points=any(point.active for point in points),
        previews=previews,
    )


def _save_schedule(group, schedule, data: services.ScheduleData, today):
    if schedule is None:
        schedule = services.create_schedule(group, data)
    else:
        services.update_schedule(schedule, data)
    result = days.materialise_schedule(schedule, today, _horizon())
    db.session.commit()
    _flash_changes(_("Calendrier enregistré."), result)
    return redirect(url_for(".calendar", slug=group.slug))


@bp.post("/calendrier/<int:schedule_id>/suspendre")
def suspend_schedule(slug: str, schedule_id: int):
    return _set_schedule_active(slug, schedule_id, False)


@bp.post("/calendrier/<int:schedule_id>/reprendre")
def resume_schedule(slug: str, schedule_id: int):
    return _set_schedule_active(slug, schedule_id, True)


def _set_schedule_active(slug: str, schedule_id: int, active: bool):
    group = _managed_group(slug)
    schedule = _schedule_or_404(group, schedule_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    result = services.set_schedule_active(
        schedule, active, today=paris_today(), horizon_weeks=_horizon()
    )
    db.session.commit()
    _flash_changes(_("Calendrier repris.") if active else _("Calendrier suspendu."), result)
    return redirect(url_for(".calendar", slug=slug))


# --- Exceptions --------------------------------------------------------------------------------


@bp.route("/calendrier/<int:schedule_id>/exceptions", methods=["GET", "POST"])
def schedule_exceptions(slug: str, schedule_id: int):
    group = _managed_group(slug)
    schedule = _schedule_or_404(group, schedule_id)
    today = paris_today()
    form = ExceptionForm()
    if form.validate_on_submit():
        try:
            services.add_exception(
                schedule,
                occurrence_date=form.occurrence_date.data,
                kind=form.kind.data,
                today=today,
                moved_to=form.moved_to.data,
                start_time=form.start_time.data,
                end_time=form.end_time.data,
                reason=form.reason.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "occurrence_date")
        else:
            result = days.materialise_schedule(schedule, today, _horizon())
            db.session.commit()
            _flash_changes(_("Exception enregistrée."), result)
            return redirect(url_for(".schedule_exceptions", slug=slug, schedule_id=schedule.id))
    upcoming = upcoming_occurrences(
        schedule.rrule,
        schedule.starts_on,
        Timing.of(schedule),
        max(today, schedule.starts_on),
        PREVIEW_COUNT,
        schedule.exceptions,
    )
    return render_template(
        "delivery/exceptions.html",
        group=group,
        schedule=schedule,
        form=form,
        upcoming=upcoming,
        today=today,
        action=ConfirmForm(),
        describe=recurrence.describe,
    )


@bp.post("/calendrier/<int:schedule_id>/exceptions/<int:exception_id>/retirer")
def remove_exception(slug: str, schedule_id: int, exception_id: int):
    group = _managed_group(slug)
    schedule = _schedule_or_404(group, schedule_id)
    exception = db.session.get(ScheduleException, exception_id)
    if exception is None or exception.schedule_id != schedule.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    today = paris_today()
    try:
        services.remove_exception(exception, today=today)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        result = days.materialise_schedule(schedule, today, _horizon())
        db.session.commit()
        _flash_changes(_("Exception retirée."), result)
    return redirect(url_for(".schedule_exceptions", slug=slug, schedule_id=schedule.id))
