"""Forms of the shift pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from marketplace.forms import BaseForm, int_or_none, required, too_long
from marketplace.shifts.roles import MAX_CUTOFF_HOURS, MAX_NEEDED_PER_DAY, RoleData


def _whole_number(label: str, minimum: int, maximum: int) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(
                min=minimum,
                max=maximum,
                message=_l("Indiquez un nombre entre %(min)s et %(max)s."),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )


class RoleForm(BaseForm):
    name = StringField(_l("Nom du rôle"), validators=[required(), too_long(80)])
    description = TextAreaField(_l("Ce qu'il y a à faire"), validators=[Optional(), too_long(1000)])
    needed_per_day = _whole_number(_l("Personnes par distribution"), 1, MAX_NEEDED_PER_DAY)
    cancel_cutoff_hours = _whole_number(
        _l("Désinscription possible jusqu'à (heures avant)"), 0, MAX_CUTOFF_HOURS
    )
    position = _whole_number(_l("Ordre d'affichage"), 0, 999)
    active = BooleanField(_l("Rôle en service"), default=True)

    @classmethod
    def for_role(cls, role=None) -> RoleForm:
        if role is None:
            return cls(needed_per_day=1, cancel_cutoff_hours=48, position=0, active=True)
        return cls(obj=role)

    def to_data(self) -> RoleData:
        return RoleData(
            name=self.name.data or "",
            description=self.description.data or "",
            needed_per_day=self.needed_per_day.data,
            cancel_cutoff_hours=self.cancel_cutoff_hours.data,
            position=self.position.data,
            active=bool(self.active.data),
        )


class AssignForm(BaseForm):
    user_id = SelectField(_l("Personne à inscrire"), coerce=int_or_none, validate_choice=False)


ATTENDANCE_CHOICES = [
    ("yes", _l("Venu·e")),
    ("no", _l("Absent·e")),
    ("unknown", _l("Pas encore noté")),
]
ATTENDANCE_VALUES = {"yes": True, "no": False, "unknown": None}


def attendance_value(attended: bool | None) -> str:
    return next(code for code, value in ATTENDANCE_VALUES.items() if value is attended)
