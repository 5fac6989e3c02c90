from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from marketplace.forms import BaseForm
from marketplace.messages.models import BODY_MAX, SUBJECT_MAX
from marketplace.messages.services import TARGET_MAX


class MessageForm(BaseForm):
    target = SelectField(
        _l("Destinataires"),
        choices=[],
        validate_choice=False,  # checked by the service, with a clear message
        validators=[
            DataRequired(_l("Choisissez à qui écrire.")),
            Length(max=TARGET_MAX),
        ],
    )
    subject = StringField(
        _l("Objet"),
        validators=[
            DataRequired(_l("Indiquez l'objet du message.")),
            Length(max=SUBJECT_MAX, message=_l("150 caractères au plus.")),
        ],
    )
    body = TextAreaField(
        _l("Message (texte simple)"),
        validators=[
            DataRequired(_l("Écrivez le message.")),
            Length(max=BODY_MAX, message=_l("5 000 caractères au plus.")),
        ],
    )
    essential = BooleanField(
        _l(
            "Message indispensable (ex. distribution annulée) : envoyé même aux foyers qui ne "
            "reçoivent plus les messages du groupe"
        )
    )
    preview = SubmitField(_l("Voir les destinataires"))
    send = SubmitField(_l("Envoyer le message"))
