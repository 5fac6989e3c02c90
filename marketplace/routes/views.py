"""The grocery staff's screens: vans, depots, routes, their stops, exceptions and coming runs.

Every screen is for the grocery's staff (and site administrators): others get 403.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from marketplace.db import utcnow
from marketplace.delivery import recurrence
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, int_or_none, show_service_error
from marketplace.groceries.access import grocery_for_staff
from marketplace.groceries.models import Grocery
from marketplace.routes import routes as route_services
from marketplace.routes import vans as van_services
from marketplace.routes.models import Depot, Route, RouteException, RouteStop, Van
from marketplace.routes.route_forms import (
    DepotForm,
    ExceptionForm,
    RouteForm,
    StopForm,
    TimetableForm,
    VanForm,
)
from marketplace.routes.timetable import route_runs
from marketplace.timezones import paris_today

bp = Blueprint("routes", __name__, url_prefix="/epiceries/<slug>/tournees")

COMING_RUNS = 8


def _owned(model, grocery: Grocery, item_id: int):
    item = db.session.get(model, item_id)
    if item is None or item.grocery_id != grocery.id:
        abort(404)
    return item


def _route(grocery: Grocery, route_id: int) -> Route:
    return _owned(Route, grocery, route_id)


def _stop(route: Route, stop_id: int, *, retired_too: bool = False) -> RouteStop:
    stop = db.session.get(RouteStop, stop_id)
    if stop is None or stop.route_id != route.id:
        abort(404)
    if stop.retired_at is not None and not retired_too:
        abort(404)  # no longer on the route: nothing to edit
    return stop


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.get("")
def index(slug: str):
    grocery = grocery_for_staff(slug)
    return render_template(
        "routes/index.html",
        grocery=grocery,
        vans=van_services.vans_of(grocery),
        depots=van_services.depots_of(grocery),
        routes=route_services.routes_of(grocery),
        describe=recurrence.describe,
    )


# --- Vans and depots ---------------------------------------------------------------------------


@bp.route("/camions/nouveau", methods=["GET", "POST"])
def new_van(slug: str):
    return _van_form(grocery_for_staff(slug), None)


@bp.route("/camions/<int:van_id>/modifier", methods=["GET", "POST"])
def edit_van(slug: str, van_id: int):
    grocery = grocery_for_staff(slug)
    return _van_form(grocery, _owned(Van, grocery, van_id))


def _van_form(grocery: Grocery, van: Van | None):
    form = VanForm(obj=van)
    if form.validate_on_submit():
        try:
            if van is None:
                van_services.create_van(grocery, form.to_data())
            else:
                van_services.update_van(van, form.to_data())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Camion enregistré."), "success")
            return redirect(url_for(".index", slug=grocery.slug))
    return render_template("routes/van_form.html", grocery=grocery, van=van, form=form)


@bp.route("/depots/nouveau", methods=["GET", "POST"])
def new_depot(slug: str):
    return _depot_form(grocery_for_staff(slug), None)


@bp.route("/depots/<int:depot_id>/modifier", methods=["GET", "POST"])
def edit_depot(slug: str, depot_id: int):
    grocery = grocery_for_staff(slug)
    return _depot_form(grocery, _owned(Depot, grocery, depot_id))


def _depot_form(grocery: Grocery, depot: Depot | None):
    form = DepotForm(obj=depot)
    if form.validate_on_submit():
        try:
            if depot is None:
                van_services.create_depot(grocery, form.to_data())
            else:
                van_services.update_depot(grocery, depot, form.to_data())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Dépôt enregistré."), "success")
            return redirect(url_for(".index", slug=grocery.slug))
    return render_template("routes/depot_form.html", grocery=grocery, depot=depot, form=form)


# --- Routes ------------------------------------------------------------------------------------


@bp.route("/nouvelle", methods=["GET", "POST"])
def new_route(slug: str):
    return _route_form(grocery_for_staff(slug), None)


@bp.route("/<int:route_id>/modifier", methods=["GET", "POST"])
def edit_route(slug: str, route_id: int):
    grocery = grocery_for_staff(slug)
    return _route_form(grocery, _route(grocery, route_id))


def _route_form(grocery: Grocery, route: Route | None):
    today = paris_today()
    vans = van_services.vans_of(grocery)
    depots = van_services.depots_of(grocery)
    form = RouteForm(vans, depots, data=RouteForm.initial(route, today))
    if form.validate_on_submit():
        try:
            data = form.to_data()
            if route is None:
                route = route_services.create_route(grocery, data, today=today)
            else:
                route_services.update_route(route, data, today=today)
        except DomainError as error:
            db.session.rollback()
            form.show_error(error)
        else:
            db.session.commit()
            flash(_("Tournée enregistrée."), "success")
            return redirect(url_for(".route", slug=grocery.slug, route_id=route.id))
    return render_template(
        "routes/route_form.html",
        grocery=grocery,
        route=route,
        form=form,
        ready=bool(vans) and bool(depots),
    )


@bp.get("/<int:route_id>")
def route(slug: str, route_id: int):
    grocery = grocery_for_staff(slug)
    route = _route(grocery, route_id)
    retired = route_services.retired_stops(route)
    return render_template(
        "routes/route.html",
        grocery=grocery,
        route=route,
        stops=list(route.stops),
        retired=retired,
        # Today's run may have left before a stop was retired: it still calls there.
        stops_by_id={stop.id: stop for stop in [*route.stops, *retired]},
        served=route_services.served_stop_ids(route, utcnow()),
        runs=route_runs(route, paris_today(), limit=COMING_RUNS),
        action=ConfirmForm(),
        describe=recurrence.describe,
    )


# --- Stops -------------------------------------------------------------------------------------


@bp.route("/<int:route_id>/arrets/nouveau", methods=["GET", "POST"])
def new_stop(slug: str, route_id: int):
    grocery = grocery_for_staff(slug)
    return _stop_form(grocery, _route(grocery, route_id), None)


@bp.route("/<int:route_id>/arrets/<int:stop_id>/modifier", methods=["GET", "POST"])
def edit_stop(slug: str, route_id: int, stop_id: int):
    grocery = grocery_for_staff(slug)
    route = _route(grocery, route_id)
    return _stop_form(grocery, route, _stop(route, stop_id))


def _stop_form(grocery: Grocery, route: Route, stop: RouteStop | None):
    form = StopForm(obj=stop)
    if form.validate_on_submit():
        try:
            if stop is None:
                route_services.add_stop(route, form.to_data(), now=utcnow())
            else:
                route_services.update_stop(stop, form.to_data(), now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "village")
        else:
            db.session.commit()
            flash(_("Arrêt enregistré ; les prochaines tournées suivent ces horaires."), "success")
            return redirect(url_for(".route", slug=grocery.slug, route_id=route.id))
    previous = [s for s in route.stops if stop is None or s.position < stop.position]
    return render_template(
        "routes/stop_form.html",
        grocery=grocery,
        route=route,
        stop=stop,
        form=form,
        previous=previous[-1] if previous else None,
    )


@bp.post("/<int:route_id>/arrets/<int:stop_id>/supprimer")
def remove_stop(slug: str, route_id: int, stop_id: int):
    grocery = grocery_for_staff(slug)
    route = _route(grocery, route_id)
    stop = _stop(route, stop_id, retired_too=True)  # a second click gets a clear message
    _confirmed()
    village = stop.village
    try:
        was_retired = route_services.remove_stop(stop, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if was_retired:
            flash(
                _(
                    "%(village)s est retiré de la tournée : les tournées passées gardent cet "
                    "arrêt ; les prochaines ne s'y arrêtent plus.",
                    village=village,
                ),
                "success",
            )
        else:
            flash(_("Arrêt supprimé de la tournée."), "success")
    return redirect(url_for(".route", slug=grocery.slug, route_id=route_id))


@bp.route("/<int:route_id>/horaires", methods=["GET", "POST"])
def timetable(slug: str, route_id: int):
    """The order of the stops and their times, edited together so they stay consistent."""
    grocery = grocery_for_staff(slug)
    route = _route(grocery, route_id)
    stops = {stop.id: stop for stop in route.stops}
    initial = {
        "stops": [
            {
                "stop_id": stop.id,
                "position": index,
                "arrives_at": stop.arrives_at,
                "departs_at": stop.departs_at,
            }
            for index, stop in enumerate(route.stops, start=1)
        ]
    }
    form = TimetableForm(data=initial)
    if form.validate_on_submit():
        try:
            route_services.set_timetable(route, form.visits(), now=utcnow())
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Ordre et horaires enregistrés pour les prochaines tournées."), "success")
            return redirect(url_for(".route", slug=grocery.slug, route_id=route.id))
    lines = [(line, stops.get(int_or_none(line.stop_id.data))) for line in form.stops]
    if any(stop is None for _line, stop in lines):
        abort(400)  # a tampered stop id: nothing to show it against
    return render_template(
        "routes/timetable_form.html", grocery=grocery, route=route, form=form, lines=lines
    )


# --- Exceptions --------------------------------------------------------------------------------


@bp.route("/<int:route_id>/exceptions", methods=["GET", "POST"])
def exceptions(slug: str, route_id: int):
    grocery = grocery_for_staff(slug)
    route = _route(grocery, route_id)
    today = paris_today()
    form = ExceptionForm()
    if form.validate_on_submit():
        try:
            route_services.add_exception(route, form.to_data(), today=today, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "occurrence_date")
        else:
            db.session.commit()
            flash(_("Exception enregistrée : la tournée datée a été mise à jour."), "success")
            return redirect(url_for(".exceptions", slug=grocery.slug, route_id=route.id))
    return render_template(
        "routes/exceptions.html",
        grocery=grocery,
        route=route,
        form=form,
        exceptions=route_services.exceptions_of(route),
        runs=route_runs(route, today, limit=COMING_RUNS, with_stops=False),
        today=today,
        action=ConfirmForm(),
    )


@bp.post("/<int:route_id>/exceptions/<int:exception_id>/supprimer")
def remove_exception(slug: str, route_id: int, exception_id: int):
    grocery = grocery_for_staff(slug)
    route = _route(grocery, route_id)
    exception = db.session.get(RouteException, exception_id)
    if exception is None or exception.route_id != route.id:
        abort(404)
    _confirmed()
    route_services.remove_exception(exception, today=paris_today(), now=utcnow())
    db.session.commit()
    flash(_("Exception supprimée : la tournée suit de nouveau son rythme."), "success")
    return redirect(url_for(".exceptions", slug=grocery.slug, route_id=route_id))
