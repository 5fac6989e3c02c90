"""Walk-in sales without JavaScript: the stop's sale form posts here, one sale at a time,
online; the answer is a flash message on the page the form came from.

The phone's offline queue uses the JSON API (walk_in_api.py); both call the same service.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length

from marketplace.catalogue.quantities import format_quantity, parse_quantity
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm, int_or_none, required
from marketplace.grocery_shop.models import StockItem, WalkInSale
from marketplace.grocery_shop.walk_in import (
    SALE_ID_MAX,
    SaleIn,
    SaleStatus,
    may_sell_at,
    sync_batch,
)
from marketplace.payments.money import format_money
from marketplace.routes.models import RunStop
from marketplace.security import safe_next_url

bp = Blueprint("walk_in", __name__)


class WalkInSaleForm(BaseForm):
    # Made when the page was drawn: the same form sent twice records one sale.
    sale_id = HiddenField(validators=[required(), Length(max=SALE_ID_MAX)])
    stock_item_id = SelectField(_l("Produit"), coerce=int_or_none, validate_choice=False)
    quantity = StringField(_l("Quantité"), validators=[required(), Length(max=20)])
    beneficiary_id = SelectField(_l("Foyer"), coerce=int_or_none, validate_choice=False)
    back = HiddenField()


class VoidSaleForm(BaseForm):
    back = HiddenField()


def _stop_or_404(slug: str, run_stop_id: int) -> RunStop:
    run_stop = db.get_or_404(RunStop, run_stop_id)
    if run_stop.run.route.grocery.slug != slug:
        abort(404)
    if not may_sell_at(current_user, run_stop):
        abort(403)
    return run_stop


def _back(form, run_stop: RunStop):
    """The page the form was on (a path of this site), else the stop's checklist page."""
    target = safe_next_url(form.back.data)
    return redirect(target or url_for("pickup.stop_checklist", run_stop_id=run_stop.id))


@bp.post("/epiceries/<slug>/arrets/<int:run_stop_id>/ventes")
def record_sale(slug: str, run_stop_id: int):
    run_stop = _stop_or_404(slug, run_stop_id)
    form = WalkInSaleForm()
    if not form.validate():
        first = next(iter(form.errors.values()))[0]
        flash(_("Vente non enregistrée : %(reason)s", reason=first), "error")
        return _back(form, run_stop)
    item = db.session.scalar(
        select(StockItem).where(
            StockItem.id == form.stock_item_id.data,
            StockItem.grocery_id == run_stop.run.route.grocery_id,
        )
    )
    if item is None:
        flash(_("Vente non enregistrée : choisissez un produit du stock."), "error")
        return _back(form, run_stop)
    try:
        milli = parse_quantity(form.quantity.data, item.unit)
    except DomainError as error:
        flash(_("Vente non enregistrée : %(reason)s", reason=error.message), "error")
        return _back(form, run_stop)
    sale = SaleIn(
        sale_id=form.sale_id.data,
        stock_item_id=item.id,
        quantity_milli=milli,
        beneficiary_id=form.beneficiary_id.data,
        sold_at=utcnow(),
    )
    [result], _voids = sync_batch(run_stop, current_user, [sale], [], utcnow())
    if result.status == SaleStatus.REFUSED:
        db.session.rollback()
        flash(_("Vente non enregistrée : %(reason)s", reason=result.message), "error")
    elif result.status == SaleStatus.ALREADY_APPLIED:
        db.session.rollback()
        flash(_("Cette vente était déjà enregistrée."), "info")
    else:
        db.session.commit()
        flash(_sold_message(result.sale_id, item, milli), "success")
    return _back(form, run_stop)


def _sold_message(sale_id: str, item: StockItem, milli: int) -> str:
    total = db.session.scalar(select(WalkInSale.total_cents).where(WalkInSale.sale_id == sale_id))
    return _(
        "Vente enregistrée : %(quantity)s de « %(product)s », %(amount)s.",
        quantity=format_quantity(milli, item.unit),
        product=item.name,
        amount=format_money(total),
    )


@bp.post("/epiceries/<slug>/arrets/<int:run_stop_id>/ventes/<sale_id>/annuler")
def void_sale(slug: str, run_stop_id: int, sale_id: str):
    run_stop = _stop_or_404(slug, run_stop_id)
    form = VoidSaleForm()
    if not form.validate():
        flash(_("La page a expiré : rechargez-la puis recommencez."), "error")
        return _back(form, run_stop)
    _sales, [result] = sync_batch(run_stop, current_user, [], [sale_id], utcnow())
    if result.status == SaleStatus.REFUSED:
        db.session.rollback()
        flash(result.message, "error")
    elif result.status == SaleStatus.ALREADY_APPLIED:
        db.session.rollback()
        flash(_("Cette vente était déjà annulée."), "info")
    else:
        db.session.commit()
        flash(_("Vente annulée : la quantité est remise en stock."), "success")
    return _back(form, run_stop)
