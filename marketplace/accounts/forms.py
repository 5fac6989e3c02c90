"""Account forms. Messages are French msgids; the services check the business rules again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace.accounts.models import LANGUAGE_CODES, User
from marketplace.accounts.passwords import password_problem
from marketplace.accounts.services import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PHONE_FORMAT_MESSAGE,
    PHONE_PATTERN,
)
from marketplace.forms import BaseForm

# A pass phrase may be long; beyond this it is not typed but pasted to hurt the server.
PASSWORD_MAX_LENGTH = 512
# Language names are written in their own language, as in the header's switch.
LANGUAGE_CHOICES = [SelectChoice("fr", "Français"), SelectChoice("en", "English")]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def name_field() -> StringField:
    return StringField(
        _l("Nom (vous ou votre foyer)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez votre nom ou celui de votre foyer.")),
            Length(max=NAME_MAX_LENGTH, message=_l("%(max)d caractères au maximum.")),
        ],
    )


def password_too_long() -> Length:
    return Length(max=PASSWORD_MAX_LENGTH, message=_l("%(max)d caractères au maximum."))


def new_password_field(label: str) -> PasswordField:
    return PasswordField(
        label, validators=[DataRequired(_l("Choisissez un mot de passe.")), password_too_long()]
    )


class NewPasswordForm(BaseForm):
    """A new password typed twice, refused when weak; `account` gives the name and e-mail
    a password must not reuse."""

    password = new_password_field(_l("Nouveau mot de passe"))
    password_confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[
            DataRequired(_l("Retapez le mot de passe pour le confirmer.")),
            EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques.")),
            password_too_long(),
        ],
    )

    def __init__(self, *args, account: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def personal_details(self) -> tuple[str, str]:
        if self.account is None:
            return "", ""
        return self.account.email, self.account.name

    def validate_password(self, field: PasswordField) -> None:
        email, name = self.personal_details()
        problem = password_problem(field.data or "", email=email, name=name)
        if problem:
            raise ValidationError(problem)


class RegisterForm(NewPasswordForm):
    name = name_field()
    password = new_password_field(_l("Mot de passe"))
    email = EmailField(
        _l("Adresse e-mail"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            Length(max=EMAIL_MAX_LENGTH, message=_l("%(max)d caractères au maximum.")),
            Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr).")),
        ],
    )
    submit = SubmitField(_l("Créer mon compte"))

    def personal_details(self) -> tuple[str, str]:
        return self.email.data or "", self.name.data or ""


class LoginForm(BaseForm):
    email = EmailField(
        _l("Adresse e-mail"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            Length(max=EMAIL_MAX_LENGTH, message=_l("%(max)d caractères au maximum.")),
        ],
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe.")), password_too_long()],
    )
    remember = BooleanField(_l("Se souvenir de moi"))
    submit = SubmitField(_l("Se connecter"))


class ResetRequestForm(BaseForm):
    email = EmailField(
        _l("Adresse e-mail de votre compte"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            Length(max=EMAIL_MAX_LENGTH, message=_l("%(max)d caractères au maximum.")),
            Email(_l("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr).")),
        ],
    )
    submit = SubmitField(_l("Recevoir un lien"))


class LoginLinkRequestForm(ResetRequestForm):
    submit = SubmitField(_l("Recevoir un lien de connexion"))


class ResetPasswordForm(NewPasswordForm):
    submit = SubmitField(_l("Enregistrer le nouveau mot de passe"))


class ProfileForm(BaseForm):
    name = name_field()
    phone = TelField(
        _l("Téléphone (facultatif)"),
        filters=[strip],
        validators=[
            Optional(),
            Regexp(PHONE_PATTERN, message=PHONE_FORMAT_MESSAGE),
        ],
    )
    language = SelectField(
        _l("Langue de l'interface et des e-mails"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
        validators=[AnyOf(LANGUAGE_CODES, message=_l("Choisissez une langue proposée."))],
    )
    wants_group_messages = BooleanField(
        _l("Recevoir par e-mail les messages de mes groupes et de leurs producteurs")
    )
    save_profile = SubmitField(_l("Enregistrer mon profil"))


class PasswordChangeForm(NewPasswordForm):
    # The submit button's name tells the profile view which of its two forms was sent.
    SUBMIT_NAME = "change_password"

    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(_l("Indiquez votre mot de passe actuel.")), password_too_long()],
    )
    change_password = SubmitField(_l("Changer mon mot de passe"))
