"""The pickup-day checklist page, its service worker and its web app manifest.

The page is rendered by the server (the day's lines and counts, in a constant number of
queries); static/js/checklist.js ticks lines, queues taps while offline and syncs them through
the JSON API (pickup/api.py). The service worker is served from /pickup/ so that its scope
covers every checklist page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.organisations.models import Membership, Role
from marketplace.pickup.access import require_checklist_access
from marketplace.pickup.checklist import checklist_for, quantity_text
from marketplace.pickup.roster import (
    COLLECTED,
    NOT_COLLECTED,
    PARTLY,
    TO_HAND_OVER,
    basket_count_key,
    extra_count_key,
    sort_key,
)
from marketplace.security import public
from marketplace.shifts.models import ShiftSignup, ShiftState
from marketplace.timezones import paris_today

bp = Blueprint("pickup", __name__, url_prefix="/pickup")

DAYS_BACK = 2  # a checklist stays at hand for notes and late ticks
DAYS_AHEAD = 14


@bp.get("/days")
def my_days():
    """The checklists the person may open: days on their shift roster, days of the groups
    they coordinate (all groups for site administrators)."""
    today = paris_today()
    query = (
        select(DistributionDay)
        .options(joinedload(DistributionDay.pickup_point), joinedload(DistributionDay.group))
        .where(
            DistributionDay.day.between(
                today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
            ),
            DistributionDay.status == DayStatus.SCHEDULED.value,
        )
        .order_by(DistributionDay.starts_at, DistributionDay.id)
    )
    if not current_user.is_admin:
        on_duty = select(ShiftSignup.distribution_day_id).where(
            ShiftSignup.user_id == current_user.id,
            ShiftSignup.state == ShiftState.SIGNED_UP.value,
        )
        coordinated = select(Membership.organisation_id).where(
            Membership.user_id == current_user.id, Membership.role == Role.COORDINATOR.value
        )
        query = query.where(
            or_(DistributionDay.id.in_(on_duty), DistributionDay.group_id.in_(coordinated))
        )
    return render_template("pickup/checklist_days.html", days=db.session.scalars(query).all())


@bp.get("/days/<int:day_id>/checklist")
def checklist(day_id: int):
    day = db.get_or_404(DistributionDay, day_id)
    require_checklist_access(current_user, day)
    return render_template(
        "pickup/checklist.html",
        checklist=checklist_for(day),
        state_labels=state_labels(),
        search_text=lambda line: sort_key(f"{line.name} {line.household_name}")[0],
        basket_count_key=basket_count_key,
        extra_count_key=extra_count_key,
        quantity_text=quantity_text,
    )


def state_labels() -> dict[str, str]:
    return {
        TO_HAND_OVER: _("À remettre"),
        COLLECTED: _("Récupéré"),
        NOT_COLLECTED: _("Non récupéré"),
        PARTLY: _("En partie"),
    }


@bp.get("/checklist-sw.js")
@public
def service_worker():
    """The service worker, from /pickup/ so that it may control the checklist pages."""
    response = send_from_directory(current_app.static_folder, "js/checklist-sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = (
        url_for("pickup.service_worker").rsplit("/", 1)[0] + "/"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
@public
def manifest():
    response = jsonify(
        name=_("Liste du jour — Circuits courts solidaires"),
        short_name=_("Liste du jour"),
        start_url=url_for("territory.dashboard"),
        display="standalone",
        background_color="#f7f7f2",
        theme_color="#2f5d31",
        lang="fr",
    )
    response.mimetype = "application/manifest+json"
    return response
