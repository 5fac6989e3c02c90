"""Form pieces every domain uses: French validation messages, a service's refusal shown on the
form, numbers typed the French way, checkbox lists, and a bare confirmation button."""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectMultipleField, StringField
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.bounds import bounded_int, clean_text, out_of_bounds
from marketplace.errors import DomainError

OUT_OF_BOUNDS = _l("Cette valeur est hors des limites acceptées.")


def check_bounds(form, field) -> None:
    """Every field's value, once typed: a number a column holds, a date between 2000 and
    2100, a text of reasonable length (see marketplace/bounds.py)."""
    if out_of_bounds(field.data):
        field.data = None
        raise StopValidation(str(OUT_OF_BOUNDS))


class BoundedMeta:
    """Given to every form of the site (BaseForm, SubForm): each text is cleaned of control
    characters, each value checked against the shared bounds before its own validators."""

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if issubclass(field_class, (FormField, FieldList)):  # their own forms are bounded
            return unbound_field.bind(form=form, **options)
        args, kwargs = list(unbound_field.args), dict(unbound_field.kwargs)
        # Every field's second positional argument is its validators (label, validators...).
        if len(args) > 1:
            args[1] = [check_bounds, *(args[1] or ())]
        else:
            kwargs["validators"] = [check_bounds, *(kwargs.get("validators") or ())]
        if len(args) <= 2:
            kwargs["filters"] = [clean_text, *(kwargs.get("filters") or ())]
        rebound = UnboundField(field_class, *args, name=unbound_field.name, **kwargs)
        return rebound.bind(form=form, **options)


class BaseForm(FlaskForm):
    """The base of every form of the site (CSRF, and the shared bounds)."""

    class Meta(BoundedMeta, DefaultMeta):
        pass


class SubForm(Form):
    """A form nested in another (FieldList, FormField): the shared bounds, no CSRF token."""

    class Meta(BoundedMeta, DefaultMeta):
        pass


def required() -> DataRequired:
    return DataRequired(_l("Ce champ est obligatoire."))


def too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("%(max)d caractères au maximum."))


def int_or_none(value) -> int | None:
    """Coerce a posted or queried id; a tampered value (text, too many digits, beyond what a
    column holds) becomes None, which the service or view refuses clearly."""
    return bounded_int(value)


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


class ConfirmForm(BaseForm):
    """A button that changes something: only its CSRF token is checked."""
