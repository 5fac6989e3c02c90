"""Forms of the household's deliveries page: one-click actions and giving a basket."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from marketplace.baskets.absences import GIFT_EMAIL_MAX, GIFT_NAME_MAX
from marketplace.forms import BaseForm


class DeliveryActionForm(BaseForm):
    """A button that changes a delivery (absent, cancel...): only the CSRF token."""


class GiftForm(BaseForm):
    """Who collects the basket instead of the household. Prefixed per delivery, so that
    each basket on the page has its own fields and ids."""

    name = StringField(
        _l("Nom de la personne"),
        validators=[
            DataRequired(_l("Indiquez le nom de la personne qui viendra chercher le panier.")),
            Length(max=GIFT_NAME_MAX, message=_l("%(max)d caractères au maximum.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    email = EmailField(
        _l("Son adresse e-mail (facultatif)"),
        validators=[
            Optional(),
            Length(max=GIFT_EMAIL_MAX, message=_l("%(max)d caractères au maximum.")),
            Email(_l("Cette adresse e-mail n'est pas valide.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )

    @classmethod
    def for_delivery(cls, delivery_id: int, **kwargs) -> GiftForm:
        return cls(prefix=f"gift-{delivery_id}", **kwargs)
