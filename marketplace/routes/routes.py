"""Routes, their stops in visiting order, and their exceptions (services: flush, never commit).

Every change that alters the dates or times of coming runs materialises them again, so a page
shows the new timetable at once; the nightly job then only extends the horizon.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import delete, exists, or_, select
from sqlalchemy.exc import IntegrityError

from marketplace import unique
from marketplace.delivery.recurrence import is_occurrence, occurrences_between, validate_rule
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.routes.models import (
    Depot,
    Route,
    RouteException,
    RouteExceptionKind,
    RouteRun,
    RouteStop,
    RunStop,
    Van,
)
from marketplace.routes.runs import horizon, materialise_runs, restamp_future_runs
from marketplace.routes.vans import check_coordinates

MAX_ROUTE_NAME = 120
MAX_VILLAGE = 120
MAX_PLACE = 200
MAX_REASON = 200
MAX_SERVICE_MINUTES = 480


@dataclass(frozen=True)
class RouteData:
    name: str
    van_id: int | None
    depot_id: int | None
    rrule: str
    valid_from: date | None
    valid_until: date | None
    departs_at: time | None
    active: bool = True


@dataclass(frozen=True)
class StopData:
    village: str
    place: str
    latitude: float | None
    longitude: float | None
    service_minutes: int | None
    window_opens: time | None
    window_closes: time | None
    arrives_at: time | None
    departs_at: time | None


@dataclass(frozen=True)
class StopTime:
    """A stop's place in the visiting order and its times (from the staff or a plan)."""

    stop_id: int
    arrives_at: time
    departs_at: time


@dataclass(frozen=True)
class ExceptionData:
    occurrence_date: date | None
    kind: str
    moved_to: date | None
    reason: str = ""


# --- Slugs -----------------------------------------------------------------------------------


def slugify(text: str) -> str:
    """ASCII, lower case, words joined by hyphens: "Saint-Martin-en-Haut" → saint-martin-en-haut."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100] or "tournee"


def _unique_slug(column, base: str) -> str:
    """`base`, or `base-2`, `base-3`… the first free one (slugs never change afterwards)."""
    taken = set(db.session.scalars(select(column).where(column.like(f"{base}%"))))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


# --- Routes ----------------------------------------------------------------------------------


def routes_of(grocery: Grocery) -> list[Route]:
    return list(
        db.session.scalars(
            select(Route)
            .where(Route.grocery_id == grocery.id)
            .order_by(Route.active.desc(), Route.name)
        )
    )


def _check_route(grocery: Grocery, data: RouteData, route: Route | None) -> tuple[str, str]:
    """The cleaned name and normalised rule; DomainError names the field to fix."""
    name = data.name.strip()
    if not name:
        raise DomainError(_("Indiquez le nom de la tournée."), field="name")
    if len(name) > MAX_ROUTE_NAME:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_ROUTE_NAME), field="name")
    taken = db.session.scalar(
        select(Route.id).where(Route.grocery_id == grocery.id, Route.name == name)
    )
    if taken is not None and (route is None or taken != route.id):
        raise DomainError(_("L'épicerie a déjà une tournée de ce nom."), field="name")
    van = db.session.get(Van, data.van_id) if data.van_id is not None else None
    if van is None or van.grocery_id != grocery.id:
        raise DomainError(_("Choisissez un camion de l'épicerie."), field="van_id")
    if not van.active and (route is None or route.van_id != van.id):
        raise DomainError(_("Ce camion n'est plus en service."), field="van_id")
    depot = db.session.get(Depot, data.depot_id) if data.depot_id is not None else None
    if depot is None or depot.grocery_id != grocery.id:
        raise DomainError(_("Choisissez un dépôt de l'épicerie."), field="depot_id")
    if data.valid_from is None:
        raise DomainError(_("Indiquez la date de la première tournée."), field="valid_from")
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise DomainError(_("La fin de validité doit être après son début."), field="valid_until")
    if data.departs_at is None:
        raise DomainError(_("Indiquez l'heure de départ du dépôt."), field="departs_at")
    rule = validate_rule(data.rrule, data.valid_from)
    if data.valid_until is not None and not occurrences_between(
        rule, data.valid_from, data.valid_from, data.valid_until
    ):
        raise DomainError(
            _(
                "Cette règle ne donne aucune date entre le %(first)s et le %(last)s.",
                first=data.valid_from.strftime("%d/%m/%Y"),
                last=data.valid_until.strftime("%d/%m/%Y"),
            ),
            field="rrule",
        )
    if route is not None and route.stops and route.stops[0].arrives_at < data.departs_at:
        raise DomainError(
            _(
                "Le camion doit partir du dépôt avant d'arriver au premier arrêt (%(time)s).",
                time=route.stops[0].arrives_at.strftime("%H:%M"),
            ),
            field="departs_at",
        )
    return name, rule


def create_route(grocery: Grocery, data: RouteData, *, today: date) -> Route:
    name, rule = _check_route(grocery, data, None)
    route = Route(
        grocery_id=grocery.id,
        van_id=data.van_id,
        depot_id=data.depot_id,
        name=name,
        slug=_unique_slug(Route.slug, slugify(name)),
        rrule=rule,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        departs_at=data.departs_at,
        active=data.active,
    )
    db.session.add(route)
    db.session.flush()
    materialise_runs(route, horizon(today), today=today)
    return route


def update_route(route: Route, data: RouteData, *, today: date) -> Route:
    """Change the route; its coming runs follow (new dates, times, or cancelled)."""
    name, rule = _check_route(route.grocery, data, route)
    route.name, route.rrule = name, rule
    route.van_id, route.depot_id = data.van_id, data.depot_id
    route.valid_from, route.valid_until = data.valid_from, data.valid_until
    route.departs_at, route.active = data.departs_at, data.active
    db.session.flush()
    materialise_runs(route, horizon(today), today=today)
    return route


# --- Stops -----------------------------------------------------------------------------------


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def check_timetable(route: Route, visits: list[tuple[str, time, time]]) -> None:
    """Times must follow each other along the route: (village, arrival, departure) in order."""
    previous_name, previous_departs = None, route.departs_at
    for village, arrives, departs in visits:
        if departs <= arrives:
            raise DomainError(
                _("Le départ de %(village)s doit être après son arrivée.", village=village),
                field="departs_at",
            )
        if arrives < previous_departs:
            if previous_name is None:
                message = _(
                    "L'arrivée à %(village)s (%(time)s) est avant le départ du dépôt (%(depot)s).",
                    village=village,
                    time=_hhmm(arrives),
                    depot=_hhmm(previous_departs),
                )
            else:
                message = _(
                    "Les horaires doivent se suivre : l'arrivée à %(village)s (%(time)s) est "
                    "avant le départ de %(previous)s (%(departs)s).",
                    village=village,
                    time=_hhmm(arrives),
                    previous=previous_name,
                    departs=_hhmm(previous_departs),
                )
            raise DomainError(message, field="arrives_at")
        previous_name, previous_departs = village, departs


def _check_stop(data: StopData) -> tuple[str, str]:
    village, place = data.village.strip(), data.place.strip()
    if not village:
        raise DomainError(_("Indiquez le nom du village."), field="village")
    if len(village) > MAX_VILLAGE:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_VILLAGE), field="village")
    if len(place) > MAX_PLACE:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_PLACE), field="place")
    check_coordinates(data.latitude, data.longitude)
    minutes = data.service_minutes
    if minutes is None or not 1 <= minutes <= MAX_SERVICE_MINUTES:
        raise DomainError(
            _("Indiquez une durée d'arrêt entre 1 et %(max)d minutes.", max=MAX_SERVICE_MINUTES),
            field="service_minutes",
        )
    if (data.window_opens is None) != (data.window_closes is None):
        field = "window_closes" if data.window_closes is None else "window_opens"
        raise DomainError(
            _("Indiquez le début et la fin du créneau souhaité, ou aucun des deux."), field=field
        )
    if data.window_opens is not None and data.window_closes <= data.window_opens:
        raise DomainError(
            _("La fin du créneau souhaité doit être après son début."), field="window_closes"
        )
    if data.arrives_at is None:
        raise DomainError(_("Indiquez l'heure d'arrivée."), field="arrives_at")
    if data.departs_at is None:
        raise DomainError(_("Indiquez l'heure de départ."), field="departs_at")
    return village, place


def _apply_stop(stop: RouteStop, data: StopData, village: str, place: str) -> None:
    stop.village, stop.place = village, place
    stop.latitude, stop.longitude = data.latitude, data.longitude
    stop.service_minutes = data.service_minutes
    stop.window_opens, stop.window_closes = data.window_opens, data.window_closes
    stop.arrives_at, stop.departs_at = data.arrives_at, data.departs_at


def add_stop(route: Route, data: StopData, *, now: datetime) -> RouteStop:
    """A new stop at the end of the route; coming runs get it."""
    village, place = _check_stop(data)
    stops = list(route.stops)
    check_timetable(
        route,
        [(s.village, s.arrives_at, s.departs_at) for s in stops]
        + [(village, data.arrives_at, data.departs_at)],
    )
    stop = RouteStop(
        route_id=route.id,
        position=max((s.position for s in stops), default=0) + 1,
        slug=_unique_slug(RouteStop.slug, slugify(village)),
    )
    _apply_stop(stop, data, village, place)
    # Two people added a stop at the same instant: the position or the slug is taken.
    with unique.first_one_wins(
        _(
            "Quelqu'un vient de modifier les arrêts de cette tournée : rechargez la page "
            "et recommencez."
        )
    ):
        route.stops.append(stop)
    restamp_future_runs(route, now)
    return stop


def update_stop(stop: RouteStop, data: StopData, *, now: datetime) -> RouteStop:
    village, place = _check_stop(data)
    route = stop.route
    check_timetable(
        route,
        [
            (village, data.arrives_at, data.departs_at)
            if s.id == stop.id
            else (s.village, s.arrives_at, s.departs_at)
            for s in route.stops
        ],
    )
    _apply_stop(stop, data, village, place)
    db.session.flush()
    restamp_future_runs(route, now)
    return stop


def set_timetable(route: Route, visits: list[StopTime], *, now: datetime) -> int:
    """Put the route's stops in the order of `visits` with their times; coming runs follow
    (their number is returned).

    `visits` must name every stop of the route once. Runs already started keep their stops.
    """
    stops = {stop.id: stop for stop in route.stops}
    if sorted(visit.stop_id for visit in visits) != sorted(stops):
        raise DomainError(_("La liste des arrêts a changé entre-temps : recommencez."))
    check_timetable(route, [(stops[v.stop_id].village, v.arrives_at, v.departs_at) for v in visits])
    # Positions are unique per route: move them out of the way before the new order.
    offset = max((stop.position for stop in stops.values()), default=0) + len(visits) + 1
    for stop in stops.values():
        stop.position += offset
    db.session.flush()
    for position, visit in enumerate(visits, start=1):
        stop = stops[visit.stop_id]
        stop.position = position
        stop.arrives_at, stop.departs_at = visit.arrives_at, visit.departs_at
    db.session.flush()
    db.session.expire(route, ["stops"])  # reload them in their new order
    return restamp_future_runs(route, now)


def remove_stop(stop: RouteStop, *, now: datetime) -> bool:
    """Take a stop off the route and its coming runs; True when it was retired, not deleted.

    A stop no run has served yet is deleted. A stop a run has already served is retired: its
    row stays for the runs that went there (their stops, pre-orders, taps and sales point at
    it) and it leaves the route's stops and every run not started at `now`. Refused, changing
    nothing, while pre-orders wait at the stop on a coming run.
    """
    if stop.retired_at is not None:
        raise DomainError(_("%(village)s est déjà retiré de la tournée.", village=stop.village))
    on_runs = select(RunStop.id).join(RouteRun, RouteRun.id == RunStop.run_id)
    on_runs = on_runs.where(RunStop.stop_id == stop.id)
    coming = list(db.session.scalars(on_runs.where(RouteRun.departs_at > now)))
    served = db.session.scalar(select(on_runs.where(RouteRun.departs_at <= now).exists()))
    _check_nothing_waits(stop, coming)
    route = stop.route
    if coming:
        try:
            with db.session.begin_nested():
                db.session.execute(delete(RunStop).where(RunStop.id.in_(coming)))
        except IntegrityError as error:
            # A household pre-ordered there between the check and now.
            raise DomainError(_pre_ordered_message(stop)) from error
    if served:
        stop.retired_at = now
        # Positions are unique per route and served stops use 1, 2, 3… (set_timetable moves
        # them up, never below 1): minus the stop's own id can collide with no served stop and
        # no other retired one, so a retired stop never blocks a position.
        stop.position = -stop.id
    else:
        db.session.delete(stop)
    db.session.flush()
    db.session.expire_all()  # the route's stops and the runs' stops, as the database has them
    restamp_future_runs(route, now)
    return bool(served)


def retired_stops(route: Route) -> list[RouteStop]:
    """The stops the route no longer serves, most recently retired first (one query)."""
    return list(
        db.session.scalars(
            select(RouteStop)
            .where(RouteStop.route_id == route.id, RouteStop.retired_at.is_not(None))
            .order_by(RouteStop.retired_at.desc(), RouteStop.id.desc())
        )
    )


def served_stop_ids(route: Route, now: datetime) -> set[int]:
    """The route's stops at least one started run has called at (removing them retires them)."""
    return set(
        db.session.scalars(
            select(RunStop.stop_id)
            .join(RouteRun, RouteRun.id == RunStop.run_id)
            .where(RouteRun.route_id == route.id, RouteRun.departs_at <= now)
            .distinct()
        )
    )


def _pre_ordered_message(stop: RouteStop) -> str:
    return _(
        "Des bénéficiaires ont précommandé à %(village)s : annulez ou déplacez "
        "d'abord leurs précommandes.",
        village=stop.village,
    )


def _check_nothing_waits(stop: RouteStop, run_stop_ids: list[int]) -> None:
    """Coming run stops about to be deleted must carry nothing: the database would refuse."""
    if not run_stop_ids:
        return
    # By table name: these belong to later layers (grocery_shop, pickup) this one cannot import.
    tables = db.metadata.tables
    pre_orders = tables["pre_orders"]
    placed = exists().where(
        pre_orders.c.run_stop_id.in_(run_stop_ids), pre_orders.c.status == "placed"
    )
    if db.session.scalar(select(placed)):
        raise DomainError(_pre_ordered_message(stop))
    kept = [
        exists().where(tables[name].c.run_stop_id.in_(run_stop_ids))
        for name in ("pre_orders", "walk_in_sales", "checklist_taps")
    ]
    if db.session.scalar(select(or_(*kept))):
        raise DomainError(
            _(
                "Une prochaine tournée garde à %(village)s des précommandes annulées ou des "
                "ventes : l'arrêt pourra être retiré une fois cette tournée passée.",
                village=stop.village,
            )
        )


# --- Exceptions ------------------------------------------------------------------------------


def exceptions_of(route: Route) -> list[RouteException]:
    return list(
        db.session.scalars(
            select(RouteException)
            .where(RouteException.route_id == route.id)
            .order_by(RouteException.occurrence_date)
        )
    )


def add_exception(
    route: Route, data: ExceptionData, *, today: date, now: datetime
) -> RouteException:
    """Cancel or move one coming run; its run row follows at once."""
    day = data.occurrence_date
    if day is None:
        raise DomainError(_("Indiquez la date de la tournée concernée."), field="occurrence_date")
    until = route.valid_until
    in_validity = route.valid_from <= day and (until is None or day <= until)
    if not in_validity or not is_occurrence(route.rrule, route.valid_from, day):
        raise DomainError(
            _("Le %(day)s n'est pas un jour de cette tournée.", day=day.strftime("%d/%m/%Y")),
            field="occurrence_date",
        )
    if day < today:
        raise DomainError(_("Cette tournée est déjà passée."), field="occurrence_date")
    existing = db.session.scalar(
        select(RouteException.id).where(
            RouteException.route_id == route.id, RouteException.occurrence_date == day
        )
    )
    if existing is not None:
        raise DomainError(
            _("Cette date a déjà une exception : supprimez-la d'abord."), field="occurrence_date"
        )
    if data.kind not in {kind.value for kind in RouteExceptionKind}:
        raise DomainError(_("Choisissez : annuler ou déplacer."), field="kind")
    moved_to = None
    if data.kind == RouteExceptionKind.MOVED:
        moved_to = data.moved_to
        if moved_to is None:
            raise DomainError(_("Indiquez la nouvelle date."), field="moved_to")
        if moved_to < today:
            raise DomainError(_("La nouvelle date est déjà passée."), field="moved_to")
        if moved_to == day:
            raise DomainError(
                _("La nouvelle date doit être différente de la date prévue."), field="moved_to"
            )
    reason = data.reason.strip()
    if len(reason) > MAX_REASON:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_REASON), field="reason")
    exception = RouteException(
        route_id=route.id, occurrence_date=day, kind=data.kind, moved_to=moved_to, reason=reason
    )
    db.session.add(exception)
    db.session.flush()
    materialise_runs(route, horizon(today), today=today, now=now)
    return exception


def remove_exception(exception: RouteException, *, today: date, now: datetime) -> None:
    """The run happens again as the rule says (if it is still to come)."""
    route = db.session.get(Route, exception.route_id)
    db.session.delete(exception)
    db.session.flush()
    materialise_runs(route, horizon(today), today=today, now=now)
