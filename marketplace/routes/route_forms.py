"""Forms of the grocery staff's van, depot, route, stop and exception screens."""

from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from marketplace.delivery.recurrence_form import RecurrenceFields
from marketplace.errors import DomainError
from marketplace.forms import (
    BaseForm,
    DecimalCommaField,
    int_or_none,
    required,
    show_service_error,
    too_long,
)
from marketplace.routes.models import Depot, Route, RouteExceptionKind, Van
from marketplace.routes.routes import ExceptionData, RouteData, StopData, StopTime
from marketplace.routes.vans import DepotData, VanData

NOT_A_NUMBER = _l("Indiquez un nombre, par exemple 45,7640.")


def _latitude() -> DecimalCommaField:
    return DecimalCommaField(
        _l("Latitude"),
        invalid_message=NOT_A_NUMBER,
        validators=[
            InputRequired(_l("Indiquez la latitude : le calcul des trajets en a besoin.")),
            NumberRange(-90, 90, _l("La latitude doit être comprise entre -90 et 90.")),
        ],
    )


def _longitude() -> DecimalCommaField:
    return DecimalCommaField(
        _l("Longitude"),
        invalid_message=NOT_A_NUMBER,
        validators=[
            InputRequired(_l("Indiquez la longitude : le calcul des trajets en a besoin.")),
            NumberRange(-180, 180, _l("La longitude doit être comprise entre -180 et 180.")),
        ],
    )


class VanForm(BaseForm):
    name = StringField(_l("Nom du camion"), validators=[required(), too_long(80)])
    capacity_crates = IntegerField(
        _l("Capacité (caisses)"),
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(min=1, message=_l("Au moins 1 caisse.")),
        ],
    )
    capacity_kg = IntegerField(
        _l("Charge utile (kg, facultatif)"),
        validators=[Optional(), NumberRange(min=1, message=_l("Au moins 1 kg."))],
    )
    active = BooleanField(_l("En service"), default=True)

    def to_data(self) -> VanData:
        return VanData(
            self.name.data or "", self.capacity_crates.data, self.capacity_kg.data, self.active.data
        )


class DepotForm(BaseForm):
    name = StringField(_l("Nom du dépôt"), validators=[required(), too_long(120)])
    address = StringField(_l("Adresse"), validators=[Optional(), too_long(200)])
    latitude = _latitude()
    longitude = _longitude()

    def to_data(self) -> DepotData:
        return DepotData(
            self.name.data or "", self.address.data or "", self.latitude.data, self.longitude.data
        )


class RouteForm(RecurrenceFields, BaseForm):
    name = StringField(_l("Nom de la tournée"), validators=[required(), too_long(120)])
    # validate_choice=False: the service checks the ids sent back, which could be tampered with.
    van_id = SelectField(_l("Camion"), coerce=int_or_none, validate_choice=False)
    depot_id = SelectField(
        _l("Dépôt (départ et retour)"), coerce=int_or_none, validate_choice=False
    )
    departs_at = TimeField(_l("Départ du dépôt (heure de Paris)"), validators=[required()])
    valid_from = DateField(_l("Valable à partir du"), validators=[required()])
    valid_until = DateField(_l("Jusqu'au (facultatif)"), validators=[Optional()])
    pattern = RadioField(
        _l("Rythme"),
        choices=[
            SelectChoice("weekly", _l("Chaque semaine, ou toutes les N semaines")),
            SelectChoice("monthly", _l("Un jour précis du mois (par exemple le 2e lundi)")),
            SelectChoice("advanced", _l("Avancé : règle RRULE")),
        ],
        default="weekly",
        validators=[InputRequired(_l("Choisissez un rythme."))],
    )
    active = BooleanField(_l("Tournée active"), default=True)

    def __init__(self, vans: list[Van], depots: list[Depot], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.van_id.choices = [SelectChoice("", _l("— Choisir un camion —"))] + [
            SelectChoice(
                van.id,
                van.name if van.active else _l("%(name)s (hors service)", name=van.name),
            )
            for van in vans
        ]
        self.depot_id.choices = [SelectChoice("", _l("— Choisir un dépôt —"))] + [
            SelectChoice(depot.id, depot.name) for depot in depots
        ]
        self.set_recurrence_choices()

    @staticmethod
    def initial(route: Route | None, today) -> dict:
        if route is None:
            return {"valid_from": today, "departs_at": time(8, 30), "weekdays": ["TU"]}
        values = {
            name: getattr(route, name)
            for name in ("name", "van_id", "depot_id", "departs_at", "valid_from", "valid_until")
        } | {"active": route.active}
        return values | RecurrenceFields.recurrence_values(route.rrule, with_until=False)

    def to_data(self) -> RouteData:
        """The submitted route; RecurrenceError if the simple choices make no rule."""
        return RouteData(
            name=self.name.data or "",
            van_id=self.van_id.data,
            depot_id=self.depot_id.data,
            rrule=self.chosen_rule(self.valid_from.data),
            valid_from=self.valid_from.data,
            valid_until=self.valid_until.data,
            departs_at=self.departs_at.data,
            active=self.active.data,
        )

    def show_error(self, error: DomainError) -> None:
        simple_rule = error.field == "rrule" and self.pattern.data != "advanced"
        if simple_rule or error.field == "kind":
            error = DomainError(error.message, field="pattern")
        show_service_error(self, error, "name")


class StopForm(BaseForm):
    village = StringField(_l("Village"), validators=[required(), too_long(120)])
    place = StringField(_l("Lieu de l'arrêt"), validators=[Optional(), too_long(200)])
    latitude = _latitude()
    longitude = _longitude()
    service_minutes = IntegerField(
        _l("Durée de l'arrêt (minutes)"),
        default=30,
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(1, 480, _l("Entre 1 et 480 minutes.")),
        ],
    )
    window_opens = TimeField(_l("Créneau souhaité : à partir de"), validators=[Optional()])
    window_closes = TimeField(_l("jusqu'à"), validators=[Optional()])
    arrives_at = TimeField(_l("Arrivée"), validators=[required()])
    departs_at = TimeField(_l("Départ"), validators=[required()])

    def to_data(self) -> StopData:
        return StopData(
            village=self.village.data or "",
            place=self.place.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            service_minutes=self.service_minutes.data,
            window_opens=self.window_opens.data,
            window_closes=self.window_closes.data,
            arrives_at=self.arrives_at.data,
            departs_at=self.departs_at.data,
        )


class StopTimeForm(BaseForm):
    """One line of the order-and-times screen (a sub-form: no CSRF token of its own)."""

    class Meta:
        csrf = False

    stop_id = HiddenField()
    position = IntegerField(
        _l("Ordre"),
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(1, 500, _l("Un numéro d'ordre à partir de 1.")),
        ],
    )
    arrives_at = TimeField(_l("Arrivée"), validators=[required()])
    departs_at = TimeField(_l("Départ"), validators=[required()])


class TimetableForm(BaseForm):
    stops = FieldList(FormField(StopTimeForm))

    def visits(self) -> list[StopTime]:
        """The stops sorted by the order typed (ties keep the current order)."""
        lines = sorted(enumerate(self.stops), key=lambda item: (item[1].position.data, item[0]))
        return [
            StopTime(
                int_or_none(line.stop_id.data) or 0, line.arrives_at.data, line.departs_at.data
            )
            for _index, line in lines
        ]


class ExceptionForm(BaseForm):
    occurrence_date = DateField(_l("Date de la tournée concernée"), validators=[required()])
    kind = RadioField(
        _l("Que faire de cette tournée ?"),
        choices=[
            SelectChoice(RouteExceptionKind.CANCELLED.value, _l("L'annuler")),
            SelectChoice(RouteExceptionKind.MOVED.value, _l("La déplacer à une autre date")),
        ],
        default=RouteExceptionKind.CANCELLED.value,
        validators=[InputRequired(_l("Choisissez : annuler ou déplacer."))],
    )
    moved_to = DateField(_l("Nouvelle date"), validators=[Optional()])
    reason = StringField(
        _l("Raison (par exemple : jour férié, panne)"), validators=[Optional(), too_long(200)]
    )

    def to_data(self) -> ExceptionData:
        return ExceptionData(
            self.occurrence_date.data, self.kind.data, self.moved_to.data, self.reason.data or ""
        )
