"""Public timetables: a page per route and per village stop, and their iCalendar feeds.

No login needed; nothing private is shown (no van, depot, beneficiary nor pre-order).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from marketplace.db import utcnow
from marketplace.delivery import recurrence
from marketplace.groceries.access import grocery_or_404
from marketplace.mail import absolute_url, public_host
from marketplace.routes.ical import feed_start, route_feed, stop_feed
from marketplace.routes.models import Route, RouteStop
from marketplace.routes.timetable import (
    active_routes_of,
    route_by_slug,
    route_runs,
    stop_by_slug,
    stop_visits,
)
from marketplace.security import public
from marketplace.timezones import paris_today, to_paris

bp = Blueprint("timetables", __name__, url_prefix="/tournees")

RUNS_SHOWN = 10
FEED_MAX_AGE = 3600  # calendar apps poll; an hour of caching is plenty


def _route_or_404(slug: str) -> Route:
    route = route_by_slug(slug)
    if route is None:
        abort(404)
    return route


def _stop_or_404(slug: str) -> RouteStop:
    stop = stop_by_slug(slug)
    if stop is None:
        abort(404)
    return stop


def _calendar_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = f"public, max-age={FEED_MAX_AGE}"
    return response


def _webcal(url: str) -> str:
    """The same feed for calendar apps (webcal:// opens the subscription dialog)."""
    return "webcal://" + url.split("://", 1)[1]


@bp.get("/epiceries/<slug>")
@public
def grocery_routes(slug: str):
    """Every active route of a grocery, with its stops: where and when the van calls."""
    grocery = grocery_or_404(slug)
    return render_template(
        "routes/public_grocery.html",
        grocery=grocery,
        routes=active_routes_of(grocery),
        describe=recurrence.describe,
    )


@bp.get("/<slug>")
@public
def route_page(slug: str):
    route = _route_or_404(slug)
    feed_url = absolute_url("timetables.route_ics", slug=route.slug)
    return render_template(
        "routes/public_route.html",
        route=route,
        runs=route_runs(route, paris_today(), limit=RUNS_SHOWN),
        rhythm=recurrence.describe(route.rrule),
        feed_url=feed_url,
        webcal_url=_webcal(feed_url),
    )


@bp.get("/<slug>.ics")
@public
def route_ics(slug: str):
    route = _route_or_404(slug)
    first_day = to_paris(feed_start(utcnow())).date()
    body = route_feed(route, route_runs(route, first_day), public_host())
    return _calendar_response(body, f"{route.slug}.ics")


@bp.get("/arrets/<slug>")
@public
def stop_page(slug: str):
    stop = _stop_or_404(slug)
    feed_url = absolute_url("timetables.stop_ics", slug=stop.slug)
    # A retired stop's page stays (people kept its address): it says the van no longer comes.
    retired_on = to_paris(stop.retired_at).date() if stop.retired_at else None
    return render_template(
        "routes/public_stop.html",
        stop=stop,
        route=stop.route,
        retired_on=retired_on,
        visits=[] if retired_on else stop_visits(stop, paris_today(), limit=RUNS_SHOWN),
        rhythm=recurrence.describe(stop.route.rrule),
        feed_url=feed_url,
        webcal_url=_webcal(feed_url),
    )


@bp.get("/arrets/<slug>.ics")
@public
def stop_ics(slug: str):
    stop = _stop_or_404(slug)
    first_day = to_paris(feed_start(utcnow())).date()
    body = stop_feed(stop, stop_visits(stop, first_day), public_host())
    return _calendar_response(body, f"{stop.slug}.ics")
