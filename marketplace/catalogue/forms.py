"""The product form and the "copy the previous date" form of the availability grid."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from marketplace.catalogue.labels import CATEGORY_NAMES, UNIT_NAMES
from marketplace.catalogue.products import MAX_DESCRIPTION, MAX_NAME, ProductDetails
from marketplace.forms import BaseForm, CheckboxesField, required, too_long
from marketplace.labels import LABEL_NAMES
from marketplace.payments.fields import EuroField, VatRateField

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


class ProductForm(BaseForm):
    name = StringField(_l("Nom du produit"), validators=[required(), too_long(MAX_NAME)])
    # Choices are checked by the service, which names the problem clearly (tampered form).
    category = SelectField(
        _l("Catégorie"),
        choices=[SelectChoice(code.value, label) for code, label in CATEGORY_NAMES.items()],
        validate_choice=False,
    )
    unit = SelectField(
        _l("Vendu à la… (unité)"),
        choices=[SelectChoice(code.value, names[0]) for code, names in UNIT_NAMES.items()],
        validate_choice=False,
    )
    price = EuroField(
        _l("Prix par unité (€)"),
        # InputRequired, not DataRequired: it keeps the "not an amount" message of the field.
        validators=[InputRequired(_l("Indiquez un prix."))],
        invalid_message=_l("Indiquez un prix en euros, par exemple 3,20."),
    )
    vat_rate = VatRateField(_l("TVA sur ce produit"))
    description = TextAreaField(
        _l("Description (facultatif)"), validators=[too_long(MAX_DESCRIPTION)]
    )
    label_codes = CheckboxesField(
        _l("Labels et mentions"),
        choices=[SelectChoice(code, label) for code, label in LABEL_NAMES.items()],
        validate_choice=False,
    )
    # Checked by opening it with Pillow (photos.py), whatever its name or declared type says.
    photo = FileField(_l("Photo (facultatif)"), render_kw={"accept": PHOTO_TYPES})
    remove_photo = BooleanField(_l("Retirer la photo actuelle"))

    def details(self) -> ProductDetails:
        return ProductDetails(
            name=self.name.data or "",
            category=self.category.data or "",
            unit=self.unit.data or "",
            price_cents=self.price.data,
            description=self.description.data or "",
            label_codes=self.label_codes.data or [],
            vat_rate_bp=self.vat_rate.data,
        )

    def uploaded_photo(self):
        """The uploaded file, or None when the field was left empty."""
        upload = self.photo.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        return upload


class CopyDateForm(BaseForm):
    # The service checks the date sent back (a coming, still open date of the group).
    day = SelectField(_l("Copier la date précédente vers le"), validate_choice=False)
