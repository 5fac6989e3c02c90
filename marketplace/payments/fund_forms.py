"""Typing an amount of euros ("5,00" or "5.00") and the one-off gift form of the fund."""

from __future__ import annotations

import re
import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SubmitField
from wtforms.validators import InputRequired, Regexp
from wtforms.widgets import TextInput

# Whole euros, then at most two decimals after a comma or a point: never a float.
EUROS = re.compile(r"^(\d{1,6})(?:[,.](\d{1,2}))?$")


def euros_to_cents(text: str) -> int | None:
    """ "5", "5,5", "5,50" or "5.50" as cents; None for anything else (signs, letters...)."""
    match = EUROS.match(text.strip().replace(" ", "").replace("\u202f", "").replace("\xa0", ""))
    if match is None:
        return None
    whole, decimals = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(decimals)


class EuroAmountField(Field):
    """An amount typed in euros, kept as integer cents in `data` (None when left empty).

    A text input with a decimal keypad: a number input refuses the French decimal comma.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.raw_text = ""

    def process_formdata(self, valuelist):
        self.raw_text = (valuelist[0] if valuelist else "").strip()
        if not self.raw_text:
            self.data = None
            return
        self.data = euros_to_cents(self.raw_text)
        if self.data is None:
            raise ValueError(_l("Indiquez un montant en euros, par exemple 5,00."))

    def _value(self) -> str:
        if self.raw_text:
            return self.raw_text
        if self.data is None:
            return ""
        return f"{self.data // 100},{self.data % 100:02d}"


class GiveForm(FlaskForm):
    amount = EuroAmountField(
        _l("Montant du don (en €)"),
        validators=[InputRequired(_l("Indiquez le montant de votre don."))],
    )
    # Identifies this form: the same form sent twice records one gift only.
    reference = HiddenField(
        validators=[Regexp(r"^[0-9a-f]{32}$", message=_l("Rechargez la page et recommencez."))]
    )
    submit = SubmitField(_l("Donner"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.reference.data = uuid.uuid4().hex
