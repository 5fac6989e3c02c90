"""The one-off gift form of the solidarity fund."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField
from wtforms.validators import InputRequired, Regexp

from marketplace.forms import BaseForm
from marketplace.payments.fields import EuroField

NOT_AN_AMOUNT = _l("Indiquez un montant en euros, par exemple 5,00.")


class GiveForm(BaseForm):
    amount = EuroField(
        _l("Montant du don (en €)"),
        validators=[InputRequired(_l("Indiquez le montant de votre don."))],
        invalid_message=NOT_AN_AMOUNT,
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
