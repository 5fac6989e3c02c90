"""A form field for amounts in euros, kept as integer cents."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, ValidationError
from wtforms.widgets import TextInput

from marketplace.payments.money import (
    DEFAULT_VAT_RATE_BP,
    VAT_RATES_BP,
    cents_as_typed,
    format_vat_rate,
    parse_euros,
)


class EuroField(StringField):
    """An amount typed as text (a phone's decimal keypad, the French comma), kept in cents.

    A number input would refuse "15,50". `data` is None when left empty; anything else that
    is not an amount (or a negative one, unless `allow_negative`) gives `invalid_message`.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, invalid_message, allow_negative=False, **kw):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **kw.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kw)
        self.invalid_message = invalid_message
        self.allow_negative = allow_negative

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not raw:
            return
        try:
            cents = parse_euros(raw)
        except ValueError as error:
            raise ValueError(self.invalid_message) from error
        if cents < 0 and not self.allow_negative:
            raise ValueError(self.invalid_message)
        self.data = cents

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else cents_as_typed(self.data)


class VatRateField(SelectField):
    """The VAT rate printed on invoices: 0 %, 5,5 %, 10 % or 20 %, kept in basis points."""

    def __init__(self, label=None, validators=None, **kw):
        super().__init__(
            label,
            validators,
            choices=[SelectChoice(str(rate), format_vat_rate(rate)) for rate in VAT_RATES_BP],
            coerce=int,
            default=DEFAULT_VAT_RATE_BP,
            **kw,
        )

    def pre_validate(self, form) -> None:
        if self.data not in VAT_RATES_BP:
            raise ValidationError(_l("Choisissez un taux de TVA proposé."))
