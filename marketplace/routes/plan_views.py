"""Route planning pages, for the grocery's staff: optimise a route, read the plan as a
timetable and a map, accept it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf

from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm, ConfirmForm, int_or_none, show_service_error
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role
from marketplace.routes.models import RoutePlan
from marketplace.routes.plan_map import MapPoint, draw
from marketplace.routes.plan_services import (
    PlanView,
    accept_plan,
    compute_route_plan,
    read_plan,
    recent_plans,
    route_with_stops,
)
from marketplace.routes.travel import TravelModel

bp = Blueprint("route_plans", __name__, url_prefix="/planification")

TIME_BUDGETS = (1, 5, 10, 20)  # seconds the solver may search, within a web request
SMALL_ROUTE_STOPS = 50  # up to this many stops, one second finds the plan


def default_budget(stop_count: int) -> int:
    return 1 if stop_count <= SMALL_ROUTE_STOPS else 5


class OptimiseForm(BaseForm):
    time_budget = SelectField(
        _l("Temps de calcul"),
        coerce=int_or_none,
        default=TIME_BUDGETS[0],
        validate_choice=False,  # a tampered value gets the French message below
        validators=[AnyOf(TIME_BUDGETS, message=_l("Choisissez une durée de la liste."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_budget.choices = [
            SelectChoice(seconds, ngettext("%(num)d seconde", "%(num)d secondes", seconds))
            for seconds in TIME_BUDGETS
        ]


def _staff_route(route_id: int):
    route = route_with_stops(route_id)
    if route is None:
        abort(404)
    require_role(route.grocery, Role.GROCERY_STAFF)
    return route


@bp.route("/tournees/<int:route_id>", methods=["GET", "POST"])
def optimise(route_id: int):
    route = _staff_route(route_id)
    form = OptimiseForm(time_budget=default_budget(len(route.stops)))
    if form.validate_on_submit():
        try:
            route_plan = compute_route_plan(
                route,
                current_user,
                form.time_budget.data,
                TravelModel.from_config(current_app.config),
            )
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for(".show", plan_id=route_plan.id))
    return render_template(
        "routes/plan_optimise.html", route=route, form=form, plans=recent_plans(route)
    )


def _plan_map(view: PlanView):
    depot = view.route.depot
    return draw(
        MapPoint(depot.latitude, depot.longitude, depot.name),
        [
            MapPoint(visit.stop.latitude, visit.stop.longitude, visit.stop.village)
            for visit in view.visits
            if visit.stop is not None
        ],
        [
            MapPoint(item.stop.latitude, item.stop.longitude, item.stop.village)
            for item in view.unserved
            if item.stop is not None
        ],
    )


def _staff_plan(plan_id: int) -> PlanView:
    route_plan = db.session.get(RoutePlan, plan_id)
    if route_plan is None:
        abort(404)
    route = _staff_route(route_plan.route_id)
    return read_plan(route_plan, route)


@bp.get("/plans/<int:plan_id>")
def show(plan_id: int):
    view = _staff_plan(plan_id)
    return render_template(
        "routes/plan_show.html", view=view, plan_map=_plan_map(view), form=ConfirmForm()
    )


@bp.post("/plans/<int:plan_id>/accepter")
def accept(plan_id: int):
    view = _staff_plan(plan_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            runs = accept_plan(view.plan, utcnow())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Plan accepté : l'ordre et les horaires des arrêts sont mis à jour, "
                    "ainsi que %(num)d passage à venir.",
                    "Plan accepté : l'ordre et les horaires des arrêts sont mis à jour, "
                    "ainsi que %(num)d passages à venir.",
                    runs,
                ),
                "success",
            )
    return redirect(url_for(".show", plan_id=plan_id))
