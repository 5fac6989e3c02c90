"""Forms of the treasurer's pages: bank accounts, remittances, payout runs, the FEC export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import NumberRange

from marketplace.books.models import BIC_MAX, HOLDER_MAX
from marketplace.forms import BaseForm, int_or_none, required, too_long


class BankAccountForm(BaseForm):
    holder = StringField(_l("Titulaire du compte"), [required(), too_long(HOLDER_MAX)])
    # Spaces are allowed in an IBAN as printed on a RIB: 34 characters and up to 8 spaces.
    iban = StringField(_l("IBAN"), [required(), too_long(50)])
    bic = StringField(_l("BIC (facultatif pour une banque française)"), [too_long(BIC_MAX + 4)])


class RemitForm(BaseForm):
    """The payments ticked on a slip and the kind of remittance."""

    kind = HiddenField()
    producer_id = HiddenField()
    payment_ids = SelectMultipleField(coerce=int_or_none, validate_choice=False)

    def chosen_ids(self) -> set[int]:
        return {value for value in self.payment_ids.data or () if value is not None}

    def producer(self) -> int | None:
        return int_or_none(self.producer_id.data)


class PayoutForm(BaseForm):
    producer_ids = SelectMultipleField(coerce=int_or_none, validate_choice=False)

    def chosen_ids(self) -> set[int]:
        return {value for value in self.producer_ids.data or () if value is not None}


class FecForm(BaseForm):
    year = IntegerField(_l("Exercice (année)"), [required(), NumberRange(2000, 2100)])
    siren = StringField(_l("SIREN de l'association (9 chiffres)"), [required(), too_long(11)])
    format = SelectField(
        _l("Format"),
        choices=[
            SelectChoice("fec", _l("FEC pour l'administration fiscale (texte tabulé)")),
            SelectChoice("csv", _l("Tableur pour le comptable (CSV)")),
        ],
    )
