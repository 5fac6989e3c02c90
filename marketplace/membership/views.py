"""A household's membership of its group: joining for the current period, and the receipt.

The join page is for the group's members (others 403); a receipt is its household's and the
group's coordinators' only (anyone else 404).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import show_service_error
from marketplace.groups.services import group_by_slug
from marketplace.membership import services
from marketplace.membership.forms import JoinForm
from marketplace.membership.models import YearlyMembership
from marketplace.membership.periods import Period
from marketplace.membership.queries import Status, household_status
from marketplace.organisations.access import has_role, require_role
from marketplace.organisations.models import Role
from marketplace.payments.labels import METHOD_LABELS
from marketplace.timezones import paris_today
from marketplace.unique import AlreadyCreatedError

bp = Blueprint("membership", __name__, url_prefix="/groupes")


def _group(slug: str):
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    return group


@bp.route("/<slug>/adhesion", methods=["GET", "POST"])
def join(slug: str):
    group = _group(slug)
    require_role(group, Role.MEMBER)
    settings = services.settings_of(group)
    if settings is None:
        abort(404)
    today = paris_today()
    period = services.current_period(settings, today)
    current = services.membership_for(current_user.id, group.id, period)
    form = JoinForm(settings)
    if current is not None and form.is_submitted():  # sent twice: the first one's answer
        flash(_("Votre adhésion %(period)s est déjà enregistrée.", period=period.label), "info")
        return redirect(url_for(".join", slug=slug))
    if form.validate_on_submit():
        try:
            current = services.join(
                group,
                current_user._get_current_object(),
                amount_cents=form.amount.data,
                level_id=form.level_id.data,
                today=today,
            )
        except AlreadyCreatedError as error:
            db.session.rollback()
            flash(error.message, "info")
            return redirect(url_for(".join", slug=slug))
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "amount")
        else:
            db.session.commit()
            flash(
                _(
                    "Merci ! Votre adhésion %(period)s est enregistrée : réglez votre "
                    "cotisation auprès de la coordination.",
                    period=period.label,
                ),
                "success",
            )
            return redirect(url_for(".join", slug=slug))
    return render_template(
        "membership/join.html",
        group=group,
        settings=settings,
        period=period,
        current=current,
        renewing=current is None
        and household_status(settings, current_user.id, today) == Status.LAPSED,
        form=form,
    )


@bp.get("/<slug>/adhesion/<int:membership_id>/recu")
def receipt(slug: str, membership_id: int):
    group = _group(slug)
    membership = db.session.get(YearlyMembership, membership_id)
    if (
        membership is None
        or membership.group_id != group.id
        or not membership.is_paid
        or not (
            membership.user_id == current_user.id or has_role(current_user, group, Role.COORDINATOR)
        )
    ):
        abort(404)
    return render_template(
        "membership/receipt.html",
        group=group,
        membership=membership,
        period=Period(membership.period_starts_on, membership.period_ends_on),
        method_label=METHOD_LABELS[membership.method],
    )
