"""Calendar rules as pure functions: RRULE text in, dated occurrences and UTC instants out.

Nothing here touches the database. A rule is an RFC 5545 RRULE without DTSTART: the first
date (`starts_on`) is kept apart, and the hours come from the schedule, so a rule only says
which *days* a distribution happens. Exceptions are any objects with the attributes of
`ExceptionLike` (the `ScheduleException` model fits).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol

from dateutil.rrule import rrule, rrulestr
from flask_babel import gettext as _

from marketplace.errors import DomainError
from marketplace.timezones import local_instant

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


class InvalidRecurrence(DomainError):
    """A rule or its hours cannot make a calendar; `field` names the faulty input."""


def _day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- Parsing and validating a rule --------------------------------------------------------


def _split(text: str) -> list[tuple[str, str]]:
    parts = []
    for chunk in text.split(";"):
        name, sep, value = chunk.partition("=")
        if not sep or not name or not value:
            raise InvalidRecurrence(_invalid_syntax(), field="rrule")
        parts.append((name, value))
    return parts


def _invalid_syntax() -> str:
    return _(
        "Cette règle n'est pas valide. Exemple : FREQ=WEEKLY;BYDAY=TU pour chaque mardi, "
        "FREQ=MONTHLY;BYDAY=1SA pour le premier samedi du mois."
    )


def normalise_rule(text: str) -> str:
    """The rule in capitals, without spaces nor an `RRULE:` prefix, its UNTIL as a date.

    Refuses (InvalidRecurrence) what a distribution calendar cannot use: a DTSTART, several
    lines, times of day, a frequency finer than a day.
    """
    cleaned = re.sub(r"[ \t]+", "", (text or "").strip()).upper()
    if not cleaned:
        raise InvalidRecurrence(_("Indiquez une règle de récurrence."), field="rrule")
    if "DTSTART" in cleaned:
        raise InvalidRecurrence(
            _(
                "N'écrivez pas de DTSTART dans la règle : la première date se choisit dans le "
                "champ « Première distribution »."
            ),
            field="rrule",
        )
    if cleaned.startswith("RRULE:"):
        cleaned = cleaned[len("RRULE:") :]
    if "\n" in cleaned or "\r" in cleaned or ":" in cleaned:
        raise InvalidRecurrence(
            _("Écrivez une seule règle, sur une ligne (sans RDATE ni EXDATE)."), field="rrule"
        )
    if len(cleaned) > MAX_RULE_LENGTH:
        raise InvalidRecurrence(
            _("La règle est trop longue (%(max)d caractères au plus).", max=MAX_RULE_LENGTH),
            field="rrule",
        )
    parts = _split(cleaned)
    names = [name for name, _value in parts]
    if len(set(names)) != len(names):
        raise InvalidRecurrence(_("Chaque élément de la règle ne doit paraître qu'une fois."), "rrule")
    values = dict(parts)
    _check_parts(values)
    if "UNTIL" in values:
        values["UNTIL"] = _UNTIL.match(values["UNTIL"]).group(1)  # type: ignore[union-attr]
    ordered = ["FREQ", *(name for name in names if name != "FREQ")]
    return ";".join(f"{name}={values[name]}" for name in ordered)


def _check_parts(values: dict[str, str]) -> None:
    for name in values:
        if name in _TIME_PARTS:
            raise InvalidRecurrence(
                _("Les heures se règlent dans les champs d'horaires, pas dans la règle."),
                field="rrule",
            )
        if name not in _ALLOWED_PARTS:
            raise InvalidRecurrence(
                _("Élément inconnu dans la règle : %(name)s.", name=name), field="rrule"
            )
    frequency = values.get("FREQ")
    if frequency in _FINER_FREQUENCIES:
        raise InvalidRecurrence(
            _(
                "Une distribution revient au plus une fois par jour : choisissez une fréquence "
                "quotidienne (DAILY), hebdomadaire (WEEKLY), mensuelle (MONTHLY) ou annuelle "
                "(YEARLY)."
            ),
            field="rrule",
        )
    if frequency not in _DAY_FREQUENCIES:
        raise InvalidRecurrence(
            _("La règle doit indiquer une fréquence, par exemple FREQ=WEEKLY."), field="rrule"
        )
    if "UNTIL" in values and not _UNTIL.match(values["UNTIL"]):
        raise InvalidRecurrence(
            _("La date de fin (UNTIL) s'écrit AAAAMMJJ, par exemple 20261231."), field="rrule"
        )
    if "UNTIL" in values and "COUNT" in values:
        raise InvalidRecurrence(
            _("Indiquez soit un nombre de dates (COUNT), soit une date de fin (UNTIL)."),
            field="rrule",
        )
    for name, largest in (("INTERVAL", 366), ("COUNT", MAX_COUNT)):
        value = values.get(name)
        if value is not None and not (value.isdigit() and 1 <= int(value) <= largest):
            raise InvalidRecurrence(
                _(
                    "%(name)s doit être un nombre entier entre 1 et %(max)d.",
                    name=name,
                    max=largest,
                ),
                field="rrule",
            )


def _rule(text: str, starts_on: date) -> rrule:
    return rrulestr(text, dtstart=datetime.combine(starts_on, time()))  # type: ignore[return-value]


def _first_date(text: str, starts_on: date) -> date | None:
    """The rule's first date, or None if it has none.

    dateutil walks period after period up to the year 9999 looking for a date that never
    comes (e.g. 31 February), which takes seconds. The same rule moved a whole number of
    400-year cycles later, next to the year 9999, gives the same dates and ends quickly.
    """
    shift = (date.max.year - _CYCLE_YEARS - starts_on.year) // _CYCLE_YEARS * _CYCLE_YEARS
    shifted = re.sub(
        r"UNTIL=(\d{4})(\d{4})", lambda m: f"UNTIL={int(m.group(1)) + shift:04d}{m.group(2)}", text
    )
    found = _rule(shifted, starts_on.replace(year=starts_on.year + shift)).after(
        datetime.combine(starts_on.replace(year=starts_on.year + shift), time()), inc=True
    )
    if found is None:
        return None
    return found.date().replace(year=found.year - shift)


def validate_rule(text: str, starts_on: date) -> str:
    """The normalised rule, or InvalidRecurrence with a French message (field "rrule")."""
    normalised = normalise_rule(text)
    try:
        first = _first_date(normalised, starts_on)
    except (ValueError, OverflowError) as error:
        raise InvalidRecurrence(_invalid_syntax(), field="rrule") from error
    if first is None:
        raise InvalidRecurrence(
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
    """"Every Tuesday", "every other Thursday", "the 1st Saturday of the month"..."""

    kind: Literal["weekly", "monthly"]
    weekdays: tuple[str, ...] = ()  # weekly: one or more of WEEKDAYS
    interval: int = 1  # weekly: every `interval` weeks
    position: int = 1  # monthly: one of MONTH_POSITIONS
    weekday: str = "MO"  # monthly
    until: date | None = None


def build_rule(choice: SimpleRecurrence, starts_on: date) -> str:
    """The RRULE text of simple choices; InvalidRecurrence names the faulty choice."""
    if choice.until is not None and choice.until < starts_on:
        raise InvalidRecurrence(
            _("La dernière distribution doit être après la première."), field="until"
        )
    if choice.kind == "weekly":
        days = [day for day in WEEKDAYS if day in choice.weekdays]
        if not days or len(days) != len(set(choice.weekdays)):
            raise InvalidRecurrence(_("Choisissez au moins un jour de la semaine."), "weekdays")
        if not 1 <= choice.interval <= MAX_INTERVAL:
            raise InvalidRecurrence(
                _("Choisissez un rythme entre 1 et %(max)d semaines.", max=MAX_INTERVAL),
                field="interval",
            )
        parts = ["FREQ=WEEKLY"]
        if choice.interval > 1:
            parts.append(f"INTERVAL={choice.interval}")
        parts.append("BYDAY=" + ",".join(days))
    elif choice.kind == "monthly":
        if choice.position not in MONTH_POSITIONS:
            raise InvalidRecurrence(_("Choisissez la semaine du mois."), field="position")
        if choice.weekday not in WEEKDAYS:
            raise InvalidRecurrence(_("Choisissez un jour de la semaine."), field="weekday")
        parts = ["FREQ=MONTHLY", f"BYDAY={choice.position}{choice.weekday}"]
    else:
        raise InvalidRecurrence(_("Choisissez un rythme de distribution."), field="kind")
    if choice.until is not None:
        parts.append(f"UNTIL={choice.until:%Y%m%d}")
    return ";".join(parts)


def simple_recurrence(text: str) -> SimpleRecurrence | None:
    """The simple choices a rule was built from, or None if it needs the advanced input."""
    try:
        values = dict(_split(normalise_rule(text)))
    except InvalidRecurrence:
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
            return SimpleRecurrence("monthly", position=position, weekday=match.group(2), until=until)
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
    """The dates the rule gives from `first` to `last` included (the rule must be valid)."""
    if last < first:
        return []
    found = _rule(text, starts_on).between(
        datetime.combine(first, time()), datetime.combine(last, time()), inc=True
    )
    return [moment.date() for moment in found]


def is_occurrence(text: str, starts_on: date, day: date) -> bool:
    return bool(occurrences_between(text, starts_on, day, day))


def next_occurrence_dates(text: str, starts_on: date, from_day: date, count: int) -> list[date]:
    moments = _rule(text, starts_on).xafter(datetime.combine(from_day, time()), count, inc=True)
    return [moment.date() for moment in moments]


# --- Hours, order window and UTC instants ----------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Paris wall-clock hours of a distribution and of its order window."""

    start_time: time
    end_time: time
    order_opens_days_before: int
    order_opens_time: time
    order_closes_days_before: int
    order_closes_time: time

    @classmethod
    def of(cls, schedule) -> Timing:
        """The timing of a DistributionSchedule (or any object with the same attributes)."""
        return cls(
            schedule.start_time,
            schedule.end_time,
            schedule.order_opens_days_before,
            schedule.order_opens_time,
            schedule.order_closes_days_before,
            schedule.order_closes_time,
        )


MAX_DAYS_BEFORE = 60


def validate_timing(timing: Timing) -> None:
    """The checks of the database constraints, in words; `field` names the input to fix."""
    if timing.end_time <= timing.start_time:
        raise InvalidRecurrence(
            _("L'heure de fin doit être après l'heure de début."), field="end_time"
        )
    for name in ("order_opens_days_before", "order_closes_days_before"):
        if not 0 <= getattr(timing, name) <= MAX_DAYS_BEFORE:
            raise InvalidRecurrence(
                _("Indiquez un nombre de jours entre 0 et %(max)d.", max=MAX_DAYS_BEFORE), name
            )
    opens = (-timing.order_opens_days_before, timing.order_opens_time)
    closes = (-timing.order_closes_days_before, timing.order_closes_time)
    if opens >= closes:
        raise InvalidRecurrence(
            _("Les commandes doivent ouvrir avant de fermer."), field="order_opens_days_before"
        )
    if timing.order_closes_days_before == 0 and timing.order_closes_time > timing.start_time:
        raise InvalidRecurrence(
            _("Les commandes doivent fermer au plus tard au début de la distribution."),
            field="order_closes_time",
        )


@dataclass(frozen=True)
class Instants:
    starts_at: datetime
    ends_at: datetime
    order_opens_at: datetime
    order_closes_at: datetime


def instants_on(day: date, timing: Timing) -> Instants:
    """The UTC instants of a distribution on `day` (Paris hours, DST-aware)."""
    starts_at = local_instant(day, timing.start_time)
    ends_at = local_instant(day, timing.end_time)
    opens_day = day - timedelta(days=timing.order_opens_days_before)
    closes_day = day - timedelta(days=timing.order_closes_days_before)
    opens_at = local_instant(opens_day, timing.order_opens_time)
    closes_at = local_instant(closes_day, timing.order_closes_time)
    # A wall-clock time inside the spring DST gap (02:00-03:00) can squeeze an interval to
    # nothing; keep the order the database requires rather than fail the whole calendar.
    ends_at = max(ends_at, starts_at + timedelta(minutes=1))
    closes_at = min(closes_at, starts_at)
    opens_at = min(opens_at, closes_at - timedelta(minutes=1))
    return Instants(starts_at, ends_at, opens_at, closes_at)


# --- Exceptions and occurrences with their instants ------------------------------------------


class ExceptionLike(Protocol):
    occurrence_date: date
    kind: str
    moved_to: date | None
    start_time: time | None
    end_time: time | None
    reason: str


@dataclass(frozen=True)
class Occurrence:
    """One date of a calendar, after its exception if any."""

    occurrence_date: date  # the date the rule gives
    day: date  # the date it really happens (differs when moved)
    start_time: time
    end_time: time
    instants: Instants
    cancelled: bool = False
    moved: bool = False
    reason: str = ""

    @property
    def starts_at(self) -> datetime:
        return self.instants.starts_at

    @property
    def ends_at(self) -> datetime:
        return self.instants.ends_at

    @property
    def order_opens_at(self) -> datetime:
        return self.instants.order_opens_at

    @property
    def order_closes_at(self) -> datetime:
        return self.instants.order_closes_at


def exception_timing(timing: Timing, exception: ExceptionLike) -> Timing:
    """The timing of one occurrence: the exception's own hours replace the rule's."""
    return replace(
        timing,
        start_time=exception.start_time or timing.start_time,
        end_time=exception.end_time or timing.end_time,
    )


def occurrence(day: date, timing: Timing, exception: ExceptionLike | None = None) -> Occurrence:
    if exception is None:
        return Occurrence(day, day, timing.start_time, timing.end_time, instants_on(day, timing))
    if exception.kind == "cancelled":
        return Occurrence(
            day,
            day,
            timing.start_time,
            timing.end_time,
            instants_on(day, timing),
            cancelled=True,
            reason=exception.reason,
        )
    moved_timing = exception_timing(timing, exception)
    moved_to = exception.moved_to or day
    return Occurrence(
        day,
        moved_to,
        moved_timing.start_time,
        moved_timing.end_time,
        instants_on(moved_to, moved_timing),
        moved=True,
        reason=exception.reason,
    )


def expand(
    text: str,
    starts_on: date,
    timing: Timing,
    first: date,
    last: date,
    exceptions: Iterable[ExceptionLike] = (),
) -> list[Occurrence]:
    """The occurrences whose rule date or real date falls from `first` to `last`, by day.

    An occurrence moved into the range from a rule date outside it is included; an
    exception on a date the rule does not give is ignored.
    """
    by_date = {exception.occurrence_date: exception for exception in exceptions}
    dates = set(occurrences_between(text, starts_on, first, last))
    for exception in by_date.values():
        moved_in = exception.moved_to is not None and first <= exception.moved_to <= last
        if moved_in and exception.occurrence_date not in dates:
            if is_occurrence(text, starts_on, exception.occurrence_date):
                dates.add(exception.occurrence_date)
    found = [occurrence(day, timing, by_date.get(day)) for day in dates]
    return sorted(found, key=lambda item: (item.day, item.starts_at))


def upcoming(
    text: str,
    starts_on: date,
    timing: Timing,
    from_day: date,
    count: int,
    exceptions: Iterable[ExceptionLike] = (),
) -> list[Occurrence]:
    """The next `count` dates of the rule from `from_day`, with their exceptions applied."""
    by_date = {exception.occurrence_date: exception for exception in exceptions}
    dates = next_occurrence_dates(text, starts_on, from_day, count)
    found = [occurrence(day, timing, by_date.get(day)) for day in dates]
    return sorted(found, key=lambda item: (item.day, item.starts_at))
