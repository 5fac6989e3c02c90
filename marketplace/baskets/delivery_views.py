"""The household's own baskets: what to collect where and when, absences and gifts.

Only the household sees and changes its deliveries: anyone else gets 404, as if the delivery
did not exist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from marketplace.baskets import absences
from marketplace.baskets.delivery_forms import DeliveryActionForm, GiftForm
from marketplace.baskets.models import (
    AbsencePolicy,
    BasketOffer,
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionStatus,
)
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.money import format_money
from marketplace.timezones import paris_today

bp = Blueprint("my_deliveries", __name__, url_prefix="/mes-paniers")

PAST_WEEKS = 8


@dataclass
class DayBaskets:
    """The household's baskets on one distribution day."""

    day: DistributionDay
    deliveries: list[Delivery] = field(default_factory=list)


@bp.get("")
def index():
    return _render_index()


def _render_index(gift_forms: dict[int, GiftForm] | None = None):
    now = utcnow()
    today = paris_today(now)
    deliveries = _own_deliveries(since=today - timedelta(weeks=PAST_WEEKS))
    coming: dict[int, DayBaskets] = {}
    past: list[Delivery] = []
    for delivery in deliveries:
        day = delivery.distribution_day
        if day.day >= today:
            coming.setdefault(day.id, DayBaskets(day)).deliveries.append(delivery)
        else:
            past.append(delivery)
    absent_counts = absences.absent_counts(sorted({d.subscription_id for d in deliveries}))
    gift_forms = dict(gift_forms or {})
    actions: dict[int, set[str]] = defaultdict(set)
    for group in coming.values():
        for delivery in group.deliveries:
            actions[delivery.id] = _allowed_actions(delivery, now, absent_counts)
            if "give" in actions[delivery.id] and delivery.id not in gift_forms:
                gift_forms[delivery.id] = GiftForm.for_delivery(delivery.id, formdata=None)
    return render_template(
        "baskets/deliveries/index.html",
        coming=list(coming.values()),
        past=list(reversed(past)),
        actions=actions,
        gift_forms=gift_forms,
        action_form=DeliveryActionForm(),
        absent_counts=absent_counts,
        past_weeks=PAST_WEEKS,
    )


def _own_deliveries(since) -> list[Delivery]:
    """The household's deliveries from `since` on, with everything the page shows, in one query."""
    return list(
        db.session.scalars(
            select(Delivery)
            .join(Delivery.subscription)
            .join(Delivery.distribution_day)
            .where(
                Subscription.user_id == current_user.id,
                Subscription.status == SubscriptionStatus.ACTIVE.value,
                DistributionDay.day >= since,
            )
            .options(
                contains_eager(Delivery.subscription)
                .joinedload(Subscription.offer)
                .joinedload(BasketOffer.producer),
                contains_eager(Delivery.distribution_day).joinedload(DistributionDay.pickup_point),
                joinedload(Delivery.size),
                joinedload(Delivery.postponed_to).joinedload(Delivery.distribution_day),
            )
            .order_by(DistributionDay.starts_at, DistributionDay.id, Delivery.id)
        ).unique()
    )


def _allowed_actions(delivery: Delivery, now: datetime, absent_counts: dict[int, int]) -> set[str]:
    if not absences.can_change(delivery, now):
        return set()
    if delivery.state == DeliveryState.ABSENT:
        return {"cancel_absence"}
    if delivery.state == DeliveryState.GIVEN:
        return {"cancel_gift"}
    if delivery.state != DeliveryState.PLANNED:
        return set()
    allowed = {"give"}
    subscription = delivery.subscription
    if absences.absences_left(subscription, absent_counts.get(subscription.id, 0)) > 0:
        allowed.add("absent")
    return allowed


# --- Actions -----------------------------------------------------------------------------------


def _own_delivery_or_404(delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.subscription.user_id != current_user.id:
        abort(404)
    return delivery


def _back(delivery_id: int):
    return redirect(url_for(".index", _anchor=f"panier-{delivery_id}"))


def _checked_action(delivery_id: int) -> Delivery:
    delivery = _own_delivery_or_404(delivery_id)
    if not DeliveryActionForm().validate_on_submit():
        abort(400)
    return delivery


def _refused(error: DomainError, delivery_id: int):
    db.session.rollback()
    flash(error.message, "error")
    return _back(delivery_id)


@bp.post("/<int:delivery_id>/absence")
def mark_absent(delivery_id: int):
    delivery = _checked_action(delivery_id)
    try:
        outcome = absences.mark_absent(delivery, utcnow())
    except DomainError as error:
        return _refused(error, delivery_id)
    message = _absence_message(delivery, outcome)
    db.session.commit()
    flash(message, "success")
    return _back(delivery_id)


def _absence_message(delivery: Delivery, outcome: absences.AbsenceOutcome) -> str:
    day = format_date(delivery.distribution_day.day, "full")
    if outcome.policy == AbsencePolicy.POSTPONE and outcome.postponed_to is not None:
        return _(
            "Absence enregistrée pour le %(date)s : votre panier est reporté au %(later)s.",
            date=day,
            later=format_date(outcome.postponed_to.distribution_day.day, "full"),
        )
    if outcome.policy == AbsencePolicy.CREDIT:
        return _(
            "Absence enregistrée pour le %(date)s : %(amount)s sont crédités sur votre compte.",
            date=day,
            amount=format_money(outcome.credited_cents),
        )
    return _(
        "Absence enregistrée pour le %(date)s : votre panier sera donné à l'épicerie solidaire.",
        date=day,
    )


@bp.post("/<int:delivery_id>/absence/annuler")
def cancel_absence(delivery_id: int):
    delivery = _checked_action(delivery_id)
    try:
        absences.cancel_absence(delivery, utcnow())
    except DomainError as error:
        return _refused(error, delivery_id)
    db.session.commit()
    flash(
        _(
            "Absence annulée : vous récupérez votre panier le %(date)s.",
            date=format_date(delivery.distribution_day.day, "full"),
        ),
        "success",
    )
    return _back(delivery_id)


@bp.post("/<int:delivery_id>/donner")
def give(delivery_id: int):
    delivery = _own_delivery_or_404(delivery_id)
    form = GiftForm.for_delivery(delivery_id)
    now = utcnow()
    try:
        # A replayed or late gift gets its reason, whatever was typed.
        absences.check_can_give(delivery, now)
    except DomainError as error:
        return _refused(error, delivery_id)
    if not form.validate_on_submit():
        return _render_index({delivery_id: form})
    try:
        absences.give_to(delivery, form.name.data, form.email.data, now)
    except DomainError as error:
        if error.field in ("name", "email"):
            db.session.rollback()
            form[error.field].errors = [*form[error.field].errors, error.message]
            return _render_index({delivery_id: form})
        return _refused(error, delivery_id)
    db.session.commit()
    flash(
        _(
            "Le panier du %(date)s sera remis à %(name)s.",
            date=format_date(delivery.distribution_day.day, "full"),
            name=delivery.given_to_name,
        ),
        "success",
    )
    return _back(delivery_id)


@bp.post("/<int:delivery_id>/donner/annuler")
def cancel_gift(delivery_id: int):
    delivery = _checked_action(delivery_id)
    try:
        absences.cancel_gift(delivery, utcnow())
    except DomainError as error:
        return _refused(error, delivery_id)
    db.session.commit()
    flash(
        _(
            "Don annulé : vous récupérez votre panier le %(date)s.",
            date=format_date(delivery.distribution_day.day, "full"),
        ),
        "success",
    )
    return _back(delivery_id)
