"""The grocery staff's purchases from the producers' weekly availability: the distributions
open to orders, the order page of one day (place, change, cancel), and entering a collected
purchase into the stock.

Only the grocery's staff (and site admins) reach them: 403 for anyone else, 404 for an unknown
grocery or another grocery's purchase.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import StringField

from marketplace.catalogue.quantities import is_zero_text, parse_quantity
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, SubForm, too_long
from marketplace.groceries.access import grocery_for_staff
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop import purchases
from marketplace.grocery_shop.stock_views import NOT_A_PRICE, QUANTITY_MAX_LENGTH
from marketplace.mail import absolute_url
from marketplace.payments.fields import EuroField
from marketplace.shop import ordering
from marketplace.shop import queries as shop_queries
from marketplace.shop.display import Formatter
from marketplace.shop.emails import send_grocery_purchase_email
from marketplace.shop.models import Order
from marketplace.timezones import paris_today

bp = Blueprint("grocery_purchases", __name__, url_prefix="/epiceries/<slug>/achats")


@bp.get("")
def index(slug: str):
    grocery = grocery_for_staff(slug)
    now = utcnow()
    return render_template(
        "grocery_shop/purchases/index.html",
        grocery=grocery,
        days=purchases.open_days(grocery.id, now),
        purchases=purchases.live_purchases(grocery.id, now),
        now=now,
        fmt=Formatter(),
    )


@bp.route("/distributions/<int:day_id>", methods=["GET", "POST"])
def day(slug: str, day_id: int):
    grocery = grocery_for_staff(slug)
    distribution = purchases.day_for_purchase(day_id)
    if distribution is None:
        abort(404)
    now = utcnow()
    live = ordering.live_purchase(grocery.id, distribution.id)
    rows = shop_queries.shop_rows(distribution)
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    form_error = None
    confirm = ConfirmForm()

    if request.method == "POST":
        if not confirm.validate_on_submit():
            abort(400)
        quantities, errors = _read_quantities(
            request.form, {r.availability_id: r.unit for r in rows}
        )
        if not errors:
            try:
                order = _place_or_change(grocery, distribution, live, quantities, now)
            except DomainError as error:
                db.session.rollback()
                if error.field:
                    errors[error.field] = error.message
                form_error = error.message
            else:
                _email(grocery, order, "changed" if live else "placed")
                db.session.commit()  # the purchase and its email together
                flash(
                    _("L'achat de l'épicerie est modifié.")
                    if live
                    else _("L'achat de l'épicerie est enregistré."),
                    "success",
                )
                return redirect(url_for(".day", slug=slug, day_id=distribution.id))
        typed = {key: value for key, value in request.form.items() if key.startswith("q-")}
        form_error = form_error or _("Corrigez les quantités signalées : rien n'a été enregistré.")
        # After a rollback the objects are stale: read them again for the page.
        live = ordering.live_purchase(grocery.id, distribution.id)
        rows = shop_queries.shop_rows(distribution)

    ordered = {line.availability_id: line.quantity_milli for line in live.lines} if live else {}
    fmt = Formatter()
    return render_template(
        "grocery_shop/purchases/day.html",
        grocery=grocery,
        day=distribution,
        rows=rows,
        purchase=live,
        values={ordering.quantity_field(key): fmt.typed(milli) for key, milli in ordered.items()}
        | typed,
        errors=errors,
        form_error=form_error,
        window_open=distribution.order_window_open(now),
        receivable=live is not None and purchases.receivable(live, now),
        confirm=confirm,
        fmt=fmt,
    ), (422 if errors or form_error else 200)


def _read_quantities(form, units: Mapping[int, str]) -> tuple[dict[int, int], dict[str, str]]:
    """{availability_id: thousandths} from the day's `q-<id>` fields; blank or 0: none."""
    quantities: dict[int, int] = {}
    errors: dict[str, str] = {}
    for availability_id, unit in units.items():
        name = ordering.quantity_field(availability_id)
        text = (form.get(name) or "").strip()
        if not text or is_zero_text(text):
            continue
        try:
            quantities[availability_id] = parse_quantity(text, unit, field=name)
        except DomainError as error:
            errors[name] = error.message
    return quantities, errors


def _place_or_change(grocery: Grocery, day: DistributionDay, live: Order | None, quantities, now):
    if live is None:
        return ordering.place_order(current_user, day, quantities, now=now, grocery=grocery)
    return ordering.change_order(live, quantities, now=now, by=current_user)


def _email(grocery: Grocery, order: Order, event: str) -> None:
    send_grocery_purchase_email(
        order,
        event,
        staff=current_user,
        grocery_name=grocery.name,
        link=absolute_url(
            "grocery_purchases.day", slug=grocery.slug, day_id=order.distribution_day_id
        ),
    )


@bp.post("/<int:order_id>/annuler")
def cancel(slug: str, order_id: int):
    grocery = grocery_for_staff(slug)
    order = purchases.purchase_of(grocery.id, order_id)
    if order is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ordering.cancel_order(order, now=utcnow(), by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".day", slug=slug, day_id=order.distribution_day_id))
    _email(grocery, order, "cancelled")
    db.session.commit()
    flash(_("L'achat est annulé : les produits sont remis en vente."), "success")
    return redirect(url_for(".index", slug=slug))


# --- entering a purchase into the stock --------------------------------------------------------


class ReceiptForm(SubForm):
    """One line of the purchase (prefixed by its id: `l<id>-quantity`, `l<id>-shelf_price`)."""

    quantity = StringField(
        _l("Quantité reçue"),
        validators=[too_long(QUANTITY_MAX_LENGTH)],
        render_kw={"inputmode": "decimal"},
    )
    shelf_price = EuroField(_l("Prix en rayon par unité (€)"), invalid_message=NOT_A_PRICE)


@bp.route("/<int:order_id>/reception", methods=["GET", "POST"])
def receive(slug: str, order_id: int):
    grocery = grocery_for_staff(slug)
    order = purchases.purchase_of(grocery.id, order_id)
    if order is None:
        abort(404)
    now = utcnow()
    done = purchases.stocked_line_ids(order)
    waiting = [line for line in order.lines if line.id not in done]
    confirm = ConfirmForm()
    posted = request.method == "POST"
    forms = {}
    for line in waiting:
        form = ReceiptForm(request.form if posted else None, prefix=f"l{line.id}")
        if not posted:
            form.quantity.data = Formatter.typed(line.quantity_milli)
            form.shelf_price.data = line.unit_price_cents  # what it cost, per unit
        forms[line.id] = form

    if posted:
        if not confirm.validate_on_submit():
            abort(400)
        if all([form.validate() for form in forms.values()]):
            receipts = {
                line_id: purchases.LineReceipt(form.quantity.data or "", form.shelf_price.data)
                for line_id, form in forms.items()
            }
            try:
                items = purchases.receive_purchase(
                    order, receipts, received_on=paris_today(now), now=now
                )
            except DomainError as error:
                db.session.rollback()
                line_id, _sep, name = (error.field or "").partition("-")
                form = forms.get(int(line_id[1:])) if line_id[1:].isdigit() else None
                if form is None or name not in form:
                    flash(error.message, "warning")
                    return redirect(url_for(".index", slug=slug))
                form[name].errors = [*form[name].errors, error.message]
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "%(num)d produit est entré en stock.",
                        "%(num)d produits sont entrés en stock.",
                        len(items),
                    ),
                    "success",
                )
                return redirect(url_for("grocery_stock.index", slug=slug))

    return render_template(
        "grocery_shop/purchases/receive.html",
        grocery=grocery,
        order=order,
        day=order.distribution_day,
        waiting=waiting,
        stocked=[line for line in order.lines if line.id in done],
        forms=forms,
        receivable=purchases.receivable(order, now),
        confirm=confirm,
        fmt=Formatter(),
    ), (422 if posted else 200)
