"""Card and SEPA pages: pay an installment or an order, saved methods, refunds.

Flow (the same with Stripe and localstripe): Stripe.js confirms a SetupIntent with the card or
IBAN typed in the page; the form then posts only the SetupIntent's id (or a saved method's);
the server creates and confirms the PaymentIntent for the amount it knows; if the bank asks for
3-D Secure, a page lets Stripe.js authenticate; the return page asks Stripe for the real state.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.cards import expiry, fees, gateway, paying, saved_methods, settlement
from marketplace.cards.dunning import failure_reason
from marketplace.cards.forms import NewMethodForm, RefundForm, SavedMethodForm
from marketplace.cards.installments import context_of, coordinators_of
from marketplace.cards.models import STRIPE_METHODS, CardPayment, CardPaymentState
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Organisation, Role
from marketplace.payments.models import InstallmentState
from marketplace.security import content_security_policy

bp = Blueprint("cards", __name__, url_prefix="/paiements/carte")


@bp.after_request
def _allow_stripe_js(response):
    """Only these pages load Stripe.js: only they allow its origin."""
    response.headers["Content-Security-Policy"] = content_security_policy(
        stripe_js_url=current_app.config["STRIPE_JS_URL"],
        stripe_api_base=current_app.config["STRIPE_API_BASE"],
    )
    return response


def _gateway_down():
    flash(_("Le service de paiement ne répond pas : réessayez dans quelques minutes."), "error")


# --- Paying ------------------------------------------------------------------------------------


@bp.route("/echeances/<int:installment_id>", methods=["GET", "POST"])
def pay_installment(installment_id: int):
    context = context_of(installment_id)
    if context is None or context.user.id != current_user.id:
        abort(404)
    installment = context.installment
    back = url_for("subscriptions.detail", subscription_id=installment.subscription_id)
    if installment.state in (*settlement.PAID_INSTALLMENT_STATES, InstallmentState.CANCELLED):
        flash(_("Cette échéance n'est plus à payer."), "info")
        return redirect(back)
    if not context.pays_through_stripe:
        # Paid by transfer, cheque or cash: the page says how, to whom, with which reference.
        return render_template(
            "cards/pay_offline.html",
            context=context,
            installment=installment,
            reference=f"{context.group.slug.upper()}-{installment.subscription_id}-"
            f"{installment.sequence}",
            coordinators=coordinators_of(context.group.id),
            back=back,
        )

    def start(method: str):
        return settlement.new_payment(
            user=current_user,
            group_id=context.group.id,
            amount_cents=installment.amount_cents,
            installment=installment,
            method=method,
        )

    return _pay_page(
        title=_("Payer l'échéance du %(day)s", day=installment.due_on.strftime("%d/%m/%Y")),
        what=context.offer_name,
        amount_cents=installment.amount_cents,
        method=context.payment_method,
        start=start,
        live=lambda: paying.refresh_live_attempt(installment_id=installment.id),
        back=back,
    )


@bp.route("/commandes/<int:order_id>", methods=["GET", "POST"])
def pay_order(order_id: int):
    order = paying.order_to_pay(order_id)
    if order is None or order.user_id != current_user.id:
        abort(404)
    back = url_for("cards.saved_methods")
    if order.status != paying.PLACED or order.total_cents <= 0:
        flash(_("Cette commande n'est pas à payer."), "info")
        return redirect(back)
    if paying.settled_payment(order_id=order.id) is not None:
        flash(_("Cette commande est déjà payée."), "info")
        return redirect(back)

    def start(method: str):
        return settlement.new_payment(
            user=current_user,
            group_id=order.group_id,
            amount_cents=order.total_cents,
            order=order,
            method=method,
        )

    return _pay_page(
        title=_("Payer la commande n° %(id)s", id=order.id),
        what=_("Commande de la semaine"),
        amount_cents=order.total_cents,
        method="card",
        start=start,
        live=lambda: paying.refresh_live_attempt(order_id=order.id),
        back=back,
    )


@bp.route("/adhesions/<int:membership_id>", methods=["GET", "POST"])
def pay_membership(membership_id: int):
    fee = fees.hooks().describe(membership_id)
    if fee is None or fee.user_id != current_user.id:
        abort(404)
    if fee.paid:
        flash(_("Cette adhésion est déjà réglée."), "info")
        return redirect(fee.back)

    def start(method: str):
        return settlement.new_payment(
            user=current_user,
            group_id=fee.group_id,
            amount_cents=fee.amount_cents,
            membership_id=fee.id,
            method=method,
        )

    return _pay_page(
        title=_("Payer votre adhésion"),
        what=fee.title,
        amount_cents=fee.amount_cents,
        method="card",
        start=start,
        live=lambda: paying.refresh_live_attempt(membership_id=fee.id),
        back=fee.back,
    )


def _pay_page(*, title, what, amount_cents, method, start, live, back):
    try:
        under_way = live()
    except gateway.GatewayError:
        under_way = None
    if under_way is not None:
        db.session.commit()
        return redirect(url_for("cards.payment_return", payment_id=under_way.id))
    new_form = NewMethodForm(prefix="new")
    saved_form = SavedMethodForm(prefix="saved")
    saved = [m for m in saved_methods.methods_of(current_user) if m.method == method]
    chosen = None
    if "new-setup_intent_id" in request.form and new_form.validate_on_submit():
        chosen = _new_method(new_form)
    elif "saved-saved_method_id" in request.form and saved_form.validate_on_submit():
        chosen = _saved_method(saved_form)
    if chosen is not None:
        payment_method_id, method_type = chosen
        try:
            payment = start(method_type)
            state = paying.charge_now(payment, payment_method_id)
        except DomainError as error:
            db.session.commit()  # the failed attempt is kept, with the bank's reason
            flash(error.message, "error")
            return redirect(request.path)
        db.session.commit()
        if state == CardPaymentState.REQUIRES_ACTION:
            return redirect(url_for("cards.authenticate", payment_id=payment.id))
        return redirect(url_for("cards.payment_return", payment_id=payment.id))
    try:
        setup = gateway.create_setup_intent(current_user, method, saved_methods.PURPOSE_PAY)
    except gateway.GatewayError:
        _gateway_down()
        return redirect(back)
    db.session.commit()  # the Stripe customer row
    return render_template(
        "cards/pay.html",
        title=title,
        what=what,
        amount_cents=amount_cents,
        method=method,
        saved=saved,
        new_form=new_form,
        saved_form=saved_form,
        client_secret=setup.client_secret,
        back=back,
    )


def _new_method(form: NewMethodForm) -> tuple[str, str] | None:
    try:
        method_id = saved_methods.succeeded_setup_method(current_user, form.setup_intent_id.data)
        if form.remember.data:
            saved = saved_methods.save(current_user, method_id)
            return saved.stripe_payment_method_id, saved.method
        details = gateway.as_dict(gateway.retrieve_payment_method(method_id))
    except DomainError as error:
        flash(error.message, "error")
        return None
    except gateway.GatewayError:
        _gateway_down()
        return None
    return method_id, details["type"]


def _saved_method(form: SavedMethodForm) -> tuple[str, str] | None:
    method_id = int(form.saved_method_id.data) if form.saved_method_id.data.isdigit() else 0
    method = saved_methods.own_method(current_user, method_id)
    if method is None:
        abort(404)
    return method.stripe_payment_method_id, method.method


@bp.get("/<int:payment_id>/authentification")
def authenticate(payment_id: int):
    payment = paying.own_payment(current_user, payment_id)
    if payment is None:
        abort(404)
    if payment.state != CardPaymentState.REQUIRES_ACTION.value:
        return redirect(url_for("cards.payment_return", payment_id=payment.id))
    try:
        intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
    except gateway.GatewayError:
        _gateway_down()
        return redirect(url_for("cards.payment_return", payment_id=payment.id))
    return render_template("cards/authenticate.html", payment=payment, intent=intent)


@bp.get("/<int:payment_id>")
def payment_return(payment_id: int):
    """The real state, asked to Stripe (never read from the address)."""
    payment = paying.own_payment(current_user, payment_id)
    if payment is None:
        abort(404)
    if payment.stripe_payment_intent_id and payment.state in settlement.LIVE_STATES:
        try:
            settlement.record_intent(
                payment, gateway.retrieve_intent(payment.stripe_payment_intent_id)
            )
            db.session.commit()
        except gateway.GatewayError:
            db.session.rollback()
    if payment.installment_id:
        retry = url_for("cards.pay_installment", installment_id=payment.installment_id)
    elif payment.membership_id:
        retry = url_for("cards.pay_membership", membership_id=payment.membership_id)
    else:
        retry = url_for("cards.pay_order", order_id=payment.order_id)
    return render_template(
        "cards/result.html",
        payment=payment,
        retry=retry,
        form=ConfirmForm(),
        reason=failure_reason(payment.failure_code) if payment.failure_code else "",
    )


@bp.post("/<int:payment_id>/annuler")
def cancel_payment(payment_id: int):
    """The household gives up a payment waiting for its bank's confirmation, to pay otherwise."""
    payment = paying.own_payment(current_user, payment_id)
    if payment is None:
        abort(404)
    if ConfirmForm().validate_on_submit() and payment.state == CardPaymentState.REQUIRES_ACTION:
        try:
            expiry.expire(payment)
        except gateway.GatewayError:
            db.session.rollback()
            _gateway_down()
        else:
            db.session.commit()
    return redirect(url_for("cards.payment_return", payment_id=payment.id))


# --- Saved cards and mandates ------------------------------------------------------------------


@bp.get("/moyens", endpoint="saved_methods")
def saved_methods_page():
    return render_template(
        "cards/methods.html", methods=saved_methods.methods_of(current_user), form=ConfirmForm()
    )


@bp.route("/moyens/ajouter/<method>", methods=["GET", "POST"])
def add_method(method: str):
    if method not in STRIPE_METHODS:
        abort(404)
    form = NewMethodForm(prefix="new")
    if form.validate_on_submit():
        try:
            method_id = saved_methods.succeeded_setup_method(
                current_user, form.setup_intent_id.data
            )
            saved_methods.save(current_user, method_id)
        except DomainError as error:
            show_service_error(form, error)
        except gateway.GatewayError:
            _gateway_down()
        else:
            db.session.commit()
            flash(_("Moyen de paiement enregistré."), "success")
            return redirect(url_for("cards.saved_methods"))
    try:
        setup = gateway.create_setup_intent(current_user, method, saved_methods.PURPOSE_SAVE)
    except gateway.GatewayError:
        _gateway_down()
        return redirect(url_for("cards.saved_methods"))
    db.session.commit()
    return render_template(
        "cards/add_method.html", form=form, method=method, client_secret=setup.client_secret
    )


def _own_saved(method_id: int):
    method = saved_methods.own_method(current_user, method_id)
    if method is None:
        abort(404)
    return method


@bp.post("/moyens/<int:method_id>/supprimer")
def remove_method(method_id: int):
    method = _own_saved(method_id)
    if ConfirmForm().validate_on_submit():
        try:
            saved_methods.remove(method)
        except gateway.GatewayUnavailable:
            _gateway_down()
            return redirect(url_for("cards.saved_methods"))
        db.session.commit()
        flash(_("Moyen de paiement supprimé."), "success")
    return redirect(url_for("cards.saved_methods"))


@bp.post("/moyens/<int:method_id>/par-defaut")
def default_method(method_id: int):
    method = _own_saved(method_id)
    if ConfirmForm().validate_on_submit():
        saved_methods.make_default(method)
        db.session.commit()
        flash(_("Ce moyen de paiement sera utilisé pour vos prochaines échéances."), "success")
    return redirect(url_for("cards.saved_methods"))


# --- Coordinators: card payments of the group, refunds -----------------------------------------


@bp.get("/groupes/<int:group_id>")
def group_payments(group_id: int):
    group = db.session.get(Organisation, group_id) or abort(404)
    require_role(group, Role.COORDINATOR)
    return _group_page(group, RefundForm(), None)


def _group_page(group, form, failed_payment_id):
    rows = db.session.execute(
        select(CardPayment, User.name)
        .join(User, User.id == CardPayment.user_id)
        .where(
            CardPayment.group_id == group.id,
            CardPayment.state == CardPaymentState.SUCCEEDED.value,
        )
        .order_by(CardPayment.created_at.desc(), CardPayment.id.desc())
        .limit(200)
    ).all()
    return render_template(
        "cards/group_payments.html",
        group=group,
        rows=rows,
        form=form,
        failed_payment_id=failed_payment_id,
    )


@bp.post("/groupes/<int:group_id>/<int:payment_id>/rembourser")
def refund(group_id: int, payment_id: int):
    group = db.session.get(Organisation, group_id) or abort(404)
    require_role(group, Role.COORDINATOR)
    payment = db.session.get(CardPayment, payment_id)
    if payment is None or payment.group_id != group.id:
        abort(404)
    form = RefundForm()
    if form.validate_on_submit():
        try:
            paying.refund(payment, form.amount.data)
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, default_field="amount")
        else:
            db.session.commit()
            flash(_("Remboursement effectué."), "success")
            return redirect(url_for("cards.group_payments", group_id=group.id))
    return _group_page(group, form, payment.id), 400
