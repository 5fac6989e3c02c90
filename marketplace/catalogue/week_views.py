"""The basket of the week: the producer's (or coordinator's) screens and the basket's photo."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace.baskets.models import BasketOffer
from marketplace.catalogue import photos
from marketplace.catalogue import week_baskets as service
from marketplace.catalogue.week_forms import week_basket_form
from marketplace.catalogue.week_models import WeekBasket
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.timezones import paris_today

bp = Blueprint("week_baskets", __name__)

UPLOAD_LIMIT = photos.MAX_PHOTO_BYTES + 512 * 1024
PHOTO_MAX_AGE = timedelta(days=7)


@bp.url_value_preprocessor
def _limit_upload_size(endpoint: str | None, values: dict | None) -> None:
    if endpoint == "week_baskets.edit" and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error: RequestEntityTooLarge):
    flash(
        _(
            "La photo dépasse %(size)d Mo : choisissez une image plus légère. "
            "Rien n'a été enregistré.",
            size=photos.MAX_PHOTO_BYTES // (1024 * 1024),
        ),
        "error",
    )
    return redirect(request.url), 303


def _offer(offer_id: int) -> BasketOffer:
    offer = db.session.get(BasketOffer, offer_id)
    if offer is None:
        abort(404)
    if not service.may_announce(current_user, offer):
        abort(403)
    return offer


def _offer_and_day(offer_id: int, day_id: int):
    offer = _offer(offer_id)
    day = service.days_of_offer(offer, day_id)
    if day is None:
        abort(404)
    return offer, day


@bp.get("/offres/<int:offer_id>/semaine")
def days(offer_id: int):
    """The contract's coming days: announced or not, to fill or to copy from the last one."""
    offer = _offer(offer_id)
    coming = service.coming_days(offer, paris_today())
    baskets = {
        basket.distribution_day_id: basket
        for basket in service.announced([day.id for day in coming], [offer.id])
    }
    return render_template(
        "catalogue/week/days.html", offer=offer, days=coming, baskets=baskets, form=ConfirmForm()
    )


@bp.route("/offres/<int:offer_id>/distributions/<int:day_id>/semaine", methods=["GET", "POST"])
def edit(offer_id: int, day_id: int):
    offer, day = _offer_and_day(offer_id, day_id)
    basket = service.basket_of(offer.id, day.id)
    form = week_basket_form(offer)
    if request.method == "GET" and basket is not None:
        form.note.data = basket.note
        for size_id in form.size_ids:
            form[f"size_{size_id}"].data = "\n".join(
                f"{item.name} — {item.quantity}" for item in basket.items if item.size_id == size_id
            )
    if form.validate_on_submit():
        try:
            contents = {
                size.id: service.parse_lines(form[f"size_{size.id}"].data or "", size)
                for size in offer.sizes
            }
            upload = form.uploaded_photo()
            service.save(
                offer,
                day,
                current_user,
                contents,
                form.note.data or "",
                photo=upload.stream if upload else None,
                remove_photo=bool(form.remove_photo.data),
            )
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Le panier du %(day)s est annoncé.", day=_day_text(day)), "success")
            return redirect(url_for(".days", offer_id=offer.id))
    return render_template(
        "catalogue/week/edit.html",
        offer=offer,
        day=day,
        basket=basket,
        form=form,
        photo_version=service.photo_version(basket) if basket else None,
    )


@bp.post("/offres/<int:offer_id>/distributions/<int:day_id>/semaine/copier")
def copy_previous(offer_id: int, day_id: int):
    offer, day = _offer_and_day(offer_id, day_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Demande incomplète : rechargez la page et réessayez."), "error")
        return redirect(url_for(".days", offer_id=offer.id))
    try:
        service.copy_previous(offer, day, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Le panier précédent est copié sur le %(day)s.", day=_day_text(day)), "success")
    return redirect(url_for(".days", offer_id=offer.id))


def _day_text(day) -> str:
    return format_date(day.day, "long")


@bp.get("/paniers-de-la-semaine/<int:basket_id>/photo")
def photo(basket_id: int):
    """For any signed-in person (households, volunteers); cacheable: the URL has a version."""
    basket = db.session.scalar(
        select(WeekBasket).where(WeekBasket.id == basket_id).options(undefer(WeekBasket.photo))
    )
    if basket is None or basket.photo is None:
        abort(404)
    response = Response(basket.photo, mimetype="image/jpeg")
    response.set_etag(f"week-{basket_id}-{service.photo_version(basket)}")
    response.cache_control.private = True
    response.cache_control.max_age = int(PHOTO_MAX_AGE.total_seconds())
    return response.make_conditional(request)
