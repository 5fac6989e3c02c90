"""The farm's profile form, and the forms a group's coordinators use to choose its producers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import DataRequired, InputRequired

from marketplace.forms import BaseForm, CheckboxesField
from marketplace.labels import LABEL_NAMES, TRADE_LABELS
from marketplace.organisations.forms import ProfileForm
from marketplace.producers.models import Producer


class ProducerProfileForm(ProfileForm):
    # Choices are checked by the service, which names the problem clearly (tampered form).
    trade = SelectField(
        _l("Métier"),
        choices=[SelectChoice("", _l("Non précisé"))]
        + [SelectChoice(code, label) for code, label in TRADE_LABELS.items()],
        validate_choice=False,
    )
    # Named after Producer.label_codes so that editing starts from the stored labels.
    label_codes = CheckboxesField(
        _l("Labels et mentions"),
        choices=[SelectChoice(code, label) for code, label in LABEL_NAMES.items()],
        validate_choice=False,
    )


class LinkProducerForm(BaseForm):
    # The service checks the id sent back, which a tampered form could change.
    producer_id = SelectField(
        _l("Producteur·rice"),
        validate_choice=False,
        validators=[DataRequired(_l("Choisissez un·e producteur·rice."))],
    )

    def __init__(self, available: list[Producer], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.producer_id.choices = [SelectChoice("", _l("— Choisir —"))] + [
            SelectChoice(str(producer.id), _producer_option(producer)) for producer in available
        ]


def _producer_option(producer: Producer) -> str:
    return f"{producer.name} ({producer.city})" if producer.city else producer.name


class UnlinkProducerForm(BaseForm):
    producer_id = HiddenField(validators=[InputRequired()])
