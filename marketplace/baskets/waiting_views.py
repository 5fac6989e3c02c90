"""The waiting list of a full basket, and cancelling a subscription (household or coordinator).

Joining and withdrawing are for members of the offer's group (others 403, a draft offer 404).
A household cancels only its own subscription (anyone else 404); coordinators cancel any
subscription of their group (others 403).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import IntegerField
from wtforms.validators import InputRequired

from marketplace.baskets import cancellation, subscribing, waiting_list
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    OfferStatus,
    Subscription,
    SubscriptionStatus,
)
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm, ConfirmForm
from marketplace.groups.models import Group
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role
from marketplace.payments.money import format_money

bp = Blueprint("waiting_list", __name__)


class JoinForm(BaseForm):
    size_id = IntegerField(
        _l("Taille de panier"), validators=[InputRequired(_l("Choisissez une taille de panier."))]
    )


def _offer_for_member(offer_id: int) -> BasketOffer:
    offer = db.session.get(BasketOffer, offer_id)
    if offer is None or offer.status == OfferStatus.DRAFT.value:
        abort(404)
    require_role(offer.group, Role.MEMBER)
    return offer


def _back_to_signup(offer: BasketOffer):
    return redirect(url_for("subscriptions.new", offer_id=offer.id))


@bp.post("/offres/<int:offer_id>/liste-d-attente")
def join(offer_id: int):
    offer = _offer_for_member(offer_id)
    form = JoinForm()
    if not form.validate_on_submit():
        flash(_("Choisissez une taille de panier."), "error")
        return _back_to_signup(offer)
    try:
        entry = waiting_list.join(
            offer, current_user, db.session.get(BasketSize, form.size_id.data), utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _(
                "Vous êtes inscrit·e sur la liste d'attente du %(size)s.",
                size=entry.size.name,
            ),
            "success",
        )
    return _back_to_signup(offer)


@bp.post("/offres/<int:offer_id>/liste-d-attente/se-retirer")
def withdraw(offer_id: int):
    offer = _offer_for_member(offer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        waiting_list.withdraw(offer, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        # A place offered to this household is free again for the next one.
        waiting_list.offer_free_places(utcnow(), offer_id=offer.id)
        db.session.commit()
        flash(_("Vous avez quitté la liste d'attente."), "success")
    return _back_to_signup(offer)


# --- Cancelling --------------------------------------------------------------------------------


@bp.route("/contrats/<int:subscription_id>/annuler", methods=["GET", "POST"])
def cancel(subscription_id: int):
    subscription = subscribing.own_subscription(subscription_id, current_user)
    if subscription is None:
        abort(404)
    done = url_for("subscriptions.detail", subscription_id=subscription.id)
    if not cancellation.household_may_cancel(subscription):
        # The subscription's page explains the season commitment, or that it is already over.
        return redirect(done)
    return _cancel_page(subscription, cancellation.cancel_by_household, done, coordinator=False)


@bp.route("/groupes/<slug>/gestion/contrats/<int:subscription_id>/annuler", methods=["GET", "POST"])
def cancel_by_coordinator(slug: str, subscription_id: int):
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        abort(404)
    require_role(group, Role.COORDINATOR)
    subscription = cancellation.subscription_in_group(group.id, subscription_id)
    if subscription is None:
        abort(404)
    done = url_for("payments.arrears", slug=group.slug)
    return _cancel_page(
        subscription, cancellation.cancel_by_coordinator, done, coordinator=True, group=group
    )


def _cancel_page(subscription: Subscription, cancel, done: str, *, coordinator: bool, **context):
    form = ConfirmForm()
    now = utcnow()
    if subscription.status == SubscriptionStatus.ACTIVE.value and form.validate_on_submit():
        try:
            plan = cancel(subscription, now)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            offer_id = subscription.offer_id
            db.session.commit()
            # The freed place goes to the waiting list at once rather than at the next job run.
            waiting_list.offer_free_places(utcnow(), offer_id=offer_id)
            db.session.commit()
            flash(
                _(
                    "Le contrat est résilié. %(credit)s sont crédités au foyer.",
                    credit=format_money(plan.credit_cents),
                )
                if plan.credit_cents
                else _("Le contrat est résilié."),
                "success",
            )
            if plan.overpaid_cents:
                flash(
                    _(
                        "Déjà payé au-delà de ce qui reste dû : un avoir de %(amount)s en faveur "
                        "du foyer, que la coordination rembourse ou reporte sur un autre contrat.",
                        amount=format_money(plan.overpaid_cents),
                    ),
                    "success",
                )
            return redirect(done)
    return render_template(
        "baskets/waiting/cancel.html",
        subscription=subscription,
        plan=cancellation.cancellation_plan(subscription, now),
        form=form,
        coordinator=coordinator,
        back=done,
        **context,
    )
