"""Shift pages of a group: members sign up, coordinators define roles, follow staffing,
assign people; the lead volunteer or a coordinator notes attendance after the day.

Members (anyone holding a role in the group) see the shifts page; the other pages are for
coordinators, the attendance page also for the day's lead. Others get 403.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.groups.models import Group
from marketplace.organisations.access import has_role, require_role
from marketplace.organisations.models import Role
from marketplace.shifts import queries, roles, roster, signups
from marketplace.shifts.forms import (
    ATTENDANCE_CHOICES,
    ATTENDANCE_VALUES,
    AssignForm,
    RoleForm,
    attendance_value,
)
from marketplace.shifts.models import ShiftSignup, VolunteerRole
from marketplace.timezones import paris_today

bp = Blueprint("shifts", __name__, url_prefix="/groupes/<int:group_id>/permanences")

WEEKS_AHEAD = 8


def _group_or_404(group_id: int) -> Group:
    group = db.session.scalar(select(Group).where(Group.id == group_id))
    if group is None:
        abort(404)
    return group


def _member_group(group_id: int) -> Group:
    group = _group_or_404(group_id)
    if not (current_user.is_admin or signups.is_group_member(group.id, current_user.id)):
        abort(403)
    return group


def _coordinated_group(group_id: int) -> Group:
    group = _group_or_404(group_id)
    require_role(group, Role.COORDINATOR)
    return group


def _day_or_404(group: Group, day_id: int) -> DistributionDay:
    day = db.session.get(DistributionDay, day_id)
    if day is None or day.group_id != group.id:
        abort(404)
    return day


def _role_or_404(group: Group, role_id: int) -> VolunteerRole:
    role = db.session.get(VolunteerRole, role_id)
    if role is None or role.group_id != group.id:
        abort(404)
    return role


def _signup_or_404(group: Group, signup_id: int) -> ShiftSignup:
    signup = db.session.get(ShiftSignup, signup_id)
    if signup is None or signup.distribution_day.group_id != group.id:
        abort(404)
    return signup


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _coming_staffing(group: Group):
    now = utcnow()
    until = paris_today(now) + timedelta(weeks=WEEKS_AHEAD)
    return queries.staffing_of(queries.coming_days(group.id, now, until))


# --- Members -----------------------------------------------------------------------------------


@bp.get("")
def index(group_id: int):
    group = _member_group(group_id)
    now = utcnow()
    return render_template(
        "shifts/index.html",
        group=group,
        staffing=_coming_staffing(group),
        mine=queries.my_shifts(current_user.id, now, group.id),
        now=now,
        cancel_deadline=signups.cancel_deadline,
        is_coordinator=has_role(current_user, group, Role.COORDINATOR),
        action=ConfirmForm(),
    )


@bp.post("/distributions/<int:day_id>/roles/<int:role_id>/inscription")
def sign_up(group_id: int, day_id: int, role_id: int):
    group = _member_group(group_id)
    day, role = _day_or_404(group, day_id), _role_or_404(group, role_id)
    _confirmed()
    try:
        signups.sign_up(day, role, current_user, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Merci ! Vous êtes inscrit·e : %(role)s.", role=role.name), "success")
    return redirect(url_for(".index", group_id=group.id, _anchor=f"jour-{day.id}"))


@bp.post("/inscriptions/<int:signup_id>/desinscription")
def cancel(group_id: int, signup_id: int):
    group = _member_group(group_id)
    signup = _signup_or_404(group, signup_id)
    if signup.user_id != current_user.id:
        abort(404)
    day_id = signup.distribution_day_id
    _confirmed()
    try:
        signups.cancel(signup, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Vous n'êtes plus inscrit·e à cette permanence."), "success")
    return redirect(url_for(".index", group_id=group.id, _anchor=f"jour-{day_id}"))


# --- Coordinators: roles -----------------------------------------------------------------------


@bp.route("/roles", methods=["GET", "POST"])
def role_list(group_id: int):
    group = _coordinated_group(group_id)
    form = RoleForm.for_role()
    if form.validate_on_submit():
        try:
            roles.create_role(group.id, form.to_data())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Rôle ajouté."), "success")
            return redirect(url_for(".role_list", group_id=group.id))
    return render_template(
        "shifts/roles.html", group=group, roles=roles.group_roles(group.id), form=form
    )


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
def edit_role(group_id: int, role_id: int):
    group = _coordinated_group(group_id)
    role = _role_or_404(group, role_id)
    form = RoleForm.for_role(role)
    if form.validate_on_submit():
        try:
            roles.update_role(role, form.to_data())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Rôle enregistré."), "success")
            return redirect(url_for(".role_list", group_id=group.id))
    return render_template("shifts/role_form.html", group=group, role=role, form=form)


# --- Coordinators: staffing and assignment -----------------------------------------------------


@bp.get("/suivi")
def staffing(group_id: int):
    group = _coordinated_group(group_id)
    now = utcnow()
    return render_template(
        "shifts/staffing.html",
        group=group,
        staffing=queries.understaffed_first(_coming_staffing(group)),
        past_days=queries.days_to_record(group.id, now),
        has_roles=bool(roles.group_roles(group.id, active_only=True)),
    )


@bp.get("/distributions/<int:day_id>")
def day(group_id: int, day_id: int):
    group = _coordinated_group(group_id)
    return _render_day(group, _day_or_404(group, day_id))


def _render_day(group: Group, day: DistributionDay, failed: tuple[int, AssignForm] | None = None):
    (day_staffing,) = queries.staffing_of([day])
    members = queries.group_members(group.id)
    forms = {}
    for role_staffing in day_staffing.roles:
        taken = {signup.user_id for signup in role_staffing.signups}
        if failed is not None and failed[0] == role_staffing.role.id:
            form = failed[1]
        else:
            form = AssignForm(formdata=None, prefix=f"role-{role_staffing.role.id}")
        form.user_id.choices = [(None, _("Choisir une personne"))] + [
            (member.id, member.name) for member in members if member.id not in taken
        ]
        forms[role_staffing.role.id] = form
    return render_template(
        "shifts/day.html",
        group=group,
        day=day,
        staffing=day_staffing,
        forms=forms,
        started=day.starts_at <= utcnow(),
        action=ConfirmForm(),
    )


@bp.post("/distributions/<int:day_id>/roles/<int:role_id>/affectation")
def assign(group_id: int, day_id: int, role_id: int):
    group = _coordinated_group(group_id)
    day, role = _day_or_404(group, day_id), _role_or_404(group, role_id)
    form = AssignForm(prefix=f"role-{role.id}")
    if form.validate_on_submit():
        person = db.session.get(User, form.user_id.data) if form.user_id.data else None
        try:
            if person is None:
                raise DomainError(_("Choisissez une personne du groupe."), field="user_id")
            signups.sign_up(day, role, person, utcnow(), assigned_by=current_user)
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "user_id")
        else:
            db.session.commit()
            flash(
                _("%(name)s est inscrit·e : %(role)s.", name=person.name, role=role.name),
                "success",
            )
            return redirect(url_for(".day", group_id=group.id, day_id=day.id))
    return _render_day(group, day, failed=(role.id, form)), 422


@bp.post("/inscriptions/<int:signup_id>/retrait")
def remove(group_id: int, signup_id: int):
    group = _coordinated_group(group_id)
    signup = _signup_or_404(group, signup_id)
    _confirmed()
    try:
        signups.remove(signup, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s n'est plus inscrit·e.", name=signup.user.name), "success")
    return redirect(url_for(".day", group_id=group.id, day_id=signup.distribution_day_id))


@bp.post("/inscriptions/<int:signup_id>/responsable")
def toggle_lead(group_id: int, signup_id: int):
    group = _coordinated_group(group_id)
    signup = _signup_or_404(group, signup_id)
    _confirmed()
    try:
        signups.set_lead(signup, not signup.is_lead)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if signup.is_lead:
            flash(_("%(name)s est responsable de la permanence.", name=signup.user.name), "success")
        else:
            flash(_("%(name)s n'est plus responsable.", name=signup.user.name), "success")
    return redirect(url_for(".day", group_id=group.id, day_id=signup.distribution_day_id))


# --- After the day: attendance and counts ------------------------------------------------------


@bp.route("/distributions/<int:day_id>/presences", methods=["GET", "POST"])
def attendance(group_id: int, day_id: int):
    group = _group_or_404(group_id)
    day = _day_or_404(group, day_id)
    if not (
        has_role(current_user, group, Role.COORDINATOR) or roster.is_lead(current_user.id, day.id)
    ):
        abort(403)
    form = ConfirmForm()
    day_roster = signups.roster_of(day.id)
    errors: list[str] = []
    if form.validate_on_submit():
        choices = {}
        for signup in day_roster:
            code = request.form.get(f"attended-{signup.id}", "unknown")
            if code not in ATTENDANCE_VALUES:
                errors.append(_("Choisissez une réponse pour %(name)s.", name=signup.user.name))
            choices[signup.id] = ATTENDANCE_VALUES.get(code)
        if not errors:
            try:
                signups.record_attendance(day, choices, utcnow())
            except DomainError as error:
                db.session.rollback()
                errors.append(error.message)
            else:
                db.session.commit()
                flash(_("Présences enregistrées. Merci !"), "success")
                return redirect(url_for(".attendance", group_id=group.id, day_id=day.id))
    return render_template(
        "shifts/attendance.html",
        group=group,
        day=day,
        roster=day_roster,
        form=form,
        errors=errors,
        choices=ATTENDANCE_CHOICES,
        current=attendance_value,
        started=day.starts_at <= utcnow(),
    ), (422 if errors else 200)


@bp.get("/compteurs")
def counts(group_id: int):
    group = _coordinated_group(group_id)
    return render_template(
        "shifts/counts.html", group=group, counts=queries.shift_counts(group.id, utcnow())
    )
