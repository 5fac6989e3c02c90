"""The checklist's JSON API, described by the OpenAPI document at /api/openapi.json.

GET  /api/pickup/days/<day_id>/checklist  the day's lines, counts and a version
POST /api/pickup/days/<day_id>/taps       a batch of taps; one result per tap

Authentication is the session cookie; a POST also sends the CSRF token in the X-CSRFToken
header (the GET answers a fresh one). Errors are JSON: 401 not logged in, 403 not a volunteer
of the day nor a coordinator, 404 no such day, 409 the day is closed, 422 a malformed body.
"""

from __future__ import annotations

from functools import wraps

from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort
from flask_wtf.csrf import generate_csrf

from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.pickup.access import may_use_checklist
from marketplace.pickup.api_schemas import ChecklistSchema, TapBatchResultSchema, TapBatchSchema
from marketplace.pickup.checklist import checklist_for
from marketplace.pickup.taps import TapIn, apply_taps, day_is_closed
from marketplace.security import public

blp = Blueprint(
    "pickup_api",
    __name__,
    url_prefix="/api/pickup",
    description="La liste du jour des distributions : lecture et pointages (hors ligne).",
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


def _day_for_checklist(day_id: int) -> DistributionDay:
    day = db.session.get(DistributionDay, day_id)
    if day is None:
        abort(404, message=_("Cette distribution n'existe pas."))
    if not may_use_checklist(current_user, day):
        abort(
            403,
            message=_(
                "Seul·es les bénévoles de cette distribution et les coordinateur·rices "
                "peuvent voir la liste du jour."
            ),
        )
    return day


@blp.route("/days/<int:day_id>/checklist")
class ChecklistResource(MethodView):
    decorators = [api_login_required]

    @blp.response(200, ChecklistSchema)
    def get(self, day_id: int):
        """The day's checklist: households, what they collect, counts, and a version."""
        day = _day_for_checklist(day_id)
        checklist = checklist_for(day)
        checklist.csrf_token = generate_csrf()
        return checklist


@blp.route("/days/<int:day_id>/taps")
class TapsResource(MethodView):
    decorators = [api_login_required]

    @blp.arguments(TapBatchSchema)
    @blp.response(200, TapBatchResultSchema)
    @blp.alt_response(409, description="La distribution est clôturée.")
    def post(self, batch: dict, day_id: int):
        """Apply a batch of taps made on a phone, maybe offline. A tap already received
        answers "already_applied"; a refused tap says why."""
        day = _day_for_checklist(day_id)
        taps = [TapIn(**tap) for tap in batch["taps"]]
        results = apply_taps(day, current_user, taps)
        db.session.commit()
        version = checklist_for(day).version
        if day_is_closed(day.id):
            abort(
                409,
                message=_("Cette distribution est clôturée : la liste ne peut plus changer."),
                errors={"results": [r.__dict__ for r in results]},
            )
        return {"results": results, "version": version}
