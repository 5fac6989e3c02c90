"""Forms of the coordinators' pickup point and calendar screens."""

from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from marketplace.delivery import timing
from marketplace.delivery.models import DistributionSchedule, ExceptionKind, PickupPoint
from marketplace.delivery.recurrence_form import RecurrenceFields
from marketplace.delivery.services import PickupPointData, ScheduleData
from marketplace.delivery.timing import Timing
from marketplace.errors import DomainError
from marketplace.forms import (
    BaseForm,
    DecimalCommaField,
    int_or_none,
    required,
    show_service_error,
    too_long,
)

NOT_A_NUMBER = _l("Indiquez un nombre, par exemple 45,7640.")


class PickupPointForm(BaseForm):
    name = StringField(_l("Nom du lieu"), validators=[required(), too_long(120)])
    address = StringField(_l("Adresse"), validators=[required(), too_long(200)])
    postcode = StringField(
        _l("Code postal"),
        validators=[required(), Regexp(r"^\d{5}$", message=_l("Un code postal a 5 chiffres."))],
    )
    city = StringField(_l("Commune"), validators=[required(), too_long(100)])
    latitude = DecimalCommaField(
        _l("Latitude"),
        invalid_message=NOT_A_NUMBER,
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(-90, 90, _l("La latitude doit être comprise entre -90 et 90.")),
        ],
    )
    longitude = DecimalCommaField(
        _l("Longitude"),
        invalid_message=NOT_A_NUMBER,
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(-180, 180, _l("La longitude doit être comprise entre -180 et 180.")),
        ],
    )
    access_notes = TextAreaField(_l("Accès et consignes"), validators=[Optional(), too_long(2000)])
    capacity = IntegerField(
        _l("Capacité (nombre de paniers, facultatif)"),
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("La capacité doit être d'au moins 1.")),
        ],
    )

    @classmethod
    def for_point(cls, point: PickupPoint | None) -> PickupPointForm:
        return cls(obj=point) if point is not None else cls()

    def to_data(self) -> PickupPointData:
        return PickupPointData(
            name=self.name.data or "",
            address=self.address.data or "",
            postcode=self.postcode.data or "",
            city=self.city.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            access_notes=self.access_notes.data or "",
            capacity=self.capacity.data,
        )


PATTERNS = ("weekly", "monthly", "advanced")


class ScheduleForm(RecurrenceFields, BaseForm):
    # validate_choice=False: the service checks the id sent back, which could be tampered with.
    pickup_point_id = SelectField(
        _l("Lieu de distribution"), coerce=int_or_none, validate_choice=False
    )
    label = StringField(
        _l("Nom du calendrier (facultatif)"), validators=[Optional(), too_long(120)]
    )
    starts_on = DateField(_l("Première distribution (à partir du)"), validators=[required()])
    pattern = RadioField(
        _l("Rythme"),
        choices=[
            SelectChoice("weekly", _l("Chaque semaine, ou toutes les N semaines")),
            SelectChoice("monthly", _l("Un jour précis du mois (par exemple le 1er samedi)")),
            SelectChoice("advanced", _l("Avancé : règle RRULE")),
        ],
        default="weekly",
        validators=[InputRequired(_l("Choisissez un rythme."))],
    )
    until = DateField(_l("Dernière distribution (facultatif)"), validators=[Optional()])
    skip_public_holidays = BooleanField(_l("Pas de distribution les jours fériés"))
    start_time = TimeField(_l("Début"), validators=[required()])
    end_time = TimeField(_l("Fin"), validators=[required()])
    order_opens_days_before = IntegerField(
        _l("Ouverture des commandes : jours avant"),
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(0, timing.MAX_DAYS_BEFORE, _l("Entre 0 et %(max)d jours.")),
        ],
    )
    order_opens_time = TimeField(_l("à (heure)"), validators=[required()])
    order_closes_days_before = IntegerField(
        _l("Clôture des commandes : jours avant"),
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(0, timing.MAX_DAYS_BEFORE, _l("Entre 0 et %(max)d jours.")),
        ],
    )
    order_closes_time = TimeField(_l("à (heure)"), validators=[required()])
    preview = SubmitField(_l("Prévisualiser"))
    save = SubmitField(_l("Enregistrer"))

    def __init__(self, points: list[PickupPoint], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pickup_point_id.choices = [SelectChoice("", _l("— Choisir un lieu —"))] + [
            SelectChoice(
                point.id, point.name if point.active else _l("%(name)s (fermé)", name=point.name)
            )
            for point in points
        ]
        self.set_recurrence_choices()

    @staticmethod
    def initial(schedule: DistributionSchedule | None, today) -> dict:
        """Values shown before the first submission: the rule's, or sensible defaults."""
        if schedule is None:
            return {
                "starts_on": today,
                "start_time": time(18, 0),
                "end_time": time(19, 30),
                "order_opens_days_before": 7,
                "order_opens_time": time(8, 0),
                "order_closes_days_before": 2,
                "order_closes_time": time(20, 0),
                "skip_public_holidays": True,
            }
        values = {
            "pickup_point_id": schedule.pickup_point_id,
            "label": schedule.label,
            "starts_on": schedule.starts_on,
            "skip_public_holidays": schedule.skip_public_holidays,
            **{name: getattr(schedule, name) for name in Timing.__dataclass_fields__},
        }
        return values | RecurrenceFields.recurrence_values(schedule.rrule, with_until=True)

    def to_data(self) -> ScheduleData:
        """The submitted rule; RecurrenceError if the simple choices make no rule."""
        return ScheduleData(
            pickup_point_id=self.pickup_point_id.data,
            label=self.label.data or "",
            rrule=self.chosen_rule(self.starts_on.data, self.until.data),
            starts_on=self.starts_on.data,
            timing=Timing(
                self.start_time.data,
                self.end_time.data,
                self.order_opens_days_before.data,
                self.order_opens_time.data,
                self.order_closes_days_before.data,
                self.order_closes_time.data,
            ),
            skip_public_holidays=bool(self.skip_public_holidays.data),
        )

    def show_error(self, error: DomainError) -> None:
        if error.field == "rrule" and self.pattern.data != "advanced":
            # A rule built from simple choices that gives no date: the end date is to blame.
            field = "until" if self.until.data else "starts_on"
            error = DomainError(error.message, field=field)
        elif error.field == "kind":
            error = DomainError(error.message, field="pattern")
        show_service_error(self, error, "pattern")


class ExceptionForm(BaseForm):
    occurrence_date = DateField(_l("Date de la distribution concernée"), validators=[required()])
    kind = RadioField(
        _l("Que faire de cette distribution ?"),
        choices=[
            SelectChoice(ExceptionKind.CANCELLED.value, _l("L'annuler")),
            SelectChoice(
                ExceptionKind.MOVED.value, _l("La déplacer (autre date et/ou autres horaires)")
            ),
        ],
        default=ExceptionKind.CANCELLED.value,
        validators=[InputRequired(_l("Choisissez : annuler ou déplacer."))],
    )
    moved_to = DateField(_l("Nouvelle date"), validators=[Optional()])
    start_time = TimeField(_l("Nouvelle heure de début (facultatif)"), validators=[Optional()])
    end_time = TimeField(_l("Nouvelle heure de fin (facultatif)"), validators=[Optional()])
    reason = StringField(
        _l("Raison (par exemple : Jour férié)"), validators=[Optional(), too_long(200)]
    )
