"""Basket contract screens: coordinators write a group's offers, producer staff read their farm's,
and everyone reads a group's published offers (prices and tiers are public, subscribers are not).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.baskets import offer_queries as queries
from marketplace.baskets import offers as services
from marketplace.baskets import renewal
from marketplace.baskets.models import BasketOffer, BasketSize, OfferStatus, PriceTier
from marketplace.baskets.offer_forms import (
    ABSENCE_POLICY_LABELS,
    CANCELLED_DAY_POLICY_LABELS,
    FREQUENCY_LABELS,
    METHOD_LABELS,
    PLAN_LABELS,
    OfferForm,
    SizeForm,
    TierForm,
)
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.groups.models import Group
from marketplace.organisations.access import has_role, require_role
from marketplace.organisations.models import Role
from marketplace.producers.models import Producer
from marketplace.security import public
from marketplace.timezones import paris_today

# No URL prefix: the screens live under a group (/groupes/<slug>/...) or a farm (/producteurs/...).
bp = Blueprint("offers", __name__)

MANAGE = "/groupes/<slug>/gestion/offres"
LABELS = {
    "frequency": FREQUENCY_LABELS,
    "absence_policy": ABSENCE_POLICY_LABELS,
    "cancelled_day_policy": CANCELLED_DAY_POLICY_LABELS,
    "plans": PLAN_LABELS,
    "methods": METHOD_LABELS,
}


@bp.app_template_global()
def offer_label(kind: str, code: str) -> str:
    """The translated name of an offer's code: offer_label("frequency", offer.frequency)."""
    return str(LABELS[kind].get(code, code))


def _group_or_404(slug: str) -> Group:
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        abort(404)
    return group


def _managed_group(slug: str) -> Group:
    group = _group_or_404(slug)
    require_role(group, Role.COORDINATOR)
    return group


def _offer_or_404(group: Group, offer_id: int) -> BasketOffer:
    offer = queries.offer_in_group(group, offer_id)
    if offer is None:
        abort(404)
    return offer


def _size_or_404(offer: BasketOffer, size_id: int) -> BasketSize:
    size = next((size for size in offer.sizes if size.id == size_id), None)
    if size is None:
        abort(404)
    return size


def _tier_or_404(offer: BasketOffer, tier_id: int) -> PriceTier:
    tier = next((tier for tier in offer.tiers if tier.id == tier_id), None)
    if tier is None:
        abort(404)
    return tier


def _back_to_offer(group: Group, offer: BasketOffer):
    return redirect(url_for(".edit", slug=group.slug, offer_id=offer.id))


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


# --- Coordinators ------------------------------------------------------------------------------


@bp.get(MANAGE)
def manage_list(slug: str):
    group = _managed_group(slug)
    return render_template(
        "baskets/offers/manage_list.html", group=group, offers=queries.offers_of_group(group)
    )


@bp.route(f"{MANAGE}/nouveau", methods=["GET", "POST"])
def new(slug: str):
    group = _managed_group(slug)
    producers = queries.supplying_producers(group)
    form = OfferForm(
        producers,
        data=OfferForm.initial(None, paris_today()),
        previous_offers=renewal.renewable_offers(group, None),
    )
    if form.validate_on_submit():
        try:
            offer = services.create_offer(group, form.to_data())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Contrat créé en brouillon. Ajoutez ses tailles de panier."), "success")
            return _back_to_offer(group, offer)
    return render_template(
        "baskets/offers/offer_form.html", group=group, offer=None, form=form, producers=producers
    )


@bp.route(f"{MANAGE}/<int:offer_id>", methods=["GET", "POST"])
def edit(slug: str, offer_id: int):
    group = _managed_group(slug)
    offer = _offer_or_404(group, offer_id)
    producers = queries.supplying_producers(group)
    form = OfferForm(
        producers,
        data=OfferForm.initial(offer, paris_today()),
        previous_offers=renewal.renewable_offers(group, offer),
    )
    if form.validate_on_submit():
        try:
            services.update_offer(offer, form.to_data())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Contrat enregistré."), "success")
            return _back_to_offer(group, offer)
    return render_template(
        "baskets/offers/offer_form.html",
        group=group,
        offer=offer,
        form=form,
        producers=producers,
        used_sizes=queries.used_size_ids(offer),
        used_tiers=queries.used_tier_ids(offer),
        action=ConfirmForm(),
    )


@bp.post(f"{MANAGE}/<int:offer_id>/publier")
def publish(slug: str, offer_id: int):
    group = _managed_group(slug)
    offer = _offer_or_404(group, offer_id)
    _confirmed()
    try:
        services.publish_offer(offer)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        # Publishing happens once (draft → published, never back): one invitation each,
        # queued with the publication.
        renewal.send_invitations(offer)
        db.session.commit()
        flash(_("Contrat publié."), "success")
    return _back_to_offer(group, offer)


@bp.post(f"{MANAGE}/<int:offer_id>/archiver")
def archive(slug: str, offer_id: int):
    return _change_status(slug, offer_id, services.archive_offer, _("Contrat archivé."))


def _change_status(slug: str, offer_id: int, change, done: str):
    group = _managed_group(slug)
    offer = _offer_or_404(group, offer_id)
    _confirmed()
    try:
        change(offer)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return _back_to_offer(group, offer)


@bp.route(f"{MANAGE}/<int:offer_id>/tailles/nouveau", methods=["GET", "POST"])
def new_size(slug: str, offer_id: int):
    group = _managed_group(slug)
    return _size_form(group, _offer_or_404(group, offer_id), None)


@bp.route(f"{MANAGE}/<int:offer_id>/tailles/<int:size_id>", methods=["GET", "POST"])
def edit_size(slug: str, offer_id: int, size_id: int):
    group = _managed_group(slug)
    offer = _offer_or_404(group, offer_id)
    return _size_form(group, offer, _size_or_404(offer, size_id))


def _size_form(group: Group, offer: BasketOffer, size: BasketSize | None):
    form = SizeForm.for_size(size)
    if form.validate_on_submit():
        try:
            if size is None:
                services.add_size(offer, form.to_data())
            else:
                services.update_size(size, form.to_data())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Taille de panier enregistrée."), "success")
            return _back_to_offer(group, offer)
    return render_template(
        "baskets/offers/size_form.html", group=group, offer=offer, size=size, form=form
    )


@bp.post(f"{MANAGE}/<int:offer_id>/tailles/<int:size_id>/retirer")
def remove_size(slug: str, offer_id: int, size_id: int):
    group = _managed_group(slug)
    offer = _offer_or_404(group, offer_id)
    size = _size_or_404(offer, size_id)
    _confirmed()
    return _remove(group, offer, services.remove_size, size, _("Taille de panier retirée."))


@bp.route(f"{MANAGE}/<int:offer_id>/tarifs/nouveau", methods=["GET", "POST"])
def new_tier(slug: str, offer_id: int):
    group = _managed_group(slug)
    return _tier_form(group, _offer_or_404(group, offer_id), None)


@bp.route(f"{MANAGE}/<int:offer_id>/tarifs/<int:tier_id>", methods=["GET", "POST"])
def edit_tier(slug: str, offer_id: int, tier_id: int):
    group = _managed_group(slug)
    offer = _offer_or_404(group, offer_id)
    return _tier_form(group, offer, _tier_or_404(offer, tier_id))


def _tier_form(group: Group, offer: BasketOffer, tier: PriceTier | None):
    form = TierForm.for_tier(tier)
    if form.validate_on_submit():
        try:
            if tier is None:
                services.add_tier(offer, form.to_data())
            else:
                services.update_tier(tier, form.to_data())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Tarif enregistré."), "success")
            return _back_to_offer(group, offer)
    return render_template(
        "baskets/offers/tier_form.html", group=group, offer=offer, tier=tier, form=form
    )


@bp.post(f"{MANAGE}/<int:offer_id>/tarifs/<int:tier_id>/retirer")
def remove_tier(slug: str, offer_id: int, tier_id: int):
    group = _managed_group(slug)
    offer = _offer_or_404(group, offer_id)
    tier = _tier_or_404(offer, tier_id)
    _confirmed()
    return _remove(group, offer, services.remove_tier, tier, _("Tarif retiré."))


def _remove(group: Group, offer: BasketOffer, remove, item, done: str):
    try:
        remove(item)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return _back_to_offer(group, offer)


# --- Producer staff ----------------------------------------------------------------------------


@bp.get("/producteurs/<slug>/offres")
def producer_offers(slug: str):
    producer = db.session.scalar(select(Producer).where(Producer.slug == slug))
    if producer is None:
        abort(404)
    require_role(producer, Role.PRODUCER_STAFF)
    return render_template(
        "baskets/offers/producer_list.html",
        producer=producer,
        offers=queries.offers_of_producer(producer),
    )


# --- Members and visitors ----------------------------------------------------------------------


@bp.get("/groupes/<slug>/offres")
@public
def group_offers(slug: str):
    group = _group_or_404(slug)
    return render_template(
        "baskets/offers/public_list.html",
        group=group,
        offers=queries.published_offers(group),
        now=utcnow(),
        is_signup_open=queries.is_signup_open,
    )


@bp.get("/groupes/<slug>/offres/<int:offer_id>")
@public
def detail(slug: str, offer_id: int):
    group = _group_or_404(slug)
    offer = _offer_or_404(group, offer_id)
    is_coordinator = has_role(current_user, group, Role.COORDINATOR)
    # A draft or archived offer is private: its coordinators may preview it, nobody else.
    if offer.status != OfferStatus.PUBLISHED.value and not is_coordinator:
        abort(404)
    now = utcnow()
    return render_template(
        "baskets/offers/detail.html",
        group=group,
        offer=offer,
        now=now,
        signup_open=queries.is_signup_open(offer, now),
        is_coordinator=is_coordinator,
        renewing=renewal.previous_subscription(offer, current_user),
    )
