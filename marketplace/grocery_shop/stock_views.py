"""The grocery staff's stock screens: the stock by category (available and reserved), the
donations of AMAP pickup days waiting to be received, purchases, donations and corrections.

Only the grocery's staff (and site admins) reach them; anyone else gets 403.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField

from marketplace.catalogue.labels import CATEGORY_NAMES, UNIT_NAMES, unit_name
from marketplace.catalogue.quantities import format_quantity, quantity_number
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm, int_or_none, required, show_service_error, too_long
from marketplace.groceries.access import grocery_for_staff
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop import stock, stock_receiving
from marketplace.grocery_shop.beneficiary_views import date_required
from marketplace.grocery_shop.models import StockItem
from marketplace.payments.fields import EuroField
from marketplace.payments.offline_forms import LocalDateField
from marketplace.timezones import paris_today

bp = Blueprint("grocery_stock", __name__, url_prefix="/epiceries/<slug>/stock")

NOT_A_PRICE = _l("Indiquez un prix en euros, par exemple 2,50 (0 pour un produit gratuit).")

# A quantity typed in a form ("12,5"): read as a decimal later, bounded as a text first.
QUANTITY_MAX_LENGTH = 20


def _category_choices(blank: bool) -> list[SelectChoice]:
    choices = [SelectChoice(code.value, name) for code, name in CATEGORY_NAMES.items()]
    return [SelectChoice("", _l("— Choisir —")), *choices] if blank else choices


def _unit_choices() -> list[SelectChoice]:
    units = [SelectChoice(code.value, names[0]) for code, names in UNIT_NAMES.items()]
    return [SelectChoice("", _l("— Choisir —")), *units]


def _shelf_price(label=None) -> EuroField:
    return EuroField(label or _l("Prix en rayon par unité (€)"), invalid_message=NOT_A_PRICE)


class IncomingForm(BaseForm):
    """A purchase (producer required) or a donation (producer optional)."""

    producer_id = SelectField(_l("Producteur"), coerce=int_or_none, validate_choice=False)
    product_id = SelectField(_l("Produit du catalogue"), coerce=int_or_none, validate_choice=False)
    name = StringField(_l("Ou nom du produit"), validators=[too_long(stock_receiving.NAME_MAX)])
    category = SelectField(_l("Catégorie"), choices=_category_choices(True), validate_choice=False)
    unit = SelectField(_l("Unité"), choices=_unit_choices(), validate_choice=False)
    quantity = StringField(
        _l("Quantité reçue"),
        validators=[required(), too_long(QUANTITY_MAX_LENGTH)],
        render_kw={"inputmode": "decimal"},
    )
    shelf_price = _shelf_price()
    received_on = LocalDateField(_l("Reçu le"), validators=[date_required()])

    def fill_choices(self, producer_blank_label) -> None:
        producers = stock_receiving.producer_choices()
        products = stock_receiving.product_choices()
        self.producer_id.choices = [
            SelectChoice("", producer_blank_label),
            *(SelectChoice(str(value), label) for value, label in producers),
        ]
        self.product_id.choices = [
            SelectChoice("", _l("— Aucun : je tape le nom —")),
            *(SelectChoice(str(value), label) for value, label in products),
        ]

    def data_for_service(self) -> stock_receiving.IncomingData:
        return stock_receiving.IncomingData(
            quantity_text=self.quantity.data or "",
            shelf_price_cents=self.shelf_price.data,
            received_on=self.received_on.data,
            producer_id=self.producer_id.data,
            product_id=self.product_id.data,
            name=self.name.data or "",
            category=self.category.data or "",
            unit=self.unit.data or "",
        )


class ReceiveForm(BaseForm):
    shelf_price = _shelf_price()
    category = SelectField(_l("Catégorie"), choices=_category_choices(False), validate_choice=False)


class AdjustForm(BaseForm):
    quantity = StringField(
        _l("Quantité réellement en rayon"),
        validators=[required(), too_long(QUANTITY_MAX_LENGTH)],
        render_kw={"inputmode": "decimal"},
    )
    shelf_price = _shelf_price()


@bp.get("")
def index(slug: str):
    grocery = grocery_for_staff(slug)
    return _stock_page(grocery)


def _stock_page(grocery: Grocery, failed: dict[int, ReceiveForm] | None = None, status=200):
    waiting = stock_receiving.waiting_donations(grocery.id)
    failed = failed or {}
    forms = {}
    for donation in waiting:
        form = failed.get(donation.item.id)
        if form is None:
            form = ReceiveForm(formdata=None, prefix=f"d{donation.item.id}")
            form.category.data = donation.category
            form.shelf_price.data = 0
        forms[donation.item.id] = form
    items = stock.stock_items(grocery.id)
    by_category: dict[str, list[StockItem]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    return render_template(
        "grocery_shop/stock/index.html",
        grocery=grocery,
        by_category=by_category,
        category_names=CATEGORY_NAMES,
        waiting=waiting,
        forms=forms,
    ), status


@bp.route("/achat", methods=["GET", "POST"])
def purchase(slug: str):
    return _incoming(slug, purchase=True)


@bp.route("/don", methods=["GET", "POST"])
def donation(slug: str):
    return _incoming(slug, purchase=False)


def _incoming(slug: str, *, purchase: bool):
    grocery = grocery_for_staff(slug)
    form = IncomingForm()
    form.fill_choices(_l("— Choisir —") if purchase else _l("— Aucun (autre donateur) —"))
    if not form.is_submitted():
        form.received_on.data = paris_today()
    if form.validate_on_submit():
        record = stock_receiving.record_purchase if purchase else stock_receiving.record_donation
        try:
            item = record(grocery.id, form.data_for_service())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "%(quantity)s de « %(name)s » ajouté au stock.",
                    quantity=format_quantity(item.quantity_milli, item.unit),
                    name=item.name,
                ),
                "success",
            )
            return redirect(url_for(".index", slug=grocery.slug))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "grocery_shop/stock/incoming.html", grocery=grocery, form=form, purchase=purchase
    ), status


@bp.post("/dons/<int:donated_item_id>/recevoir")
def receive(slug: str, donated_item_id: int):
    grocery = grocery_for_staff(slug)
    form = ReceiveForm(prefix=f"d{donated_item_id}")
    if form.validate_on_submit():
        try:
            item = stock_receiving.receive_donated_item(
                grocery.id,
                donated_item_id,
                shelf_price_cents=form.shelf_price.data,
                category=form.category.data or "",
                received_on=paris_today(),
            )
        except DomainError as error:
            db.session.rollback()
            if error.field is None:  # gone, received already or not ours: say so on the list
                flash(error.message, "warning")
                return redirect(url_for(".index", slug=grocery.slug))
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("« %(name)s » est entré dans le stock.", name=item.name), "success")
            return redirect(url_for(".index", slug=grocery.slug))
    return _stock_page(grocery, {donated_item_id: form}, 400)


@bp.route("/<int:item_id>/ajuster", methods=["GET", "POST"])
def adjust(slug: str, item_id: int):
    grocery = grocery_for_staff(slug)
    item = db.session.get(StockItem, item_id)
    if item is None or item.grocery_id != grocery.id:
        abort(404)
    form = AdjustForm()
    if not form.is_submitted():
        form.quantity.data = quantity_number(item.quantity_milli)
        form.shelf_price.data = item.shelf_price_cents
    if form.validate_on_submit():
        try:
            stock_receiving.adjust_item(
                item, quantity_text=form.quantity.data, shelf_price_cents=form.shelf_price.data
            )
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Stock de « %(name)s » corrigé.", name=item.name), "success")
            return redirect(url_for(".index", slug=grocery.slug))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "grocery_shop/stock/adjust.html",
        grocery=grocery,
        form=form,
        item=item,
        unit_label=unit_name(item.unit, plural=True),
    ), status
