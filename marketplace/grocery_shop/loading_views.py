"""The printable loading list and driver's sheet of a run (the grocery's staff only: they name
the households). A run of another grocery is 404."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from marketplace.groceries.models import Grocery
from marketplace.groceries.services import grocery_by_slug
from marketplace.grocery_shop.loading import RunLoad, run_load
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role

bp = Blueprint("grocery_loading", __name__, url_prefix="/epiceries/<slug>")


def _staff_run(slug: str, run_id: int) -> tuple[Grocery, RunLoad]:
    grocery = grocery_by_slug(slug)
    if grocery is None:
        abort(404)
    require_role(grocery, Role.GROCERY_STAFF)
    load = run_load(grocery.id, run_id)
    if load is None:
        abort(404)
    return grocery, load


@bp.get("/chargement/<int:run_id>")
def loading_list(slug: str, run_id: int):
    grocery, load = _staff_run(slug, run_id)
    return render_template("grocery_shop/loading/loading_list.html", grocery=grocery, load=load)


@bp.get("/feuille-de-route/<int:run_id>")
def driver_sheet(slug: str, run_id: int):
    grocery, load = _staff_run(slug, run_id)
    return render_template("grocery_shop/loading/driver_sheet.html", grocery=grocery, load=load)
