"""Forms of direct debits: the group's creditor settings, signing a mandate, batches, returns,
bank statements."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marketplace.direct_debit.models import DEFAULT_NOTICE_DAYS, MAX_NOTICE_DAYS, MIN_NOTICE_DAYS
from marketplace.direct_debit.returns import RETURN_REASONS
from marketplace.forms import BaseForm, required


class SettingsForm(BaseForm):
    creditor_id = StringField(_l("Identifiant créancier SEPA (ICS)"), [required(), Length(max=35)])
    creditor_name = StringField(_l("Nom du créancier"), [required(), Length(max=70)])
    iban = StringField(_l("IBAN du compte qui encaisse"), [required(), Length(max=42)])
    bic = StringField(_l("BIC (facultatif si la banque est connue)"), [Optional(), Length(max=11)])
    notice_days = IntegerField(
        _l("Délai de prévenance (jours)"),
        [
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(min=MIN_NOTICE_DAYS, max=MAX_NOTICE_DAYS),
        ],
        default=DEFAULT_NOTICE_DAYS,
    )


class MandateForm(BaseForm):
    signer_name = StringField(_l("Nom du titulaire du compte"), [required(), Length(max=70)])
    iban = StringField(_l("IBAN"), [required(), Length(max=42)])
    bic = StringField(_l("BIC (facultatif si la banque est connue)"), [Optional(), Length(max=11)])


class SignForm(BaseForm):
    """The second step: the household read the mandate's text and signs it."""

    signer_name = HiddenField(validators=[Length(max=70)])
    iban = HiddenField(validators=[Length(max=42)])
    bic = HiddenField(validators=[Length(max=11)])
    reference = HiddenField(validators=[Length(max=35)])
    shown_text = TextAreaField(validators=[Length(max=4000)])
    # The contract just signed up for, to put on the mandate once signed (may be empty).
    contract = HiddenField(validators=[Length(max=10)])


class BatchForm(BaseForm):
    request_key = HiddenField(validators=[Length(max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.request_key.data:
            self.request_key.data = uuid.uuid4().hex


RETURN_CHOICES = [
    SelectChoice(code, f"{code} — {reason}") for code, reason in RETURN_REASONS.items()
]


class ReturnForm(BaseForm):
    code = SelectField(_l("Motif du rejet"), choices=RETURN_CHOICES)


class StatementForm(BaseForm):
    statement = FileField(_l("Relevé bancaire (camt.053 XML ou CSV)"))


class MatchForm(BaseForm):
    installment_id = SelectField(_l("Échéance payée"), coerce=int, validate_choice=True)
