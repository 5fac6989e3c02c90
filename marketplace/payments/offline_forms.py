"""Forms of the coordinators' offline payments screens: filters, recording, bulk actions."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Optional

from marketplace.errors import DomainError
from marketplace.forms import BaseForm, SubForm, int_or_none, too_long
from marketplace.payments.fields import EuroField
from marketplace.payments.labels import METHOD_LABELS
from marketplace.payments.models import OfflineMethod, OfflinePaymentState
from marketplace.payments.offline import BANK_MAX, CHEQUE_NUMBER_MAX, PaymentLine

NOT_AN_AMOUNT = _l("Indiquez un montant en euros, par exemple 45,50 (deux décimales au plus).")

PAYMENT_STATE_LABELS = {
    OfflinePaymentState.RECORDED.value: _l("Enregistré"),
    OfflinePaymentState.RECEIVED.value: _l("Encaissé"),
    OfflinePaymentState.HANDED_OVER.value: _l("Reversé au producteur"),
    OfflinePaymentState.CANCELLED.value: _l("Annulé"),
}


class LocalDateField(DateField):
    """A date picker whose refusal is worded for people (a plain sub-form has no translations)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Indiquez une date valide, par exemple 15/10/2026.")) from error


METHOD_CHOICES = [
    SelectChoice(method.value, METHOD_LABELS[method.value]) for method in OfflineMethod
]


class PaymentRowForm(SubForm):
    """One installment of the household: ticked when it is paid, and how."""

    installment_id = HiddenField()
    selected = BooleanField(_l("Réglée"))
    method = SelectField(_l("Moyen de paiement"), choices=METHOD_CHOICES)
    # A sign is read, so that "-5" gets the services' own message about amounts.
    amount = EuroField(_l("Montant (€)"), invalid_message=NOT_AN_AMOUNT, allow_negative=True)
    bank = StringField(_l("Banque"), [too_long(BANK_MAX)], render_kw={"maxlength": BANK_MAX})
    cheque_number = StringField(
        _l("N° du chèque"),
        [too_long(CHEQUE_NUMBER_MAX)],
        render_kw={"maxlength": CHEQUE_NUMBER_MAX},
    )
    cash_on = LocalDateField(_l("À encaisser le"), validators=[Optional()])


class RecordForm(BaseForm):
    rows = FieldList(FormField(PaymentRowForm))

    def lines(self) -> list[PaymentLine]:
        """The ticked rows as the service reads them (the amounts are already in cents)."""
        return [
            PaymentLine(
                position=position,
                installment_id=int_or_none(row.installment_id.data) or 0,
                method=row.method.data,
                amount_cents=row.amount.data,
                bank=row.bank.data or "",
                cheque_number=row.cheque_number.data or "",
                cash_on=row.cash_on.data,
            )
            for position, row in enumerate(form.form for form in self.rows)
            if row.selected.data
        ]

    def show_error(self, error: DomainError) -> None:
        """Put a service's refusal next to the row's field it concerns, or above the form."""
        target = self._find(error.field)
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            self.form_errors.append(error.message)

    def _find(self, name: str | None):
        match = re.fullmatch(r"rows-(\d+)-(\w+)", name or "")
        if match is None or int(match.group(1)) >= len(self.rows):
            return None
        row = self.rows[int(match.group(1))].form
        return row._fields.get(match.group(2))


class PaymentFilterForm(SubForm):
    """The list's filters, read from the address (a GET form: no CSRF needed)."""

    offer = SelectField(_l("Contrat"), coerce=int_or_none, validate_choice=False)
    household = StringField(_l("Nom du foyer"), [too_long(120)])
    state = SelectField(
        _l("État des paiements"),
        choices=[
            SelectChoice("", _l("Tous")),
            *(SelectChoice(value, label) for value, label in PAYMENT_STATE_LABELS.items()),
        ],
        validate_choice=False,
    )

    def __init__(self, formdata, offers: list[tuple[int, str]]):
        super().__init__(formdata)
        self.offer.choices = [
            SelectChoice("", _l("Tous les contrats")),
            *(SelectChoice(offer_id, name) for offer_id, name in offers),
        ]
        self._offer_ids = {offer_id for offer_id, _name in offers}

    @property
    def offer_id(self) -> int | None:
        """The chosen contract, if it is one of the group's (anything else: no filter)."""
        return self.offer.data if self.offer.data in self._offer_ids else None

    @property
    def state_value(self) -> str | None:
        return self.state.data if self.state.data in PAYMENT_STATE_LABELS else None


BULK_ACTIONS = ("receive", "hand_over", "cancel")


class BulkForm(BaseForm):
    """The payments ticked in the list and the button pressed."""

    payment_ids = SelectMultipleField(coerce=int_or_none, validate_choice=False)
    action = HiddenField()
    next = HiddenField()

    def chosen_ids(self) -> set[int]:
        return {value for value in self.payment_ids.data or () if value is not None}
