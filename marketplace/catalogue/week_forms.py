"""The basket-of-the-week form: one text box per basket size of the contract."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, TextAreaField

from marketplace.baskets.models import BasketOffer
from marketplace.catalogue.forms import PHOTO_TYPES
from marketplace.catalogue.week_models import MAX_NOTE
from marketplace.forms import BaseForm, too_long

MAX_SIZE_TEXT = 4000


class WeekBasketForm(BaseForm):
    note = TextAreaField(_l("Un mot pour les adhérent·es (facultatif)"), [too_long(MAX_NOTE)])
    # Checked by opening it with Pillow (catalogue/photos.py), whatever its name says.
    photo = FileField(_l("Photo du panier (facultatif)"), render_kw={"accept": PHOTO_TYPES})
    remove_photo = BooleanField(_l("Retirer la photo actuelle"))

    size_ids: list[int] = []

    def uploaded_photo(self):
        upload = self.photo.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        return upload


def week_basket_form(offer: BasketOffer, **kwargs) -> WeekBasketForm:
    """The form with a text box per size of `offer` (named size_<id>)."""

    class OfferWeekBasketForm(WeekBasketForm):
        pass

    for size in offer.sizes:
        setattr(
            OfferWeekBasketForm,
            f"size_{size.id}",
            TextAreaField(size.name, [too_long(MAX_SIZE_TEXT)], render_kw={"rows": 6}),
        )
    form = OfferWeekBasketForm(**kwargs)
    form.size_ids = [size.id for size in offer.sizes]
    return form
