"""Forms of the membership pages: settings, joining, a fee received, an invitation, an import."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import HiddenInput

from marketplace.errors import DomainError
from marketplace.forms import BaseForm, int_or_none, required, too_long
from marketplace.membership.models import (
    BANK_MAX,
    CHEQUE_NUMBER_MAX,
    RECORDED_METHODS,
    MembershipSettings,
    Pricing,
)
from marketplace.membership.services import Level
from marketplace.payments.fields import EuroField
from marketplace.payments.labels import METHOD_LABELS
from marketplace.payments.money import format_money, parse_euros

NOT_AN_AMOUNT = _l("Indiquez un montant en euros, par exemple 15 ou 12,50.")

MONTHS = [
    _l("janvier"),
    _l("février"),
    _l("mars"),
    _l("avril"),
    _l("mai"),
    _l("juin"),
    _l("juillet"),
    _l("août"),
    _l("septembre"),
    _l("octobre"),
    _l("novembre"),
    _l("décembre"),
]
PRICING_LABELS = {
    Pricing.FIXED.value: _l("Un montant fixe"),
    Pricing.FREE.value: _l("Prix libre, avec un minimum"),
    Pricing.SLIDING.value: _l("Barème par niveaux (participation selon les moyens)"),
}
LEVELS_MAX_LENGTH = 1000


class SettingsForm(BaseForm):
    start_month = SelectField(
        _l("L'adhésion court à partir du 1er"),
        choices=[SelectChoice(number, label) for number, label in enumerate(MONTHS, start=1)],
        coerce=int_or_none,
        validate_choice=False,  # the service checks the month and says so in French
    )
    pricing = RadioField(
        _l("Cotisation"),
        choices=[SelectChoice(value, label) for value, label in PRICING_LABELS.items()],
        validators=[required()],
        validate_choice=False,
    )
    amount = EuroField(_l("Montant, ou minimum du prix libre (€)"), invalid_message=NOT_AN_AMOUNT)
    levels = TextAreaField(
        _l("Niveaux du barème"),
        validators=[too_long(LEVELS_MAX_LENGTH)],
        render_kw={"rows": 4, "maxlength": LEVELS_MAX_LENGTH},
    )
    required_to_subscribe = BooleanField(_l("Adhésion obligatoire pour s'inscrire à un contrat"))
    remind_days_before = IntegerField(
        _l("Rappeler le renouvellement (jours avant l'échéance)"),
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(1, 90, _l("Entre 1 et 90 jours.")),
        ],
        default=30,
    )

    def fill_from(self, settings: MembershipSettings) -> None:
        self.start_month.data = settings.start_month
        self.pricing.data = settings.pricing
        self.amount.data = settings.amount_cents
        self.levels.data = "\n".join(
            f"{level.name} : {format_money(level.amount_cents).replace(' €', '')}"
            for level in settings.levels
        )
        self.required_to_subscribe.data = settings.required
        self.remind_days_before.data = settings.remind_days_before

    def parsed_levels(self) -> list[Level]:
        """One level a line, « Nom : montant »; DomainError (on `levels`) for a bad line."""
        levels = []
        for number, line in enumerate((self.levels.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            name, separator, amount = line.rpartition(":")
            try:
                cents = parse_euros(amount.strip().replace("€", "").strip())
            except ValueError:
                cents = None
            if not separator or not name.strip() or cents is None:
                raise DomainError(
                    str(
                        _l(
                            "Ligne %(number)d : écrivez « Nom : montant », par exemple "
                            "« Solidaire : 5 ».",
                            number=number,
                        )
                    ),
                    field="levels",
                )
            levels.append(Level(re.sub(r"\s+", " ", name.strip()), cents))
        return levels


class JoinForm(BaseForm):
    amount = EuroField(_l("Montant de votre cotisation (€)"), invalid_message=NOT_AN_AMOUNT)
    level_id = RadioField(
        _l("Votre niveau de cotisation"), coerce=int_or_none, choices=[], validate_choice=False
    )

    def __init__(self, settings: MembershipSettings, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.level_id.choices = [
            SelectChoice(level.id, f"{level.name} — {format_money(level.amount_cents)}")
            for level in settings.levels
        ]
        if settings.pricing != Pricing.SLIDING:
            self.level_id.validators = [Optional()]


METHOD_CHOICES = [
    SelectChoice(method.value, METHOD_LABELS[method.value]) for method in RECORDED_METHODS
]


class PaymentForm(BaseForm):
    membership_id = HiddenField()
    method = SelectField(_l("Moyen de paiement"), choices=METHOD_CHOICES, validate_choice=False)
    bank = StringField(_l("Banque"), validators=[too_long(BANK_MAX)])
    cheque_number = StringField(_l("N° du chèque"), validators=[too_long(CHEQUE_NUMBER_MAX)])


class InviteForm(BaseForm):
    name = StringField(_l("Nom du foyer"), validators=[required(), too_long(120)])
    email = StringField(_l("Adresse e-mail"), validators=[required(), too_long(254)])


class PayloadField(Field):
    """The checked file carried from the preview to the confirmation, as bytes (bounded by
    the import's own limit, not by the text fields' length)."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        self.data = (valuelist[0] if valuelist else "").encode()

    def _value(self) -> str:
        return (self.data or b"").decode()


class ImportForm(BaseForm):
    file = FileField(_l("Fichier CSV"))
    payload = PayloadField()
    confirm = BooleanField()
