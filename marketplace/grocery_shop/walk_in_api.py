"""The walk-in sales JSON API, described by the OpenAPI document at /api/openapi.json.

GET  /api/pickup/stops/<run_stop_id>/sales  the stop's sales, takings, free stock, a CSRF token
POST /api/pickup/stops/<run_stop_id>/sales  {"sales": [...], "voids": [{"sale_id"}]} from the
                                            phone's queue; one result per entry, then the panel

Same conventions as the checklist's API (pickup/api.py): the session cookie, the CSRF token in
X-CSRFToken, JSON errors: 401 not logged in, 403 not the staff of the run's grocery, 404 no
such stop, 409 the run is closed or cancelled, 422 a malformed body.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort
from flask_wtf.csrf import generate_csrf

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.grocery_shop.walk_in import (
    SaleIn,
    SalesPanel,
    closed_reason,
    may_sell_at,
    sales_panel,
    sync_batch,
)
from marketplace.grocery_shop.walk_in_schemas import (
    WalkInBatchResultSchema,
    WalkInBatchSchema,
    WalkInPanelSchema,
)
from marketplace.pickup.api import api_login_required
from marketplace.routes.models import RunStop

blp = Blueprint(
    "walk_in_api",
    __name__,
    url_prefix="/api/pickup",
    description="Les ventes sur place aux arrêts du camion de l'épicerie (hors ligne).",
)


def _stop_for_sales(run_stop_id: int) -> RunStop:
    run_stop = db.session.get(RunStop, run_stop_id)
    if run_stop is None:
        abort(404, message=_("Cet arrêt n'existe pas."))
    if not may_sell_at(current_user, run_stop):
        abort(
            403,
            message=_("Seule l'équipe de l'épicerie peut enregistrer des ventes à cet arrêt."),
        )
    return run_stop


def _answer(run_stop: RunStop) -> SalesPanel:
    panel = sales_panel(run_stop)
    panel.csrf_token = generate_csrf()
    return panel


@blp.route("/stops/<int:run_stop_id>/sales")
class WalkInSalesResource(MethodView):
    decorators = [api_login_required]

    @blp.response(200, WalkInPanelSchema)
    def get(self, run_stop_id: int):
        """The stop's sales so far, its takings and the free stock."""
        return _answer(_stop_for_sales(run_stop_id))

    @blp.arguments(WalkInBatchSchema)
    @blp.response(200, WalkInBatchResultSchema)
    @blp.alt_response(409, description="La tournée est clôturée ou annulée.")
    def post(self, batch: dict, run_stop_id: int):
        """Record sales made on a phone, maybe offline, then void sales. A sale already
        received answers "already_applied"; a refused one says why and is not stored."""
        run_stop = _stop_for_sales(run_stop_id)
        sales = [SaleIn(**sale) for sale in batch["sales"]]
        void_ids = [void["sale_id"] for void in batch["voids"]]
        results, void_results = sync_batch(run_stop, current_user, sales, void_ids, utcnow())
        db.session.commit()
        reason = closed_reason(run_stop)
        if reason:
            abort(
                409,
                message=reason,
                errors={
                    "results": [result.__dict__ for result in results],
                    "void_results": [result.__dict__ for result in void_results],
                },
            )
        panel = _answer(run_stop)
        panel.results = results
        panel.void_results = void_results
        return panel
