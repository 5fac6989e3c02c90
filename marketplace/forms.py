"""Form pieces every domain uses: French validation messages, a service's refusal shown on the
form, numbers typed the French way, checkbox lists, and a bare confirmation button."""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.errors import DomainError


def required() -> DataRequired:
    return DataRequired(_l("Ce champ est obligatoire."))


def too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("%(max)d caractères au maximum."))


def int_or_none(value) -> int | None:
    """Coerce a posted id; a tampered value becomes None, which the service refuses clearly."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def show_service_error(form: FlaskForm, error: DomainError, default_field: str | None = None):
    """Put a service's refusal next to the field it concerns (or `default_field`), else on top
    of the form."""
    name = error.field if error.field in form else default_field
    if name is None:
        form.form_errors.append(error.message)
    else:
        form[name].errors = [*form[name].errors, error.message]


class DecimalCommaField(StringField):
    """A decimal number typed the French way ("45,764") or the English way ("45.764").

    A text input: a phone's numeric keypad may lack the minus sign (a longitude west of
    Greenwich), and a number input refuses the French decimal comma.
    """

    def __init__(self, *args, invalid_message=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message or _l("Saisissez un nombre, par exemple 45,7640.")

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        text = (self.data or "").strip().replace(" ", "").replace(",", ".")
        if not text:
            self.data = None
            return
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):  # "abc", but also "nan" and "inf" that float() accepts
            self.data = None
            raise ValueError(self.invalid_message)
        self.data = number

    def pre_validate(self, form) -> None:
        if self.process_errors:  # not a number: the range check has nothing to say
            raise StopValidation()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (easier than a multiple select on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        if not self.validate_choice:  # the service checks the codes and names the problem
            return
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError(_l("Choisissez dans la liste."))


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token is checked."""
