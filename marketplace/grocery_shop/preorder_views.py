"""Pre-order pages: the grocery's staff take a household's pre-order by phone; a household with
a linked account pre-orders for itself at the van's coming stops, at its own prices.

A household only ever sees its own pre-orders and its own tier; another household's pre-order
is 404. The staff's pages need Role.GROCERY_STAFF (403 otherwise).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import Length

from marketplace.catalogue.quantities import is_zero_text, parse_quantity
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm, ConfirmForm, int_or_none
from marketplace.groceries.access import grocery_for_staff, grocery_or_404
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop import preorder_queries as queries
from marketplace.grocery_shop.beneficiaries import (
    beneficiaries_query,
    beneficiary_in,
    eligibility,
)
from marketplace.grocery_shop.models import Beneficiary, PreOrder, PreOrderStatus, StockItem
from marketplace.grocery_shop.preorders import (
    can_cancel,
    cancel_preorder,
    change_preorder,
    cutoff_at,
    cutoff_hours,
    is_open,
    live_preorder,
    place_preorder,
    quantity_field,
    tier_unit_price,
)
from marketplace.list_pages import paginate_query
from marketplace.routes.models import RunStop
from marketplace.shop.display import Formatter
from marketplace.timezones import paris_today

bp = Blueprint("preorders", __name__)


# At most this many households are offered after a search: the staff narrow it down.
MAX_MATCHES = 20
SEARCH_MAX = 100


class ChooseForm(BaseForm):
    """Whose pre-order, for which stop (a GET form: it only opens the order page). The staff
    type part of a household's name or phone number, then choose among a few matches."""

    class Meta:
        csrf = False

    recherche = StringField(
        _l("Nom ou téléphone du foyer"),
        validators=[Length(max=SEARCH_MAX, message=_l("%(max)d caractères au maximum."))],
    )
    beneficiaire = SelectField(_l("Foyer"), coerce=int_or_none, validate_choice=False)
    arret = SelectField(_l("Arrêt de la tournée"), coerce=int_or_none, validate_choice=False)


def _choose_form(grocery: Grocery, now, values=None) -> ChooseForm:
    form = ChooseForm(formdata=values)
    form.beneficiaire.choices = []
    form.arret.choices = [("", _("Choisissez un arrêt"))] + [
        (choice.run_stop_id, stop_label(choice))
        for choice in queries.open_run_stops(grocery.id, now)
    ]
    return form


def _matches(grocery: Grocery, search: str) -> list[Beneficiary]:
    """The grocery's current households matching `search`, one more than shown (one query)."""
    query = beneficiaries_query(grocery.id, search=search).limit(MAX_MATCHES + 1)
    return [row[0] for row in db.session.execute(query)]


def stop_label(choice: queries.StopChoice) -> str:
    return _(
        "%(day)s · %(village)s, %(place)s · %(time)s (%(route)s)",
        day=format_date(choice.day, "full"),
        village=choice.village,
        place=choice.place or "—",
        time=format_time(choice.arrives_at, "short"),
        route=choice.route_name,
    )


# --- the staff ---------------------------------------------------------------------------------


@bp.get("/epiceries/<slug>/precommandes")
def staff_index(slug: str):
    grocery = grocery_for_staff(slug)
    now = utcnow()
    return _render_index(grocery, _choose_form(grocery, now), now)


def _render_index(
    grocery: Grocery, form: ChooseForm, now, status: int = 200, *, matches=None, too_many=False
):
    today = paris_today(now)
    searched = request.args.get("foyer", "")[:SEARCH_MAX]
    return render_template(
        "grocery_shop/preorders/staff_index.html",
        grocery=grocery,
        form=form,
        matches=matches,
        too_many=too_many,
        max_matches=MAX_MATCHES,
        runs=queries.coming_runs(grocery.id, today),
        # 50 rows a page, so that the page stays small whatever the number of households.
        pre_orders=paginate_query(
            queries.staff_preorders_query(grocery.id, today, searched), row=queries.preorder_row
        ),
        searched=searched,
        cutoff_hours=cutoff_hours(),
        now=now,
        fmt=Formatter(),
    ), status


@bp.route("/epiceries/<slug>/precommandes/saisie", methods=["GET", "POST"])
def staff_order(slug: str):
    grocery = grocery_for_staff(slug)
    now = utcnow()
    form = _choose_form(grocery, now, request.args)
    if "beneficiaire" not in request.args or request.args.get("etape") == "chercher":
        return _search(grocery, form, now)
    # The household's id comes back from the browser: it must be one of this grocery's.
    beneficiary = beneficiary_in(grocery.id, form.beneficiaire.data or 0)
    run_stop = queries.run_stop_of_grocery(grocery.id, form.arret.data or 0)
    if beneficiary is None:
        form.beneficiaire.errors = [_("Choisissez un foyer dans la liste.")]
    if run_stop is None:
        form.arret.errors = [_("Choisissez un arrêt dans la liste.")]
    if beneficiary is None or run_stop is None:
        return _render_index(grocery, form, now, 422)
    return _order_page(
        grocery,
        beneficiary,
        run_stop,
        now,
        self_url=url_for(".staff_order", slug=slug, beneficiaire=beneficiary.id, arret=run_stop.id),
        back_url=url_for(".staff_index", slug=slug),
        cancel_endpoint=".staff_cancel",
        staff=True,
    )


def _search(grocery: Grocery, form: ChooseForm, now):
    """The households matching what the staff typed (a few at most), to choose from; the stop
    chosen stays selected."""
    if not form.recherche.validate(form):
        return _render_index(grocery, form, now, 422)
    search = (form.recherche.data or "").strip()
    if not search:
        form.recherche.errors = [_("Tapez une partie du nom ou du numéro de téléphone du foyer.")]
        return _render_index(grocery, form, now, 422)
    found = _matches(grocery, search)
    if not found:
        form.recherche.errors = [
            _(
                "Aucun foyer de l'épicerie ne correspond à « %(search)s » : vérifiez "
                "l'orthographe ou cherchez par son téléphone.",
                search=search,
            )
        ]
        return _render_index(grocery, form, now, 200, matches=[])
    shown = found[:MAX_MATCHES]
    form.beneficiaire.choices = [(row.id, _household_choice(row)) for row in shown]
    if form.beneficiaire.data not in {row.id for row in shown}:
        form.beneficiaire.data = shown[0].id
    return _render_index(grocery, form, now, 200, matches=shown, too_many=len(found) > MAX_MATCHES)


def _household_choice(beneficiary: Beneficiary) -> str:
    if beneficiary.phone:
        return f"{beneficiary.household_name} · {beneficiary.phone}"
    return beneficiary.household_name


@bp.post("/epiceries/<slug>/precommandes/<int:pre_order_id>/annuler")
def staff_cancel(slug: str, pre_order_id: int):
    grocery = grocery_for_staff(slug)
    pre_order = queries.preorder_of_grocery(grocery.id, pre_order_id)
    if pre_order is None:
        abort(404)
    _cancel(pre_order)
    return redirect(url_for(".staff_index", slug=slug))


# --- the household -----------------------------------------------------------------------------


def _household(grocery: Grocery) -> Beneficiary:
    beneficiary = queries.beneficiary_of(current_user.id, grocery.id)
    if beneficiary is None:
        abort(403)
    return beneficiary


@bp.get("/epicerie-mobile/<slug>")
def mine(slug: str):
    grocery = grocery_or_404(slug)
    beneficiary = _household(grocery)
    now = utcnow()
    today = paris_today(now)
    allowed, _reason = eligibility(beneficiary, today)
    usual = queries.usual_stop_ids(beneficiary.id)
    stops = queries.open_run_stops(grocery.id, now) if allowed else []
    return render_template(
        "grocery_shop/preorders/mine.html",
        grocery=grocery,
        beneficiary=beneficiary,
        allowed=allowed,
        pre_orders=queries.household_preorders(beneficiary.id, today),
        usual_stops=[stop for stop in stops if stop.stop_id in usual],
        other_stops=[stop for stop in stops if stop.stop_id not in usual],
        cutoff_hours=cutoff_hours(),
        now=now,
        is_open=is_open,
        can_cancel=can_cancel,
        cutoff_at=cutoff_at,
        confirm=ConfirmForm(),
        fmt=Formatter(),
    )


@bp.route("/epicerie-mobile/<slug>/arrets/<int:run_stop_id>", methods=["GET", "POST"])
def mine_order(slug: str, run_stop_id: int):
    grocery = grocery_or_404(slug)
    beneficiary = _household(grocery)
    run_stop = queries.run_stop_of_grocery(grocery.id, run_stop_id)
    if run_stop is None:
        abort(404)
    return _order_page(
        grocery,
        beneficiary,
        run_stop,
        utcnow(),
        self_url=url_for(".mine_order", slug=slug, run_stop_id=run_stop.id),
        back_url=url_for(".mine", slug=slug),
        cancel_endpoint=".mine_cancel",
        staff=False,
    )


@bp.post("/epicerie-mobile/<slug>/precommandes/<int:pre_order_id>/annuler")
def mine_cancel(slug: str, pre_order_id: int):
    grocery = grocery_or_404(slug)
    beneficiary = _household(grocery)
    pre_order = queries.preorder_of_grocery(grocery.id, pre_order_id)
    if pre_order is None or pre_order.beneficiary_id != beneficiary.id:
        abort(404)
    _cancel(pre_order)
    return redirect(url_for(".mine", slug=slug))


# --- shared: the order page and cancelling -----------------------------------------------------


def _cancel(pre_order: PreOrder) -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        cancel_preorder(pre_order, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("La précommande est annulée."), "success")


def _order_page(
    grocery: Grocery,
    beneficiary: Beneficiary,
    run_stop: RunStop,
    now,
    *,
    self_url: str,
    back_url: str,
    cancel_endpoint: str,
    staff: bool,
):
    live = live_preorder(beneficiary.id, run_stop.id)
    ordered = {line.stock_item_id: line.quantity_milli for line in live.lines} if live else {}
    items = {item.id: item for item in queries.items_on_offer(grocery.id, ordered)}
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    form_error = None
    confirm = ConfirmForm()

    if request.method == "POST":
        if not confirm.validate_on_submit():
            abort(400)
        quantities, errors = read_quantities(request.form, items)
        if not errors:
            try:
                if live is None:
                    live = place_preorder(
                        beneficiary, run_stop, quantities, by=current_user, now=now
                    )
                else:
                    change_preorder(live, quantities, now=now)
            except DomainError as error:
                db.session.rollback()
                if error.field:
                    errors[error.field] = error.message
                form_error = error.message
            else:
                db.session.commit()
                flash(_("La précommande est enregistrée."), "success")
                return redirect(self_url)
        typed = {key: value for key, value in request.form.items() if key.startswith("q-")}
        # After a rollback the objects are stale: read them again for the page.
        live = live_preorder(beneficiary.id, run_stop.id)
        items = {item.id: item for item in queries.items_on_offer(grocery.id, ordered)}

    tier = live.tier_percent if live else beneficiary.tier_percent
    allowed, reason = eligibility(beneficiary, run_stop.run.day)
    return render_template(
        "grocery_shop/preorders/order.html",
        grocery=grocery,
        beneficiary=beneficiary,
        run_stop=run_stop,
        pre_order=live,
        items=list(items.values()),
        prices={
            item_id: tier_unit_price(item.shelf_price_cents, tier)
            for item_id, item in items.items()
        },
        tier_percent=tier,
        quantities=ordered,
        typed=typed,
        errors=errors,
        form_error=form_error,
        can_order=is_open(run_stop.run, now) and allowed,
        can_cancel=live is not None and can_cancel(run_stop.run, now),
        closed_reason=None if allowed else reason,
        cutoff=cutoff_at(run_stop.run),
        cutoff_hours=cutoff_hours(),
        self_url=self_url,
        back_url=back_url,
        cancel_endpoint=cancel_endpoint,
        staff=staff,
        confirm=confirm,
        fmt=Formatter(),
        PLACED=PreOrderStatus.PLACED.value,
    ), (422 if errors or form_error else 200)


def read_quantities(form, items: dict[int, StockItem]) -> tuple[dict[int, int], dict[str, str]]:
    """{stock_item_id: thousandths} from the `q-<id>` fields; empty or 0 means none."""
    quantities: dict[int, int] = {}
    errors: dict[str, str] = {}
    for key, text in form.items():
        if not key.startswith("q-") or not text.strip() or is_zero_text(text):
            continue
        item = items.get(int_or_none(key[2:]) or 0)
        if item is None:
            errors[key] = _("Ce produit n'est pas dans le stock de l'épicerie.")
            continue
        try:
            quantities[item.id] = parse_quantity(text, item.unit, field=quantity_field(item.id))
        except DomainError as error:
            errors[key] = error.message
    return quantities, errors
