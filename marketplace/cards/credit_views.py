"""The coordinators' page of the households' credits (avoirs) to settle: refund one (card through
Stripe, cheque or transfer) or carry it to another contract of the same household.

Each form carries a key made when the page was drawn: submitting it twice (a double click,
the back button) gives one settlement. A refusal shows the page again with the reason next to
the credit, and nothing changed.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Length

from marketplace.cards.credit_refunds import card_refundable_cents, refund_credit
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm
from marketplace.groups.access import coordinated_group
from marketplace.groups.models import Group
from marketplace.payments import credits
from marketplace.payments.credit_models import RefundMethod
from marketplace.payments.fields import EuroField
from marketplace.payments.money import cents_as_typed, format_money

bp = Blueprint("credits", __name__, url_prefix="/groupes/<slug>/gestion/avoirs")

AMOUNT_MESSAGES = {
    "validators": [InputRequired(message=_l("Indiquez le montant."))],
    "invalid_message": _l("Indiquez un montant en euros, par exemple 12,50."),
}


class RefundCreditForm(BaseForm):
    amount = EuroField(_l("Montant à rembourser (€)"), **AMOUNT_MESSAGES)
    # The page draws the select (card only when the contract was paid by card).
    method = StringField(
        _l("Moyen"),
        [AnyOf([method.value for method in RefundMethod], message=_l("Choisissez un moyen."))],
    )
    reference = StringField(_l("N° de chèque ou référence du virement"), [Length(max=120)])
    request_key = HiddenField(validators=[InputRequired(), Length(max=64)])


class CarryCreditForm(BaseForm):
    amount = EuroField(_l("Montant à reporter (€)"), **AMOUNT_MESSAGES)
    target_subscription_id = SelectField(
        _l("Contrat qui en profite"), coerce=int, validate_choice=False
    )
    request_key = HiddenField(validators=[InputRequired(), Length(max=64)])


@bp.get("")
def index(slug: str):
    return _page(coordinated_group(slug))


@bp.post("/<int:credit_id>/rembourser")
def refund(slug: str, credit_id: int):
    group = coordinated_group(slug)
    credit = credits.credit_in_group(group.id, credit_id) or abort(404)
    form = RefundCreditForm()

    def settle():
        refund_credit(
            credit,
            form.amount.data,
            form.method.data,
            by_user_id=current_user.id,
            now=utcnow(),
            reference=form.reference.data or "",
            request_key=form.request_key.data,
        )
        return _("Remboursement de %(amount)s enregistré.", amount=format_money(form.amount.data))

    return _settle(group, credit.id, form, settle)


@bp.post("/<int:credit_id>/reporter")
def carry(slug: str, credit_id: int):
    group = coordinated_group(slug)
    credit = credits.credit_in_group(group.id, credit_id) or abort(404)
    form = CarryCreditForm()

    def settle():
        credits.carry_credit(
            credit,
            form.target_subscription_id.data,
            form.amount.data,
            by_user_id=current_user.id,
            now=utcnow(),
            request_key=form.request_key.data,
        )
        return _("%(amount)s reportés sur l'autre contrat.", amount=format_money(form.amount.data))

    return _settle(group, credit.id, form, settle)


def _settle(group: Group, credit_id: int, form: BaseForm, settle):
    if not form.validate_on_submit():
        messages = [message for errors in form.errors.values() for message in errors]
        return _page(group, {credit_id: " ".join(map(str, messages))}), 400
    try:
        message = settle()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _page(group, {credit_id: error.message}), 400
    except IntegrityError:  # the same form sent twice at once: the other one settled it
        db.session.rollback()
        flash(_("Cette opération est déjà enregistrée."), "warning")
    else:
        flash(message, "success")
    return redirect(url_for("credits.index", slug=group.slug))


def _page(group: Group, errors: dict[int, str] | None = None):
    to_settle = credits.credits_to_settle(group.id)
    user_ids = {credit.user_id for credit in to_settle}
    subscription_ids = {credit.subscription_id for credit in to_settle}
    return render_template(
        "cards/credits.html",
        group=group,
        credits=to_settle,
        targets=credits.carry_targets(group.id, user_ids),
        card_refundable=card_refundable_cents(subscription_ids),
        contracts=credits.offer_names(subscription_ids),
        errors=errors or {},
        new_key=credits.new_request_key,
        typed=cents_as_typed,
    )
