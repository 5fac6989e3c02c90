"""The printable loading list and driver's sheet of a run, and closing the run (the grocery's
staff only: they name the households). A run of another grocery is 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm
from marketplace.groceries.access import grocery_for_staff
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop.loading import RunLoad, run_load
from marketplace.grocery_shop.run_closing import close_run, closing_of, run_of_grocery
from marketplace.routes.models import RunStatus

bp = Blueprint("grocery_loading", __name__, url_prefix="/epiceries/<slug>")

PAGES = {
    "loading_list": "grocery_shop/loading/loading_list.html",
    "driver_sheet": "grocery_shop/loading/driver_sheet.html",
}


def _staff_run(slug: str, run_id: int) -> tuple[Grocery, RunLoad]:
    grocery = grocery_for_staff(slug)
    load = run_load(grocery.id, run_id)
    if load is None:
        abort(404)
    return grocery, load


def _render(kind: str, slug: str, run_id: int):
    grocery, load = _staff_run(slug, run_id)
    closing = closing_of(run_id)
    return render_template(
        PAGES[kind],
        grocery=grocery,
        load=load,
        closing=closing,
        # The button only where closing can work; the service checks again on POST.
        may_close=closing is None
        and load.run.status == RunStatus.SCHEDULED
        and load.run.departs_at <= utcnow(),
        confirm=ConfirmForm(),
    )


@bp.get("/chargement/<int:run_id>")
def loading_list(slug: str, run_id: int):
    return _render("loading_list", slug, run_id)


@bp.get("/feuille-de-route/<int:run_id>")
def driver_sheet(slug: str, run_id: int):
    return _render("driver_sheet", slug, run_id)


@bp.post("/tournees/<int:run_id>/cloturer")
def close(slug: str, run_id: int):
    grocery = grocery_for_staff(slug)
    run = run_of_grocery(grocery.id, run_id)
    if run is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        closing = close_run(run, by=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _(
                "Tournée clôturée : %(collected)s, %(released)s.",
                collected=ngettext(
                    "%(num)d précommande remise",
                    "%(num)d précommandes remises",
                    closing.collected_count,
                ),
                released=ngettext(
                    "%(num)d remise en rayon", "%(num)d remises en rayon", closing.released_count
                ),
            ),
            "success",
        )
    page = request.form.get("page")
    endpoint = page if page in PAGES else "driver_sheet"
    return redirect(url_for(f".{endpoint}", slug=slug, run_id=run_id))
