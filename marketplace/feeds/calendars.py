"""The private feeds' contents: one query each, whatever the number of events.

Conventions of the van's timetables (routes/ical.py): UIDs derive from row ids (an event keeps
its identity when its times move), times carry TZID=Europe/Paris (the distribution days'
instants are computed DST-correct when materialised), cancelled events are left out so they
disappear from subscribed calendars, and four weeks of the past are kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    DeliveryState,
    Subscription,
)
from marketplace.db import utcnow
from marketplace.delivery.day_notes import day_note
from marketplace.delivery.models import DayStatus, DistributionDay, PickupPoint
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.routes.ical import PRODUCT_ID, feed_start
from marketplace.shifts.models import ShiftSignup, ShiftState, VolunteerRole
from marketplace.timezones import to_paris

FEED_AHEAD = timedelta(days=400)  # a season and then some
MAX_EVENTS = 1000  # a feed never grows without bound
if TYPE_CHECKING:  # icalendar is imported when a feed is first asked for (routes/ical.py)
    from icalendar import Calendar, Event

NOT_TO_COLLECT = (DeliveryState.CANCELLED, DeliveryState.ABSENT, DeliveryState.DONATED)


def _calendar(name: str) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    return calendar


def _finish(calendar: Calendar) -> bytes:
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _window() -> tuple[datetime, datetime]:
    now = utcnow()
    return feed_start(now), now + FEED_AHEAD


def _address(point: PickupPoint) -> str:
    return f"{point.name}, {point.address}, {point.postcode} {point.city}"


def _event(uid: str, day: DistributionDay, point: PickupPoint, summary: str, lines) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("summary", summary)
    event.add("dtstart", to_paris(day.starts_at))
    event.add("dtend", to_paris(day.ends_at))
    event.add("location", _address(point))
    event.add("geo", (float(point.latitude), float(point.longitude)))
    description = [line for line in lines if line]
    if point.access_notes:
        description.append(point.access_notes)
    if day.note:
        description.append(day_note(day))
    event.add("description", "\n".join(description))
    return event


def deliveries_feed(user: User, uid_domain: str) -> bytes:
    """What the household collects, where and when: one event per basket to collect."""
    first, last = _window()
    producer = aliased(Organisation)
    rows = db.session.execute(
        select(
            Delivery, DistributionDay, PickupPoint, BasketOffer.name, BasketSize.name, producer.name
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(DistributionDay, DistributionDay.id == Delivery.distribution_day_id)
        .join(PickupPoint, PickupPoint.id == DistributionDay.pickup_point_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .join(BasketSize, BasketSize.id == Delivery.size_id)
        .join(producer, producer.id == BasketOffer.producer_id)
        .where(
            Subscription.user_id == user.id,
            Delivery.state.not_in([state.value for state in NOT_TO_COLLECT]),
            DistributionDay.status == DayStatus.SCHEDULED.value,
            DistributionDay.starts_at >= first,
            DistributionDay.starts_at < last,
        )
        .order_by(DistributionDay.starts_at, Delivery.id)
        .limit(MAX_EVENTS)
    ).all()
    calendar = _calendar(_("Mes paniers"))
    for delivery, day, point, contract, size, producer_name in rows:
        basket = size if delivery.quantity == 1 else f"{delivery.quantity} × {size}"
        lines = [
            _("À retirer : %(contract)s, %(size)s", contract=contract, size=basket),
            _("Producteur : %(name)s", name=producer_name),
        ]
        if delivery.state == DeliveryState.GIVEN and delivery.given_to_name:
            lines.append(_("Retiré par : %(name)s", name=delivery.given_to_name))
        summary = _("Panier %(contract)s (%(size)s)", contract=contract, size=basket)
        calendar.add_component(
            _event(f"delivery-{delivery.id}@{uid_domain}", day, point, summary, lines)
        )
    return _finish(calendar)


def shifts_feed(user: User, uid_domain: str) -> bytes:
    """The volunteer's shifts: one event per shift signed up for."""
    first, last = _window()
    rows = db.session.execute(
        select(ShiftSignup, DistributionDay, PickupPoint, VolunteerRole.name, Organisation.name)
        .join(DistributionDay, DistributionDay.id == ShiftSignup.distribution_day_id)
        .join(PickupPoint, PickupPoint.id == DistributionDay.pickup_point_id)
        .join(VolunteerRole, VolunteerRole.id == ShiftSignup.role_id)
        .join(Organisation, Organisation.id == DistributionDay.group_id)
        .where(
            ShiftSignup.user_id == user.id,
            ShiftSignup.state == ShiftState.SIGNED_UP.value,
            DistributionDay.status == DayStatus.SCHEDULED.value,
            DistributionDay.starts_at >= first,
            DistributionDay.starts_at < last,
        )
        .order_by(DistributionDay.starts_at, ShiftSignup.id)
        .limit(MAX_EVENTS)
    ).all()
    calendar = _calendar(_("Mes permanences"))
    for signup, day, point, role, group in rows:
        summary = _("Permanence : %(role)s (%(group)s)", role=role, group=group)
        lines = [_("Vous êtes responsable de la permanence.")] if signup.is_lead else []
        calendar.add_component(
            _event(f"shift-{signup.id}@{uid_domain}", day, point, summary, lines)
        )
    return _finish(calendar)


def group_feed(group: Organisation, uid_domain: str) -> bytes:
    """A group's distribution days, for its members."""
    first, last = _window()
    rows = db.session.execute(
        select(DistributionDay, PickupPoint)
        .join(PickupPoint, PickupPoint.id == DistributionDay.pickup_point_id)
        .where(
            DistributionDay.group_id == group.id,
            DistributionDay.status == DayStatus.SCHEDULED.value,
            DistributionDay.starts_at >= first,
            DistributionDay.starts_at < last,
        )
        .order_by(DistributionDay.starts_at, DistributionDay.id)
        .limit(MAX_EVENTS)
    ).all()
    calendar = _calendar(_("Distributions – %(group)s", group=group.name))
    for day, point in rows:
        summary = _("Distribution %(group)s", group=group.name)
        calendar.add_component(
            _event(f"distribution-day-{day.id}@{uid_domain}", day, point, summary, [])
        )
    return _finish(calendar)
