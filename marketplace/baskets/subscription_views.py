"""A member subscribes to a basket offer of their group, and reads their subscription.

The sign-up page is for the members of the offer's group (others 403; a draft offer is
not shown: 404). A subscription page is its household's only: anyone else gets 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.baskets import payment_offers, renewal, signup_followers, subscribing, waiting_list
from marketplace.baskets.models import BasketOffer, BasketSize, OfferStatus, PriceTier, TierStatus
from marketplace.baskets.subscription_forms import DELIVERY_STATE_LABELS, PLAN_LABELS, SubscribeForm
from marketplace.db import utcnow
from marketplace.delivery.models import PickupPoint
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import show_service_error
from marketplace.membership.requirement import notice_for
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role
from marketplace.payments.labels import INSTALLMENT_STATE_LABELS, METHOD_LABELS
from marketplace.payments.models import InstallmentState
from marketplace.timezones import paris_today

bp = Blueprint("subscriptions", __name__)

LABELS = {
    "plans": PLAN_LABELS,
    "methods": METHOD_LABELS,
    "installment_states": INSTALLMENT_STATE_LABELS,
    "delivery_states": DELIVERY_STATE_LABELS,
}


def _offer_for_member(offer_id: int) -> BasketOffer:
    offer = db.session.get(BasketOffer, offer_id)
    if offer is None or offer.status == OfferStatus.DRAFT:
        abort(404)
    require_role(offer.group, Role.MEMBER)
    return offer


def _open_points(offer: BasketOffer) -> list[PickupPoint]:
    return list(
        db.session.scalars(
            select(PickupPoint)
            .where(PickupPoint.group_id == offer.group_id, PickupPoint.active.is_(True))
            .order_by(PickupPoint.name)
        )
    )


def _get(model, object_id: int | None):
    return db.session.get(model, object_id) if object_id is not None else None


@bp.route("/offres/<int:offer_id>/souscrire", methods=["GET", "POST"])
def new(offer_id: int):
    offer = _offer_for_member(offer_id)
    existing = subscribing.active_subscription(offer, current_user)
    if existing is not None:
        flash(_("Vous êtes déjà inscrit·e à ce contrat."), "warning")
        return redirect(url_for(".detail", subscription_id=existing.id))

    now = utcnow()
    # Other ways to pay, from more specific domains (e.g. the group's own direct debit).
    others = {choice.code: choice for choice in payment_offers.signup_choices(offer)}
    form = SubscribeForm(
        offer,
        _open_points(offer),
        other_methods=[(choice.code, choice.label()) for choice in others.values()],
    )
    if not form.is_submitted() and request.args.get("renew"):
        # "Renouveler avec les mêmes choix": last season's choices that still exist here.
        for name, value in renewal.prefill(offer, current_user).items():
            form[name].data = value
    preview = None
    chosen = None
    if form.validate_on_submit():
        chosen = others.get(form.method.data)
        choices = dict(
            size=_get(BasketSize, form.size_id.data),
            pickup_point=_get(PickupPoint, form.pickup_point_id.data),
            tier=_get(PriceTier, form.tier_id.data),
            plan=form.plan.data,
            method=payment_offers.standing_method(offer) if chosen else form.method.data,
            now=now,
            donation_per_delivery_cents=form.donation_per_delivery.data or 0,
        )
        try:
            if form.confirm.data:
                subscription = subscribing.subscribe(offer, current_user, **choices)
                next_url = chosen.after(subscription) if chosen else None
            else:
                preview = subscribing.subscription_preview(offer, current_user, **choices)
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            if form.confirm.data:
                db.session.commit()
                signup_followers.signed_up(subscription.id)
                flash(_("Votre inscription est enregistrée. Merci !"), "success")
                return redirect(next_url or url_for(".detail", subscription_id=subscription.id))
    return render_template(
        "baskets/subscribe/new.html",
        offer=offer,
        form=form,
        preview=preview,
        chosen_method_label=chosen.label() if chosen else None,
        signup_open=subscribing.signup_is_open(offer, now),
        labels=LABELS,
        waiting=waiting_list.panel(offer, current_user, now),
        membership=notice_for(offer.group, current_user, paris_today(now)),
    )


@bp.get("/contrats/<int:subscription_id>")
def detail(subscription_id: int):
    subscription = subscribing.own_subscription(subscription_id, current_user)
    if subscription is None:
        abort(404)
    installments = subscribing.subscription_installments(subscription)
    deliveries = subscribing.subscription_deliveries(subscription)
    return render_template(
        "baskets/subscribe/detail.html",
        subscription=subscription,
        deliveries=deliveries,
        installments=installments,
        total_cents=sum(
            item.amount_cents for item in installments if item.state != InstallmentState.CANCELLED
        ),
        # The gift was pledged at signing for each delivery row written then.
        donation_total_cents=subscription.donation_per_delivery_cents * len(deliveries),
        tier_pending=subscription.tier_status == TierStatus.PENDING,
        tier_refused=subscription.tier_status == TierStatus.REFUSED,
        labels=LABELS,
        # Another way to pay, from a more specific domain (e.g. the group's own debits).
        payment_offers=payment_offers.offers_for(subscription)
        if subscription.status == "active"
        else [],
    )
