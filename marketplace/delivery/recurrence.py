"""Calendar rules as pure functions: RRULE text in, dated occurrences and UTC instants out.

Nothing here touches the database. A rule is an RFC 5545 RRULE without DTSTART: the first
date (`starts_on`) is kept apart, and the hours come from the schedule, so a rule only says
which *days* a distribution happens. Exceptions are any objects with the attributes of
`ExceptionLike` (the `ScheduleException` model fits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from dateutil.rrule import rrule, rrulestr
from flask_babel import gettext as _

from marketplace.bounds import DATE_MAX, DATE_MIN
from marketplace.errors import DomainError

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MONTH_POSITIONS = (1, 2, 3, 4, -1)  # -1: the last one of the month
MAX_RULE_LENGTH = 500  # the distribution_schedules.rrule column
MAX_INTERVAL = 52
MAX_COUNT = 1000

# Parts a coordinator may write. BYHOUR and the like are refused: hours live in the schedule.
_ALLOWED_PARTS = frozenset(
    {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY", "BYYEARDAY"}
    | {"BYWEEKNO", "BYMONTH", "BYSETPOS"}
)
_TIME_PARTS = frozenset({"BYHOUR", "BYMINUTE", "BYSECOND"})
_DAY_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
_FINER_FREQUENCIES = ("HOURLY", "MINUTELY", "SECONDLY")
_UNTIL = re.compile(r"^(\d{8})(T\d{6}Z?)?$")
_POSITIONED_DAY = re.compile(r"^([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)$")
# The Gregorian calendar repeats itself (weekdays and leap years) every 400 years.
_CYCLE_YEARS = 400
# A rule without any date in a century has none a calendar could use.
_SEARCH_YEARS = 100


class RecurrenceError(DomainError):
    """A rule or its hours cannot make a calendar; `field` names the faulty input."""


def _day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- Parsing and validating a rule --------------------------------------------------------


def _split(text: str) -> list[tuple[str, str]]:
    parts = []
    for chunk in text.split(";"):
        name, sep, value = chunk.partition("=")
        if not sep or not name or not value:
            raise RecurrenceError(_invalid_syntax(), field="rrule")
        parts.append((name, value))
    return parts


def _invalid_syntax() -> str:
    return _(
        "Cette règle n'est pas valide. Exemple : FREQ=WEEKLY;BYDAY=TU pour chaque mardi, "
        "FREQ=MONTHLY;BYDAY=1SA pour le premier samedi du mois."
    )


def normalise_rule(text: str) -> str:
    """The rule in capitals, without spaces nor an `RRULE:` prefix, its UNTIL as a date.

    Refuses (RecurrenceError) what a distribution calendar cannot use: a DTSTART, several
    lines, times of day, a frequency finer than a day.
    """
    cleaned = re.sub(r"[ \t]+", "", (text or "").strip()).upper()
    if not cleaned:
        raise RecurrenceError(_("Indiquez une règle de récurrence."), field="rrule")
    if "DTSTART" in cleaned:
        raise RecurrenceError(
            _(
                "N'écrivez pas de DTSTART dans la règle : la première date se choisit dans le "
                "champ « Première distribution »."
            ),
            field="rrule",
        )
    if cleaned.startswith("RRULE:"):
        cleaned = cleaned[len("RRULE:") :]
    if "\n" in cleaned or "\r" in cleaned or ":" in cleaned:
        raise RecurrenceError(
            _("Écrivez une seule règle, sur une ligne (sans RDATE ni EXDATE)."), field="rrule"
        )
    if len(cleaned) > MAX_RULE_LENGTH:
        raise RecurrenceError(
            _("La règle est trop longue (%(max)d caractères au plus).", max=MAX_RULE_LENGTH),
            field="rrule",
        )
    parts = _split(cleaned)
    names = [name for name, _value in parts]
    if len(set(names)) != len(names):
        raise RecurrenceError(
            _("Chaque élément de la règle ne doit paraître qu'une fois."), "rrule"
        )
    values = dict(parts)
    _check_parts(values)
    if "UNTIL" in values:
        values["UNTIL"] = _UNTIL.match(values["UNTIL"]).group(1)  # type: ignore[union-attr]
    ordered = ["FREQ", *(name for name in names if name != "FREQ")]
    return ";".join(f"{name}={values[name]}" for name in ordered)


def _check_parts(values: dict[str, str]) -> None:
    for name in values:
        if name in _TIME_PARTS:
            raise RecurrenceError(
                _("Les heures se règlent dans les champs d'horaires, pas dans la règle."),
                field="rrule",
            )
        if name not in _ALLOWED_PARTS:
            raise RecurrenceError(
                _("Élément inconnu dans la règle : %(name)s.", name=name), field="rrule"
            )
    frequency = values.get("FREQ")
    if frequency in _FINER_FREQUENCIES:
        raise RecurrenceError(
            _(
                "Une distribution revient au plus une fois par jour : choisissez une fréquence "
                "quotidienne (DAILY), hebdomadaire (WEEKLY), mensuelle (MONTHLY) ou annuelle "
                "(YEARLY)."
            ),
            field="rrule",
        )
    if frequency not in _DAY_FREQUENCIES:
        raise RecurrenceError(
            _("La règle doit indiquer une fréquence, par exemple FREQ=WEEKLY."), field="rrule"
        )
    if "BYSETPOS" in values and frequency == "DAILY":
        raise RecurrenceError(
            _("BYSETPOS ne s'emploie pas avec FREQ=DAILY (chaque période n'a qu'un jour)."),
            field="rrule",
        )
    if "UNTIL" in values and not _UNTIL.match(values["UNTIL"]):
        raise RecurrenceError(
            _("La date de fin (UNTIL) s'écrit AAAAMMJJ, par exemple 20261231."), field="rrule"
        )
    if "UNTIL" in values and "COUNT" in values:
        raise RecurrenceError(
            _("Indiquez soit un nombre de dates (COUNT), soit une date de fin (UNTIL)."),
            field="rrule",
        )
    for name, largest in (("INTERVAL", 366), ("COUNT", MAX_COUNT)):
        value = values.get(name)
        if value is not None and not (value.isdigit() and 1 <= int(value) <= largest):
            raise RecurrenceError(
                _(
                    "%(name)s doit être un nombre entier entre 1 et %(max)d.",
                    name=name,
                    max=largest,
                ),
                field="rrule",
            )


def _rule(text: str, starts_on: date) -> rrule:
    return rrulestr(text, dtstart=datetime.combine(starts_on, time()))  # type: ignore[return-value]


def _search_rule(text: str, starts_on: date) -> str:
    """A rule with the same dates as `text`, quicker to search when it has none.

    With INTERVAL=1 and no BYSETPOS, a daily or weekly rule gives every day that passes its
    BY... filters, as the yearly rule with the same filters does; walking years instead of
    days makes a fruitless search 365 times shorter.
    """
    values = dict(_split(text))
    if values["FREQ"] not in ("DAILY", "WEEKLY") or values.get("INTERVAL", "1") != "1":
        return text
    if "BYSETPOS" in values:
        return text
    day_filters = {"BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY"}
    if "BYDAY" in values:  # below a month, "2MO" means any Monday
        values["BYDAY"] = ",".join(
            re.sub(r"^[+-]?\d+", "", day) for day in values["BYDAY"].split(",")
        )
    elif values["FREQ"] == "WEEKLY" and not day_filters & values.keys():
        values["BYDAY"] = WEEKDAYS[starts_on.weekday()]  # what a weekly rule defaults to
    if not day_filters & values.keys():
        return text  # a daily rule limited at most by month: its first date comes at once
    values["FREQ"] = "YEARLY"
    return ";".join(f"{name}={value}" for name, value in values.items())


def _has_a_date(text: str, starts_on: date) -> bool:
    """Whether the rule gives at least one date.

    dateutil walks period after period up to the year 9999 looking for a date that never
    comes (e.g. 31 February), which takes seconds. The same rule moved a whole number of
    400-year cycles later, a century or more before the year 9999, gives the same dates and
    ends sooner.
    """
    shift = (date.max.year - _SEARCH_YEARS - starts_on.year) // _CYCLE_YEARS * _CYCLE_YEARS
    values = dict(_split(_search_rule(text, starts_on)))
    if "UNTIL" in values:
        until_year = int(values["UNTIL"][:4]) + shift
        if until_year < 1:
            return False  # an end long before the first date
        if until_year > date.max.year:
            del values["UNTIL"]  # an end far beyond what can be searched
        else:
            values["UNTIL"] = f"{until_year:04d}{values['UNTIL'][4:]}"
    shifted = ";".join(f"{name}={value}" for name, value in values.items())
    shifted_start = starts_on.replace(year=starts_on.year + shift)
    first = _rule(shifted, shifted_start).after(datetime.combine(shifted_start, time()), inc=True)
    return first is not None


def validate_rule(text: str, starts_on: date) -> str:
    """The normalised rule, or RecurrenceError with a French message (field "rrule")."""
    normalised = normalise_rule(text)
    if not DATE_MIN <= starts_on <= DATE_MAX:
        raise RecurrenceError(
            _(
                "La première date doit être entre %(first)s et %(last)s.",
                first=_day_text(DATE_MIN),
                last=_day_text(DATE_MAX),
            ),
            field="rrule",
        )
    try:
        _rule(normalised, starts_on)  # dateutil's own checks, with the real first date
        found = _has_a_date(normalised, starts_on)
    except (ValueError, OverflowError) as error:
        raise RecurrenceError(_invalid_syntax(), field="rrule") from error
    if not found:
        raise RecurrenceError(
            _(
                "Cette règle ne donne aucune date à partir du %(day)s : vérifiez les jours "
                "choisis et la date de fin.",
                day=_day_text(starts_on),
            ),
            field="rrule",
        )
    return normalised


# --- Simple choices, so nobody has to write RRULE text -------------------------------------


@dataclass(frozen=True)
class SimpleRecurrence:
    """Simple choices: every Tuesday, every other Thursday, the 1st Saturday of the month..."""

    kind: Literal["weekly", "monthly"]
    weekdays: tuple[str, ...] = ()  # weekly: one or more of WEEKDAYS
    interval: int = 1  # weekly: every `interval` weeks
    position: int = 1  # monthly: one of MONTH_POSITIONS
    weekday: str = "MO"  # monthly
    until: date | None = None


def build_rule(choice: SimpleRecurrence, starts_on: date) -> str:
    """The RRULE text of simple choices; RecurrenceError names the faulty choice."""
    if choice.until is not None and choice.until < starts_on:
        raise RecurrenceError(
            _("La dernière distribution doit être après la première."), field="until"
        )
    if choice.kind == "weekly":
        days = [day for day in WEEKDAYS if day in choice.weekdays]
        if not days or len(days) != len(set(choice.weekdays)):
            raise RecurrenceError(_("Choisissez au moins un jour de la semaine."), "weekdays")
        if not 1 <= choice.interval <= MAX_INTERVAL:
            raise RecurrenceError(
                _("Choisissez un rythme entre 1 et %(max)d semaines.", max=MAX_INTERVAL),
                field="interval",
            )
        parts = ["FREQ=WEEKLY"]
        if choice.interval > 1:
            parts.append(f"INTERVAL={choice.interval}")
        parts.append("BYDAY=" + ",".join(days))
    elif choice.kind == "monthly":
        if choice.position not in MONTH_POSITIONS:
            raise RecurrenceError(_("Choisissez la semaine du mois."), field="position")
        if choice.weekday not in WEEKDAYS:
            raise RecurrenceError(_("Choisissez un jour de la semaine."), field="weekday")
        parts = ["FREQ=MONTHLY", f"BYDAY={choice.position}{choice.weekday}"]
    else:
        raise RecurrenceError(_("Choisissez un rythme de distribution."), field="kind")
    if choice.until is not None:
        parts.append(f"UNTIL={choice.until:%Y%m%d}")
    return ";".join(parts)


def simple_recurrence(text: str) -> SimpleRecurrence | None:
    """The simple choices a rule was built from, or None if it needs the advanced input."""
    try:
        values = dict(_split(normalise_rule(text)))
    except RecurrenceError:
        return None
    until = None
    if "UNTIL" in values:
        until = datetime.strptime(values.pop("UNTIL"), "%Y%m%d").date()
    frequency, byday = values.pop("FREQ"), values.pop("BYDAY", "")
    interval = values.pop("INTERVAL", "1")
    if values or not interval.isdigit():
        return None
    if frequency == "WEEKLY" and byday:
        days = tuple(byday.split(","))
        if all(day in WEEKDAYS for day in days) and 1 <= int(interval) <= MAX_INTERVAL:
            return SimpleRecurrence("weekly", weekdays=days, interval=int(interval), until=until)
    match = _POSITIONED_DAY.match(byday)
    if frequency == "MONTHLY" and interval == "1" and match:
        position = int(match.group(1))
        if position in MONTH_POSITIONS:
            return SimpleRecurrence(
                "monthly", position=position, weekday=match.group(2), until=until
            )
    return None


def weekday_names() -> dict[str, str]:
    return {
        "MO": _("lundi"),
        "TU": _("mardi"),
        "WE": _("mercredi"),
        "TH": _("jeudi"),
        "FR": _("vendredi"),
        "SA": _("samedi"),
        "SU": _("dimanche"),
    }


def position_names() -> dict[int, str]:
    return {1: _("1er"), 2: _("2e"), 3: _("3e"), 4: _("4e"), -1: _("dernier")}


def describe(text: str) -> str | None:
    """A sentence for people ("Chaque mardi"), or None for an advanced rule."""
    choice = simple_recurrence(text)
    if choice is None:
        return None
    names = weekday_names()
    if choice.kind == "weekly":
        days = _(" et ").join(names[day] for day in choice.weekdays)
        if choice.interval == 1:
            sentence = _("Chaque %(days)s", days=days)
        else:
            sentence = _("Toutes les %(n)d semaines, le %(days)s", n=choice.interval, days=days)
    else:
        sentence = _(
            "Le %(position)s %(day)s du mois",
            position=position_names()[choice.position],
            day=names[choice.weekday],
        )
    if choice.until is not None:
        sentence = _("%(rule)s, jusqu'au %(day)s", rule=sentence, day=_day_text(choice.until))
    return sentence


# --- Occurrences -----------------------------------------------------------------------------


def occurrences_between(text: str, starts_on: date, first: date, last: date) -> list[date]:
    """The dates the rule gives from `first` to `last` included (the rule must be valid).

    Only dates of the shared window (2000-2100) are searched: dateutil would walk every
    period up to a far date (seconds for the year 9998) and overflow past the year 9999."""
    first, last = max(first, starts_on, DATE_MIN), min(last, DATE_MAX)
    if last < first:
        return []
    found = _rule(text, starts_on).between(
        datetime.combine(first, time()), datetime.combine(last, time()), inc=True
    )
    return [moment.date() for moment in found]


def is_occurrence(text: str, starts_on: date, day: date) -> bool:
    return bool(occurrences_between(text, starts_on, day, day))


def next_occurrence_dates(text: str, starts_on: date, from_day: date, count: int) -> list[date]:
    """The next `count` dates from `from_day`, within the shared window (2000-2100)."""
    if max(from_day, starts_on) > DATE_MAX:
        return []
    last = datetime.combine(DATE_MAX, time())
    found = []
    for moment in _rule(text, starts_on).xafter(datetime.combine(from_day, time()), inc=True):
        if moment > last or len(found) == count:
            break
        found.append(moment.date())
    return found


# --- Hours, order window and UTC instants ----------------------------------------------------
