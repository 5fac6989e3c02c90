"""The weekly shop: a member fills a cart for a distribution day of their group, orders,
then changes or cancels the order until the window closes.

The cart lives in the session; the shop page is one form (it works without JavaScript). Its
product list comes from shop/fragments.py (rendered once per version of the day's catalogue);
the member's quantities, what is left and a refused form's errors are filled in per request.
A day of a group the person does not belong to is refused (403); someone else's order is 404.
"""

from __future__ import annotations

import functools

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import joinedload

from marketplace.catalogue.models import Availability, Category, Product
from marketplace.catalogue.quantities import line_total_cents
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, int_or_none
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Membership, Role
from marketplace.shop import cart, fragments, ordering, queries
from marketplace.shop.display import Formatter
from marketplace.shop.emails import send_order_email
from marketplace.shop.models import OrderStatus
from marketplace.unique import AlreadyCreatedError

bp = Blueprint("shop", __name__, url_prefix="/boutique")


def _day_for_shopper(day_id: int) -> DistributionDay:
    """The day, for a member or coordinator of its group: one query, the role read with it."""
    if not current_user.is_authenticated or current_user.is_admin:
        day = db.session.scalar(_day_statement(), {"day_id": day_id})
        if day is None:
            abort(404)
        require_role(day.group, Role.MEMBER, Role.COORDINATOR)
        return day
    row = db.session.execute(
        _day_and_role_statement(), {"day_id": day_id, "user_id": current_user.id}
    ).first()
    if row is None:
        abort(404)
    day, shops_there = row
    if not shops_there:
        abort(403)
    return day


@functools.cache
def _day_statement():
    """The day with its group and pickup point (the page shows them), built once."""
    return (
        select(DistributionDay)
        .options(joinedload(DistributionDay.group), joinedload(DistributionDay.pickup_point))
        .where(DistributionDay.id == bindparam("day_id"))
    )


@functools.cache
def _day_and_role_statement():
    """The day as above, and whether the person is a member or coordinator of its group."""
    shops_there = exists().where(
        Membership.user_id == bindparam("user_id"),
        Membership.organisation_id == DistributionDay.group_id,
        Membership.role.in_([Role.MEMBER.value, Role.COORDINATOR.value]),
    )
    return (
        select(DistributionDay, shops_there)
        .options(joinedload(DistributionDay.group), joinedload(DistributionDay.pickup_point))
        .where(DistributionDay.id == bindparam("day_id"))
    )


def _filters(values) -> queries.ShopFilters:
    category = values.get("categorie") or None
    return queries.ShopFilters(
        search=(values.get("recherche") or "").strip()[:100],
        producer_id=int_or_none(values.get("producteur")),
        category=category if category in Category._value2member_map_ else None,
    )


def _filter_args(filters: queries.ShopFilters) -> dict:
    args = {"recherche": filters.search, "producteur": filters.producer_id}
    args["categorie"] = filters.category
    return {key: value for key, value in args.items() if value}


@bp.get("/")
def index():
    return render_template(
        "shop/index.html",
        days=queries.open_days(current_user, utcnow()),
        fmt=Formatter(),
    )


@bp.route("/distributions/<int:day_id>", methods=["GET", "POST"])
def shop(day_id: int):
    day = _day_for_shopper(day_id)
    now = utcnow()
    order_id, ordered = queries.live_order_quantities(current_user, day)
    current_cart = cart.load(session, day.id)
    if current_cart is None:
        current_cart = dict(ordered)
    filters = _filters(request.form if request.method == "POST" else request.args)
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    form_error = None

    if request.method == "POST":
        if not day.order_window_open(now):
            flash(_("Les commandes ne sont pas ouvertes pour cette distribution."), "error")
            return redirect(url_for(".shop", day_id=day.id))
        shown = [value for value in map(int_or_none, request.form.getlist("shown")) if value]
        units = _units_offered(day, shown)
        new_cart, errors = cart.read_form(request.form, units, current_cart)
        if any(request.form.get(ordering.quantity_field(i)) for i in set(shown) - set(units)):
            form_error = _("Ce produit n'est pas proposé pour cette distribution.")
        if errors or form_error:
            typed = {key: value for key, value in request.form.items() if key.startswith("q-")}
        else:
            cart.save(session, day.id, new_cart)
            current_cart = new_cart
            if request.form.get("action") != "order":
                flash(_("Panier mis à jour."), "success")
                return redirect(url_for(".shop", day_id=day.id, **_filter_args(filters)))
            # A sold-out product refuses the order by one read, before anything is written:
            # nothing to roll back, and the page is filled from what is already loaded.
            if (refusal := ordering.stock_refusal(day, new_cart, ordered)) is not None:
                errors[refusal.field] = refusal.message
                form_error = refusal.message
            else:
                try:
                    order = _place_or_change(day, order_id, new_cart, now)
                except AlreadyCreatedError as error:
                    # The same order sent twice at once (a double click): the first one's answer.
                    done_id = error.existing.id if error.existing is not None else None
                    db.session.rollback()
                    if done_id is None:
                        form_error = error.message
                    else:
                        cart.forget(session, day.id)
                        flash(_("Votre commande est enregistrée. Merci !"), "success")
                        return redirect(url_for(".order", order_id=done_id))
                except DomainError as error:
                    db.session.rollback()
                    if error.field:
                        errors[error.field] = error.message
                    form_error = error.message
                else:
                    db.session.commit()  # the order and its email together
                    cart.forget(session, day.id)
                    flash(
                        _("Votre commande est modifiée.")
                        if order_id
                        else _("Votre commande est enregistrée. Merci !"),
                        "success",
                    )
                    return redirect(url_for(".order", order_id=order.id))

    window_open = day.order_window_open(now)
    # The cached list, even for a refused form: the errors are filled in like the quantities.
    products = fragments.product_list(day, filters, window_open=window_open)
    cart_rows = queries.shop_rows(day, only_ids=list(current_cart)) if current_cart else []
    values = {key: Formatter.typed(milli) for key, milli in current_cart.items()}
    values.update(_typed_values(typed))
    fills = fragments.fills_for(
        products, values=values, stock=fragments.remaining_stock(day), errors=errors
    )
    return fragments.page_response(
        "shop/shop.html",
        products,
        fills,
        422 if errors or form_error else 200,
        day=day,
        products=products,
        filters=filters,
        cart_items=[(row, current_cart[row.availability_id]) for row in cart_rows],
        cart_total=sum(
            line_total_cents(row.price_cents, current_cart[row.availability_id])
            for row in cart_rows
        ),
        cart_changed=current_cart != ordered,
        order_id=order_id,
        window_open=window_open,
        form_error=form_error,
        fmt=Formatter(),
    )


def _typed_values(typed: dict[str, str]) -> dict[int, str]:
    """What was typed in a refused form, given back as it was ({availability id: text})."""
    prefix = ordering.quantity_field(0)[:-1]
    return {
        int(name.removeprefix(prefix)): text
        for name, text in typed.items()
        if name.removeprefix(prefix).isdigit()
    }


def _units_offered(day: DistributionDay, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Availability.id, Product.unit)
            .join(Product, Product.id == Availability.product_id)
            .where(
                Availability.id.in_(ids),
                Availability.group_id == day.group_id,
                Availability.day == day.day,
                Availability.published.is_(True),
            )
        ).all()
    )


def _place_or_change(day: DistributionDay, order_id: int | None, quantities, now):
    """The order and its email, queued before the stock moves so that a product's row stays
    locked as briefly as possible in a last-units rush."""
    if order_id is None:
        return ordering.place_order(
            current_user,
            day,
            quantities,
            now=now,
            before_stock=lambda order: send_order_email(order, "placed"),
        )
    order = queries.own_order(order_id, current_user)
    return ordering.change_order(
        order, quantities, now=now, before_stock=lambda order: send_order_email(order, "changed")
    )


@bp.get("/commandes")
def my_orders():
    return render_template(
        "shop/my_orders.html", orders=queries.my_orders(current_user), now=utcnow()
    )


@bp.get("/commandes/<int:order_id>")
def order(order_id: int):
    found = queries.own_order(order_id, current_user)
    if found is None:
        abort(404)
    return render_template(
        "shop/order.html",
        order=found,
        day=found.distribution_day,
        editable=found.status == OrderStatus.PLACED
        and found.distribution_day.order_window_open(utcnow()),
        form=ConfirmForm(),
    )


@bp.post("/commandes/<int:order_id>/annuler")
def cancel(order_id: int):
    found = queries.own_order(order_id, current_user)
    if found is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ordering.cancel_order(found, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".order", order_id=order_id))
    send_order_email(found, "cancelled")
    db.session.commit()
    cart.forget(session, found.distribution_day_id)
    flash(_("Votre commande est annulée ; son montant est recrédité sur votre relevé."), "success")
    return redirect(url_for(".order", order_id=order_id))
