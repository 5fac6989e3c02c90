"""Forms shared by the three kinds of organisation: profile, and roles of people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from marketplace.forms import BaseForm, DecimalCommaField, too_long
from marketplace.labels import role_label
from marketplace.organisations.models import Organisation
from marketplace.organisations.services import (
    MAX_DESCRIPTION,
    MAX_LENGTHS,
    OrganisationProfile,
    roles_offered,
)


class ProfileForm(BaseForm):
    name = StringField(
        _l("Nom"),
        validators=[DataRequired(_l("Indiquez un nom.")), too_long(MAX_LENGTHS["name"])],
    )
    description = TextAreaField(_l("Présentation"), validators=[too_long(MAX_DESCRIPTION)])
    address = StringField(
        _l("Numéro et rue, ou lieu-dit"), validators=[too_long(MAX_LENGTHS["address"])]
    )
    postcode = StringField(_l("Code postal"), validators=[too_long(MAX_LENGTHS["postcode"])])
    city = StringField(_l("Commune"), validators=[too_long(MAX_LENGTHS["city"])])
    latitude = DecimalCommaField(
        _l("Latitude"),
        validators=[
            Optional(),
            NumberRange(-90, 90, _l("La latitude doit être comprise entre -90 et 90.")),
        ],
    )
    longitude = DecimalCommaField(
        _l("Longitude"),
        validators=[
            Optional(),
            NumberRange(-180, 180, _l("La longitude doit être comprise entre -180 et 180.")),
        ],
    )
    email = EmailField(
        _l("Adresse e-mail de contact"),
        validators=[
            Optional(),
            too_long(MAX_LENGTHS["email"]),
            Email(_l("Cette adresse e-mail n'est pas valide.")),
        ],
    )
    phone = StringField(
        _l("Téléphone"),
        validators=[
            Optional(),
            too_long(MAX_LENGTHS["phone"]),
            Regexp(
                r"^\+?[0-9 .()-]+$",
                message=_l("Un numéro de téléphone ne contient que des chiffres, espaces et +."),
            ),
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        position_errors = self.latitude.errors or self.longitude.errors
        if not position_errors and (self.latitude.data is None) != (self.longitude.data is None):
            message = _l("Indiquez la latitude et la longitude, ou aucune des deux.")
            blank = self.longitude if self.longitude.data is None else self.latitude
            blank.errors.append(message)
            return False
        return valid

    def profile(self) -> OrganisationProfile:
        return OrganisationProfile(
            name=self.name.data or "",
            description=self.description.data or "",
            address=self.address.data or "",
            postcode=self.postcode.data or "",
            city=self.city.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            email=self.email.data,
            phone=self.phone.data,
        )


class AddRoleForm(BaseForm):
    email = EmailField(
        _l("Adresse e-mail de la personne"),
        validators=[
            DataRequired(_l("Indiquez l'adresse e-mail de la personne.")),
            too_long(MAX_LENGTHS["email"]),
            Email(_l("Cette adresse e-mail n'est pas valide.")),
        ],
    )
    # Checked by the service, which says clearly when a role does not fit (tampered form).
    role = SelectField(_l("Rôle"), validate_choice=False)

    def __init__(self, organisation: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [
            SelectChoice(role.value, role_label(role.value)) for role in roles_offered(organisation)
        ]


class RemoveRoleForm(BaseForm):
    """One "remove" button per role badge: the person and the role travel as hidden fields."""

    user_id = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,18}$")])
    role = HiddenField(validators=[InputRequired(), Length(max=20)])
