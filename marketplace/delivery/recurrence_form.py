"""The rhythm picker shared by pickup calendars and the mobile grocery's rounds: every N weeks
on some days, one day of the month, or an RRULE typed by hand."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from marketplace.delivery import recurrence
from marketplace.delivery.recurrence import SimpleRecurrence
from marketplace.forms import CheckboxesField, int_or_none, too_long


class RecurrenceFields:
    """Fields and helpers mixed into a FlaskForm; the form declares its own `pattern` radio
    (weekly / monthly / advanced) with the wording of its screen."""

    weekdays = CheckboxesField(_l("Jours de la semaine"))
    interval = IntegerField(
        _l("Toutes les … semaines"),
        default=1,
        validators=[
            Optional(),
            NumberRange(1, recurrence.MAX_INTERVAL, _l("Entre 1 et %(max)d semaines.")),
        ],
    )
    position = SelectField(_l("Semaine du mois"), coerce=int_or_none, validate_choice=False)
    weekday = SelectField(_l("Jour"), validate_choice=False)
    rrule = StringField(
        _l("Règle RRULE"), validators=[Optional(), too_long(recurrence.MAX_RULE_LENGTH)]
    )

    def set_recurrence_choices(self) -> None:
        names = recurrence.weekday_names()
        self.weekdays.choices = [SelectChoice(code, names[code]) for code in recurrence.WEEKDAYS]
        self.weekday.choices = [SelectChoice(code, names[code]) for code in recurrence.WEEKDAYS]
        self.position.choices = [
            SelectChoice(position, name) for position, name in recurrence.position_names().items()
        ]

    @staticmethod
    def recurrence_values(rule: str, *, with_until: bool) -> dict:
        """The picker's initial values for a stored rule: its simple choices when it has some,
        else the rule itself under "advanced". Without an `until` field on the form, a rule
        that ends is shown as typed, so its end is not lost."""
        values: dict = {"rrule": rule, "pattern": "advanced"}
        simple = recurrence.simple_recurrence(rule)
        if simple is None or (simple.until is not None and not with_until):
            return values
        values["pattern"] = simple.kind
        if with_until:
            values["until"] = simple.until
        if simple.kind == "weekly":
            values |= {"weekdays": list(simple.weekdays), "interval": simple.interval}
        else:
            values |= {"position": simple.position, "weekday": simple.weekday}
        return values

    def chosen_rule(self, starts_on: date | None, until: date | None = None) -> str:
        """The RRULE text of the submitted choices (RecurrenceError if they make no rule)."""
        if self.pattern.data == "advanced":
            return self.rrule.data or ""
        choice = SimpleRecurrence(
            kind=self.pattern.data,
            weekdays=tuple(self.weekdays.data or ()),
            interval=self.interval.data or 1,
            position=self.position.data if self.position.data is not None else 0,
            weekday=self.weekday.data or "",
            until=until,
        )
        return recurrence.build_rule(choice, starts_on)
