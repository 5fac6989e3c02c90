"""Forms of the card and SEPA pages. Card numbers and IBANs never reach them: Stripe.js sends
them to Stripe, the forms only carry Stripe's ids and our choices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField
from wtforms.validators import InputRequired

from marketplace.forms import BaseForm
from marketplace.payments.fields import EuroField


class NewMethodForm(BaseForm):
    """Sent by card-payment.js once Stripe confirmed the SetupIntent."""

    setup_intent_id = HiddenField()
    remember = BooleanField(_l("Enregistrer ce moyen de paiement pour mes prochaines échéances"))


class SavedMethodForm(BaseForm):
    saved_method_id = HiddenField(validators=[InputRequired()])


class RefundForm(BaseForm):
    amount = EuroField(
        _l("Montant à rembourser (€)"),
        validators=[InputRequired(message=_l("Indiquez le montant à rembourser."))],
        invalid_message=_l("Indiquez un montant en euros, par exemple 12,50."),
    )
