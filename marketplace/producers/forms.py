"""The farm's profile form: the shared profile plus trade and quality labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.labels import LABEL_NAMES, TRADE_LABELS
from marketplace.organisations.forms import ProfileForm


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (easier than a multiple select on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProducerProfileForm(ProfileForm):
    # Choices are checked by the service, which names the problem clearly (tampered form).
    trade = SelectField(
        _l("Métier"),
        choices=[SelectChoice("", _l("Non précisé"))]
        + [SelectChoice(code, label) for code, label in TRADE_LABELS.items()],
        validate_choice=False,
    )
    # Named after Producer.label_codes so that editing starts from the stored labels.
    label_codes = MultiCheckboxField(
        _l("Labels et mentions"),
        choices=[SelectChoice(code, label) for code, label in LABEL_NAMES.items()],
        validate_choice=False,
    )
