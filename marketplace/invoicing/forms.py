"""The legal identity form (what invoices print about an organisation)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import Length, Optional

from marketplace.forms import BaseForm
from marketplace.invoicing.models import DocumentsIssuedBy


def strip(value):
    return value.strip() if isinstance(value, str) else value


class IdentityForm(BaseForm):
    legal_name = StringField(
        _l("Raison sociale ou nom légal"), filters=[strip], validators=[Length(max=160)]
    )
    address = StringField(_l("Adresse du siège"), filters=[strip], validators=[Length(max=300)])
    siret = StringField(
        _l("SIRET (facultatif)"), filters=[strip], validators=[Optional(), Length(max=20)]
    )
    vat_number = StringField(
        _l("Numéro de TVA intracommunautaire (facultatif)"),
        filters=[strip],
        validators=[Optional(), Length(max=20)],
    )
    vat_liable = BooleanField(_l("Assujetti à la TVA"))
    documents_issued_by = RadioField(
        _l("Qui émet les factures de ce producteur ?"),
        choices=[
            SelectChoice(DocumentsIssuedBy.SELF.value, _l("Le producteur lui-même")),
            SelectChoice(
                DocumentsIssuedBy.GROUP.value, _l("Le groupe, pour le compte du producteur")
            ),
        ],
        default=DocumentsIssuedBy.SELF.value,
    )
    save = SubmitField(_l("Enregistrer"))
