"""The sign-up form of a basket offer, and the display names of its choices and states."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired, Optional

from marketplace.baskets.models import BasketOffer, DeliveryState, PaymentPlan
from marketplace.delivery.models import PickupPoint
from marketplace.forms import BaseForm, int_or_none
from marketplace.payments.fields import EuroField
from marketplace.payments.fund_forms import NOT_AN_AMOUNT
from marketplace.payments.labels import METHOD_LABELS
from marketplace.payments.money import format_money

PLAN_LABELS = {
    PaymentPlan.SEASON.value: _l("En une fois, pour toute la saison"),
    PaymentPlan.MONTHLY.value: _l("Une échéance par mois"),
    PaymentPlan.PER_DELIVERY.value: _l("Une échéance par livraison"),
}


DELIVERY_STATE_LABELS = {
    DeliveryState.PLANNED.value: _l("Prévue"),
    DeliveryState.ABSENT.value: _l("Absence"),
    DeliveryState.GIVEN.value: _l("Donnée à une autre personne"),
    DeliveryState.COLLECTED.value: _l("Retirée"),
    DeliveryState.NOT_COLLECTED.value: _l("Non retirée"),
    DeliveryState.DONATED.value: _l("Donnée à l'épicerie solidaire"),
    DeliveryState.CANCELLED.value: _l("Distribution annulée"),
}


class SubscribeForm(BaseForm):
    # validate_choice=False: the service checks every id and code sent back, which could
    # have been tampered with, and explains the refusal in French.
    size_id = RadioField(
        _l("Taille de panier"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[InputRequired(_l("Choisissez une taille de panier."))],
    )
    pickup_point_id = SelectField(
        _l("Lieu de distribution"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[InputRequired(_l("Choisissez un lieu de distribution."))],
    )
    tier_id = RadioField(
        _l("Tarif"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[InputRequired(_l("Choisissez un tarif."))],
    )
    plan = RadioField(
        _l("Échéancier"),
        validate_choice=False,
        validators=[InputRequired(_l("Choisissez un échéancier."))],
    )
    method = RadioField(
        _l("Moyen de paiement"),
        validate_choice=False,
        validators=[InputRequired(_l("Choisissez un moyen de paiement."))],
    )
    # Optional: a gift to the group's solidarity fund, paid with each basket.
    donation_per_delivery = EuroField(
        _l("Panier suspendu : j'ajoute … € à chaque livraison"),
        validators=[Optional()],
        invalid_message=NOT_AN_AMOUNT,
    )
    preview = SubmitField(_l("Voir le récapitulatif"))
    confirm = SubmitField(_l("Confirmer mon inscription"))

    def __init__(
        self,
        offer: BasketOffer,
        points: list[PickupPoint],
        *args,
        other_methods: list[tuple[str, str]] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.size_id.choices = [
            SelectChoice(
                size.id,
                _(
                    "%(name)s — %(price)s par livraison",
                    name=size.name,
                    price=format_money(size.price_cents),
                ),
            )
            for size in offer.sizes
        ]
        placeholder = [SelectChoice("", _("— Choisir un lieu —"))] if len(points) != 1 else []
        self.pickup_point_id.choices = placeholder + [
            SelectChoice(point.id, _("%(name)s, %(city)s", name=point.name, city=point.city))
            for point in points
        ]
        self.tier_id.choices = [
            SelectChoice(
                tier.id, _("%(name)s (%(percent)d %%)", name=tier.name, percent=tier.percent)
            )
            for tier in offer.tiers
        ]
        self.plan.choices = [SelectChoice(code, PLAN_LABELS[code]) for code in offer.allowed_plans]
        self.method.choices = [
            SelectChoice(code, METHOD_LABELS[code]) for code in offer.allowed_methods
        ] + [SelectChoice(code, label) for code, label in other_methods]
        if not self.is_submitted():
            self._preselect(offer, points)

    def _preselect(self, offer: BasketOffer, points: list[PickupPoint]) -> None:
        """Choose what leaves no real choice, and the standard price."""
        if len(offer.sizes) == 1:
            self.size_id.data = offer.sizes[0].id
        if len(points) == 1:
            self.pickup_point_id.data = points[0].id
        standard = [tier for tier in offer.tiers if tier.percent == 100]
        if standard or len(offer.tiers) == 1:
            self.tier_id.data = (standard or offer.tiers)[0].id
        if len(offer.allowed_plans) == 1:
            self.plan.data = offer.allowed_plans[0]
        if len(offer.allowed_methods) == 1:
            self.method.data = offer.allowed_methods[0]
