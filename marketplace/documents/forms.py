"""The document upload form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, StringField

from marketplace.documents.models import MAX_TITLE, Audience
from marketplace.forms import BaseForm, int_or_none, required, too_long

DOCUMENT_TYPES = (
    "application/pdf,image/png,image/jpeg,.odt,.docx,"
    "application/vnd.oasis.opendocument.text,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

AUDIENCE_NAMES = {
    Audience.PUBLIC: _l("Tout le monde (page publique du groupe)"),
    Audience.MEMBERS: _l("Les adhérent·es du groupe"),
    Audience.SUBSCRIBERS: _l("Les adhérent·es d'un contrat"),
    Audience.COORDINATORS: _l("La coordination seulement"),
}


class DocumentForm(BaseForm):
    title = StringField(_l("Titre"), validators=[required(), too_long(MAX_TITLE)])
    # Choices are checked by the service, which names the problem clearly.
    audience = SelectField(
        _l("Qui peut le lire"),
        choices=[SelectChoice(code.value, label) for code, label in AUDIENCE_NAMES.items()],
        validate_choice=False,
    )
    offer_id = SelectField(
        _l("Contrat (pour « les adhérent·es d'un contrat »)"),
        coerce=int_or_none,
        validate_choice=False,
    )
    # Read to find what it is (documents/files.py), whatever its name or declared type says.
    file = FileField(_l("Fichier"), render_kw={"accept": DOCUMENT_TYPES})

    def uploaded_file(self):
        upload = self.file.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        return upload
