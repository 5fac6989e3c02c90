"""Forms of the coordinators' basket contract screens."""

from __future__ import annotations

from datetime import date, time, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from marketplace.baskets.models import (
    AbsencePolicy,
    BasketOffer,
    BasketSize,
    CancellationPolicy,
    CancelledDayPolicy,
    Frequency,
    PaymentMethod,
    PaymentPlan,
    PriceTier,
)
from marketplace.baskets.offers import MAX_PERCENT, MIN_PERCENT, OfferData, SizeData, TierData
from marketplace.forms import BaseForm, CheckboxesField, int_or_none, required, too_long
from marketplace.payments.fields import EuroField, VatRateField
from marketplace.payments.labels import METHOD_LABELS
from marketplace.producers.models import Producer
from marketplace.timezones import local_instant, to_paris

MAX_ABSENCES = 52
# Euros and up to two cents digits, with a French comma or an English point: 15 / 15,5 / 15.50.
NOT_AN_AMOUNT = _l("Indiquez un montant en euros, par exemple 15,50 (deux décimales au plus).")

FREQUENCY_LABELS = {
    Frequency.WEEKLY.value: _l("Chaque semaine"),
    Frequency.FORTNIGHTLY.value: _l("Une semaine sur deux"),
}
ABSENCE_POLICY_LABELS = {
    AbsencePolicy.CREDIT.value: _l("Crédité : le prix du panier est rendu au foyer"),
    AbsencePolicy.POSTPONE.value: _l("Reporté à une date suivante"),
    AbsencePolicy.DONATE.value: _l("Donné à l'épicerie solidaire"),
}
CANCELLED_DAY_POLICY_LABELS = {
    CancelledDayPolicy.CREDIT.value: _l("Crédité : le prix du panier est rendu au foyer"),
    CancelledDayPolicy.POSTPONE.value: _l(
        "Reporté : la livraison suivante compte un panier de plus"
    ),
}
CANCELLATION_POLICY_LABELS = {
    CancellationPolicy.SEASON_COMMITMENT.value: _l(
        "Engagement pour la saison : seul·es les coordinateur·rices peuvent résilier"
    ),
    CancellationPolicy.WITH_NOTICE.value: _l(
        "Résiliable avec préavis : les livraisons après le préavis sont créditées"
    ),
}
MAX_NOTICE_DAYS = 365
DEFAULT_NOTICE_DAYS = 14
PLAN_LABELS = {
    PaymentPlan.SEASON.value: _l("En une fois"),
    PaymentPlan.MONTHLY.value: _l("Mensuel"),
    PaymentPlan.PER_DELIVERY.value: _l("À chaque livraison"),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in labels.items()]


class OfferForm(BaseForm):
    # validate_choice=False: the service checks the partnership, the id could be tampered with.
    producer_id = SelectField(_l("Producteur·rice"), coerce=int_or_none, validate_choice=False)
    name = StringField(_l("Nom du contrat"), validators=[required(), too_long(120)])
    description = TextAreaField(
        _l("Description (facultatif)"), validators=[Optional(), too_long(4000)]
    )
    season_starts_on = DateField(_l("Début de la saison"), validators=[required()])
    season_ends_on = DateField(_l("Fin de la saison"), validators=[required()])
    frequency = RadioField(
        _l("Rythme des paniers"),
        choices=_choices(FREQUENCY_LABELS),
        default=Frequency.WEEKLY.value,
        validators=[InputRequired(_l("Choisissez un rythme de livraison."))],
    )
    signup_opens_on = DateField(_l("Ouverture des inscriptions : le"), validators=[required()])
    signup_opens_time = TimeField(_l("à (heure)"), validators=[required()])
    signup_closes_on = DateField(_l("Clôture des inscriptions : le"), validators=[required()])
    signup_closes_time = TimeField(_l("à (heure)"), validators=[required()])
    max_absences = IntegerField(
        _l("Nombre maximum d'absences par foyer"),
        default=2,
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(0, MAX_ABSENCES, _l("Entre %(min)d et %(max)d absences.")),
        ],
    )
    absence_policy = RadioField(
        _l("Un panier d'un foyer absent est"),
        choices=_choices(ABSENCE_POLICY_LABELS),
        default=AbsencePolicy.CREDIT.value,
        validators=[InputRequired(_l("Choisissez ce que devient un panier absent."))],
    )
    # Left out, it keeps its default (credited); the service checks the value.
    cancelled_day_policy = RadioField(
        _l("Le panier d'une distribution annulée (jour férié, lieu fermé) est"),
        choices=_choices(CANCELLED_DAY_POLICY_LABELS),
        default=CancelledDayPolicy.CREDIT.value,
        validate_choice=False,
    )
    plans = CheckboxesField(
        _l("Échelonnements proposés"),
        choices=_choices(PLAN_LABELS),
        validators=[DataRequired(_l("Autorisez au moins une façon d'échelonner."))],
    )
    methods = CheckboxesField(
        _l("Moyens de paiement acceptés"),
        choices=_choices(METHOD_LABELS),
        validators=[DataRequired(_l("Autorisez au moins un moyen de paiement."))],
    )
    # Left out, both keep their defaults (a season commitment, 14 days); the service checks.
    cancellation_policy = RadioField(
        _l("Résiliation"),
        choices=_choices(CANCELLATION_POLICY_LABELS),
        default=CancellationPolicy.SEASON_COMMITMENT.value,
        validate_choice=False,
    )
    notice_days = IntegerField(
        _l("Préavis de résiliation (jours)"),
        default=DEFAULT_NOTICE_DAYS,
        validators=[
            Optional(),
            NumberRange(0, MAX_NOTICE_DAYS, _l("Entre %(min)d et %(max)d jours.")),
        ],
    )
    # validate_choice=False: the service checks the offer is the group's, with the same producer.
    previous_offer_id = SelectField(
        _l("Renouvelle le contrat (facultatif)"), coerce=int_or_none, validate_choice=False
    )

    def __init__(
        self,
        producers: list[Producer],
        *args,
        previous_offers: list[BasketOffer] | tuple = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.producer_id.choices = [SelectChoice("", _l("— Choisir —"))] + [
            SelectChoice(producer.id, producer.name) for producer in producers
        ]
        self.previous_offer_id.choices = [SelectChoice("", _l("— Aucun —"))] + [
            SelectChoice(
                previous.id,
                _l("%(name)s (%(producer)s)", name=previous.name, producer=previous.producer.name),
            )
            for previous in previous_offers
        ]

    @staticmethod
    def initial(offer: BasketOffer | None, today: date) -> dict:
        if offer is None:
            starts = today + timedelta(days=30)
            return {
                "season_starts_on": starts,
                "season_ends_on": starts + timedelta(weeks=26),
                "signup_opens_on": today,
                "signup_opens_time": time(9, 0),
                "signup_closes_on": starts - timedelta(days=3),
                "signup_closes_time": time(20, 0),
                "plans": [PaymentPlan.SEASON.value, PaymentPlan.MONTHLY.value],
                "methods": [PaymentMethod.CHEQUE.value, PaymentMethod.TRANSFER.value],
            }
        opens, closes = to_paris(offer.signup_opens_at), to_paris(offer.signup_closes_at)
        return {
            "producer_id": offer.producer_id,
            "name": offer.name,
            "description": offer.description,
            "season_starts_on": offer.season_starts_on,
            "season_ends_on": offer.season_ends_on,
            "frequency": offer.frequency,
            "signup_opens_on": opens.date(),
            "signup_opens_time": opens.time().replace(tzinfo=None),
            "signup_closes_on": closes.date(),
            "signup_closes_time": closes.time().replace(tzinfo=None),
            "max_absences": offer.max_absences,
            "absence_policy": offer.absence_policy,
            "cancelled_day_policy": offer.cancelled_day_policy,
            "plans": offer.allowed_plans,
            "methods": offer.allowed_methods,
            "cancellation_policy": offer.cancellation_policy,
            "notice_days": offer.notice_days,
            "previous_offer_id": offer.previous_offer_id,
        }

    def to_data(self) -> OfferData:
        return OfferData(
            producer_id=self.producer_id.data,
            name=self.name.data or "",
            description=self.description.data or "",
            season_starts_on=self.season_starts_on.data,
            season_ends_on=self.season_ends_on.data,
            frequency=self.frequency.data,
            signup_opens_at=local_instant(self.signup_opens_on.data, self.signup_opens_time.data),
            signup_closes_at=local_instant(
                self.signup_closes_on.data, self.signup_closes_time.data
            ),
            max_absences=self.max_absences.data,
            absence_policy=self.absence_policy.data,
            cancelled_day_policy=self.cancelled_day_policy.data or CancelledDayPolicy.CREDIT.value,
            plans=frozenset(self.plans.data or ()),
            methods=frozenset(self.methods.data or ()),
            cancellation_policy=self.cancellation_policy.data or "",
            notice_days=(
                DEFAULT_NOTICE_DAYS if self.notice_days.data is None else self.notice_days.data
            ),
            previous_offer_id=self.previous_offer_id.data,
        )


class SizeForm(BaseForm):
    name = StringField(_l("Nom de la taille"), validators=[required(), too_long(60)])
    description = TextAreaField(
        _l("Contenu habituel (facultatif)"), validators=[Optional(), too_long(2000)]
    )
    price = EuroField(
        _l("Prix par livraison (€)"),
        validators=[InputRequired(_l("Indiquez un prix."))],
        invalid_message=NOT_AN_AMOUNT,
    )
    capacity = IntegerField(
        _l("Nombre de paniers au plus (facultatif)"),
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("La capacité doit être d'au moins 1.")),
        ],
    )

    vat_rate = VatRateField(_l("TVA sur ce panier"))

    def validate_price(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("Le prix doit être supérieur à zéro."))

    @classmethod
    def for_size(cls, size: BasketSize | None) -> SizeForm:
        if size is None:
            return cls()
        return cls(
            data={
                "name": size.name,
                "description": size.description,
                "price": size.price_cents,
                "capacity": size.capacity,
                "vat_rate": size.vat_rate_bp,
            }
        )

    def to_data(self) -> SizeData:
        return SizeData(
            name=self.name.data or "",
            description=self.description.data or "",
            price_cents=self.price.data,
            capacity=self.capacity.data,
            vat_rate_bp=self.vat_rate.data,
        )


class TierForm(BaseForm):
    name = StringField(_l("Nom du tarif"), validators=[required(), too_long(60)])
    percent = IntegerField(
        _l("Pourcentage du prix standard"),
        validators=[
            InputRequired(_l("Indiquez un pourcentage entier, par exemple 50.")),
            NumberRange(
                MIN_PERCENT,
                MAX_PERCENT,
                _l("Le pourcentage doit être compris entre %(min)d et %(max)d."),
            ),
        ],
    )

    @classmethod
    def for_tier(cls, tier: PriceTier | None) -> TierForm:
        return cls(obj=tier) if tier is not None else cls()

    def to_data(self) -> TierData:
        return TierData(name=self.name.data or "", percent=self.percent.data)
