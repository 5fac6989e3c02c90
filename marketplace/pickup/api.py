"""The checklist's JSON API, described by the OpenAPI document at /api/openapi.json.

GET  /api/pickup/days/<day_id>/checklist        a distribution day's lines, counts, version
POST /api/pickup/days/<day_id>/taps             a batch of taps; one result per tap
GET  /api/pickup/stops/<run_stop_id>/checklist  the same for a stop of the van's run
POST /api/pickup/stops/<run_stop_id>/taps

Both kinds of list share the schemas and the sync (taps.py); the source (sources.py) says what
is on the list and who may use it. Authentication is the session cookie; a POST also sends the
CSRF token in the X-CSRFToken header (the GET answers a fresh one). Errors are JSON: 401 not
logged in, 403 not allowed on this list, 404 no such list, 409 the list is closed, 422 a
malformed body.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Response, current_app, url_for
from flask.views import MethodView
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort
from flask_wtf.csrf import generate_csrf

from marketplace.extensions import db
from marketplace.pickup.api_schemas import ChecklistSchema, TapBatchResultSchema, TapBatchSchema
from marketplace.pickup.checklist import Checklist, checklist_for, version_after_taps
from marketplace.pickup.list_cache import cached
from marketplace.pickup.sources import ChecklistSource, source_for
from marketplace.pickup.taps import TapIn, apply_taps
from marketplace.security import public

blp = Blueprint(
    "pickup_api",
    __name__,
    url_prefix="/api/pickup",
    description=(
        "Les listes du jour (distributions, arrêts de l'épicerie mobile) : lecture et "
        "pointages (hors ligne)."
    ),
)

# segment → (list endpoint, taps endpoint, the URL's id argument)
_ENDPOINTS = {
    "days": ("pickup_api.ChecklistResource", "pickup_api.TapsResource", "day_id"),
    "stops": ("pickup_api.StopChecklistResource", "pickup_api.StopTapsResource", "run_stop_id"),
}


def api_urls(segment: str, subject_id: int) -> tuple[str, str]:
    """The list's and the taps' URLs of one checklist (for the page's script)."""
    list_endpoint, taps_endpoint, argument = _ENDPOINTS[segment]
    return (
        url_for(list_endpoint, **{argument: subject_id}),
        url_for(taps_endpoint, **{argument: subject_id}),
    )


def api_login_required(view):
    """A JSON 401 instead of the login page's redirect."""

    @public
    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401, message=_("Connectez-vous pour utiliser la liste du jour."))
        return view(*args, **kwargs)

    return guarded


def _subject(segment: str, subject_id: int) -> tuple[ChecklistSource, Any]:
    source, subject, _version = _readable(segment, subject_id, read_version=False)
    return source, subject


def _readable(segment: str, subject_id: int, *, read_version: bool = True) -> tuple:
    """The source, the subject the person may use (else 404 or 403) and, for a read, the
    list's version read with it."""
    source = source_for(segment)
    if source is None:
        abort(404)
    if read_version:
        subject, allowed, version = source.find_to_read(current_user, subject_id)
    else:
        (subject, allowed), version = source.find_for(current_user, subject_id), None
    if subject is None:
        abort(404, message=source.wording().not_found)
    if not allowed:
        abort(403, message=source.wording().may_not_view)
    return source, subject, version


_PER_REQUEST = ("as_of_us", "csrf_token")


def _read(segment: str, subject_id: int) -> Response:
    """The list as JSON, serialised once per version of the list and language (the schema's
    dump of hundreds of lines costs more than the rest of the request); what changes on every
    request (the instant, the CSRF token) is added to the kept text."""
    checklist = checklist_for(*_readable(segment, subject_id))
    key = (segment, subject_id, str(get_locale()), checklist.version, "json")
    kept = cached(key, lambda: _serialised(checklist))
    extra = current_app.json.dumps({"as_of_us": checklist.as_of_us, "csrf_token": generate_csrf()})
    separator = "," if kept != "{}" else ""
    return current_app.response_class(
        kept[:-1] + separator + extra[1:], mimetype="application/json"
    )


def _serialised(checklist: Checklist) -> str:
    dumped = ChecklistSchema().dump(checklist)
    for name in _PER_REQUEST:
        dumped.pop(name, None)
    return current_app.json.dumps(dumped)


def _apply(segment: str, subject_id: int, batch: dict) -> dict:
    source, subject = _subject(segment, subject_id)
    taps = [TapIn(**tap) for tap in batch["taps"]]
    results = apply_taps(subject, current_user, taps, source=source)
    db.session.commit()
    closed_message = source.closed_reason(subject)
    if closed_message:
        abort(
            409,
            message=closed_message,
            errors={"results": [result.__dict__ for result in results]},
        )
    # The list is not built here: the next request that shows it builds it once, however
    # many batches came before (checklist.version_after_taps).
    return {"results": results, "version": version_after_taps(source, subject)}


@blp.route("/days/<int:day_id>/checklist")
class ChecklistResource(MethodView):
    decorators = [api_login_required]

    @blp.response(200, ChecklistSchema)
    def get(self, day_id: int):
        """The day's checklist: households, what they collect, counts, and a version."""
        return _read("days", day_id)


@blp.route("/days/<int:day_id>/taps")
class TapsResource(MethodView):
    decorators = [api_login_required]

    @blp.arguments(TapBatchSchema)
    @blp.response(200, TapBatchResultSchema)
    @blp.alt_response(409, description="La distribution est clôturée.")
    def post(self, batch: dict, day_id: int):
        """Apply a batch of taps made on a phone, maybe offline. A tap already received
        answers "already_applied"; a refused tap says why."""
        return _apply("days", day_id, batch)


@blp.route("/stops/<int:run_stop_id>/checklist")
class StopChecklistResource(MethodView):
    decorators = [api_login_required]

    @blp.response(200, ChecklistSchema)
    def get(self, run_stop_id: int):
        """A stop's checklist (the grocery's staff): households who pre-ordered, what they
        collect, counts, and a version. Lines tick pre-orders (target kind "pre_order")."""
        return _read("stops", run_stop_id)


@blp.route("/stops/<int:run_stop_id>/taps")
class StopTapsResource(MethodView):
    decorators = [api_login_required]

    @blp.arguments(TapBatchSchema)
    @blp.response(200, TapBatchResultSchema)
    @blp.alt_response(409, description="La tournée est clôturée ou annulée.")
    def post(self, batch: dict, run_stop_id: int):
        """Apply a batch of taps made at a stop, maybe offline; the same rules as a day's."""
        return _apply("stops", run_stop_id, batch)
