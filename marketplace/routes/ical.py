"""iCalendar feeds: one per route and one per stop, so people can subscribe to a timetable.

One VEVENT per scheduled run (per stop: its arrival to its departure). Cancelled runs are
left out, so they disappear from subscribed calendars. UIDs derive from the run's (and the
stop's) id: an event keeps its identity when its times change. Times carry TZID=Europe/Paris.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from marketplace.db import utcnow
from marketplace.routes.models import Route, RouteRun, RouteStop, RunStatus
from marketplace.routes.run_notes import run_note
from marketplace.routes.timetable import StopVisit
from marketplace.timezones import to_paris

PRODUCT_ID = "-//Circuits courts solidaires//Tournees//FR"
DEFAULT_RUN_LENGTH = timedelta(hours=1)  # a run with no stop yet

if TYPE_CHECKING:  # icalendar is imported when a feed is first asked for
    from icalendar import Calendar


def _calendar(name: str) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    return calendar


def _finish(calendar: Calendar) -> bytes:
    calendar.add_missing_timezones()  # the VTIMEZONE that TZID=Europe/Paris refers to
    return calendar.to_ical()


def _place(stop: RouteStop) -> str:
    return f"{stop.place}, {stop.village}" if stop.place else stop.village


def route_feed(route: Route, runs: Iterable[RouteRun], uid_domain: str) -> bytes:
    """The route's feed: one event per scheduled run, from the depot to the last stop."""
    from icalendar import Event

    calendar = _calendar(route.name)
    stamp = utcnow()
    stops = {stop.id: stop for stop in route.stops}
    for run in runs:
        if run.status != RunStatus.SCHEDULED:
            continue
        event = Event()
        event.add("uid", f"route-run-{run.id}@{uid_domain}")
        event.add("dtstamp", stamp)
        event.add("summary", _("Épicerie mobile : %(route)s", route=route.name))
        ends = max((s.departs_at for s in run.stops), default=run.departs_at + DEFAULT_RUN_LENGTH)
        event.add("dtstart", to_paris(run.departs_at))
        event.add("dtend", to_paris(max(ends, run.departs_at + timedelta(minutes=1))))
        lines = [
            _(
                "%(start)s–%(end)s : %(place)s",
                start=to_paris(s.arrives_at).strftime("%H:%M"),
                end=to_paris(s.departs_at).strftime("%H:%M"),
                place=_place(stops[s.stop_id]),
            )
            for s in run.stops
            if s.stop_id in stops
        ]
        if run.note:
            lines.append(run_note(run))
        event.add("description", "\n".join(lines))
        calendar.add_component(event)
    return _finish(calendar)


def stop_feed(stop: RouteStop, visits: Iterable[StopVisit], uid_domain: str) -> bytes:
    """The stop's feed: one event per scheduled run, from the van's arrival to its departure."""
    from icalendar import Event

    route = stop.route
    calendar = _calendar(_("%(village)s – %(route)s", village=stop.village, route=route.name))
    stamp = utcnow()
    for visit in visits:
        if visit.cancelled or visit.run_stop is None:
            continue
        event = Event()
        event.add("uid", f"route-run-{visit.run.id}-stop-{stop.id}@{uid_domain}")
        event.add("dtstamp", stamp)
        event.add("summary", _("Épicerie mobile à %(village)s", village=stop.village))
        event.add("dtstart", to_paris(visit.run_stop.arrives_at))
        event.add("dtend", to_paris(visit.run_stop.departs_at))
        event.add("location", _place(stop))
        event.add("geo", (float(stop.latitude), float(stop.longitude)))
        event.add("description", run_note(visit.run) or route.name)
        calendar.add_component(event)
    return _finish(calendar)


def feed_start(now: datetime) -> datetime:
    """Feeds keep four weeks of past runs, so a subscribed calendar does not empty itself."""
    return now - timedelta(weeks=4)
