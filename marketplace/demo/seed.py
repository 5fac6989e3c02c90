"""Load the demo territory. Idempotent: each row is found by its natural key before creating it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.accounts.passwords import hash_password
from marketplace.delivery.days import materialise_all
from marketplace.delivery.models import (
    DistributionSchedule,
    ExceptionKind,
    PickupPoint,
    ScheduleException,
)
from marketplace.delivery.recurrence import occurrences_between
from marketplace.demo import territory as demo
from marketplace.demo.association import seed_demo_association
from marketplace.demo.baskets import seed_demo_baskets
from marketplace.demo.card_followup import seed_demo_card_followup
from marketplace.demo.catalogue import seed_demo_catalogue
from marketplace.demo.fund import seed_demo_fund
from marketplace.demo.grocery import seed_demo_grocery
from marketplace.demo.grocery_purchases import seed_demo_grocery_purchases
from marketplace.demo.history import materialise_history, seed_demo_extras, seed_demo_history
from marketplace.demo.membership import seed_demo_membership
from marketplace.demo.messages import seed_demo_messages
from marketplace.demo.pickup_day import seed_demo_day_today, seed_demo_volunteer_today
from marketplace.demo.preorders import seed_demo_preorders
from marketplace.demo.routes import seed_demo_routes
from marketplace.demo.shifts import seed_demo_shifts
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Organisation, Role
from marketplace.producers.models import Producer, ProducerSuppliesGroup

# The demo seasons end 26 weeks from today: the calendars reach a little further.
DEMO_CALENDAR_WEEKS = 30


@dataclass
class SeedReport:
    created: int = 0

    def add(self, count: int = 1) -> None:
        self.created += count


def seed_demo_territory(today: date, horizon_weeks: int) -> SeedReport:
    """Create whatever part of the demo territory is missing, then materialise the calendar."""
    report = SeedReport()
    password_hash = hash_password(demo.DEMO_PASSWORD)
    organisations = _seed_organisations(report)
    _seed_accounts(organisations, password_hash, report)
    for group_data in demo.GROUPS:
        group = organisations[group_data.slug]
        _seed_households(group, group_data, password_hash, report)
        _seed_supplies(group, group_data, organisations, report)
        points = _seed_pickup_points(group, group_data, report)
        _seed_calendars(group, group_data, points, today, report)
    db.session.flush()
    materialise_history(today, horizon_weeks)
    materialise_all(today, horizon_weeks)
    report.add(seed_demo_day_today(today, horizon_weeks))
    report.add(seed_demo_baskets(today))
    report.add(seed_demo_card_followup(today))
    report.add(seed_demo_catalogue(today))
    report.add(seed_demo_routes(today))
    report.add(seed_demo_grocery(today))
    report.add(seed_demo_grocery_purchases(today))
    report.add(seed_demo_preorders(today))
    report.add(seed_demo_shifts(today))
    report.add(seed_demo_volunteer_today(today))
    report.add(seed_demo_extras(today))
    report.add(seed_demo_history(today))
    report.add(seed_demo_membership(today))
    report.add(seed_demo_association(today))
    report.add(seed_demo_fund(today))
    report.add(seed_demo_messages())
    return report


def _get_or_create(report: SeedReport, model, lookup: dict, **values):
    instance = db.session.scalar(select(model).filter_by(**lookup))
    if instance is None:
        instance = model(**lookup, **values)
        db.session.add(instance)
        report.add()
    return instance


def _seed_organisations(report: SeedReport) -> dict[str, Organisation]:
    organisations: dict[str, Organisation] = {}
    for producer in demo.PRODUCERS:
        organisations[producer.slug] = _get_or_create(
            report,
            Producer,
            {"slug": producer.slug},
            name=producer.name,
            trade=producer.trade,
            labels=producer.labels or None,
            description=producer.description,
            address=producer.address,
            postcode=producer.postcode,
            city=producer.city,
            latitude=producer.latitude,
            longitude=producer.longitude,
            phone=producer.phone or None,
        )
    for group in demo.GROUPS:
        organisations[group.slug] = _get_or_create(
            report,
            Group,
            {"slug": group.slug},
            name=group.name,
            description=group.description,
            city=group.city,
            postcode=group.postcode,
            latitude=group.latitude,
            longitude=group.longitude,
        )
    grocery = dict(demo.GROCERY)
    slug = grocery.pop("slug")
    organisations[slug] = _get_or_create(report, Grocery, {"slug": slug}, **grocery)
    db.session.flush()
    return organisations


def _user(email: str, name: str, password_hash: str, report: SeedReport, **extra) -> User:
    return _get_or_create(
        report, User, {"email": email}, name=name, password_hash=password_hash, **extra
    )


def _grant(user: User, organisation: Organisation, role: str, report: SeedReport) -> None:
    db.session.flush()
    exists = db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == user.id,
            Membership.organisation_id == organisation.id,
            Membership.role == role,
        )
    )
    if exists is None:
        db.session.add(Membership(user=user, organisation=organisation, role=role))
        report.add()


def _seed_accounts(organisations, password_hash: str, report: SeedReport) -> None:
    for account in demo.ACCOUNTS:
        user = _user(account.email, account.name, password_hash, report, is_admin=account.is_admin)
        for slug, role in account.roles:
            _grant(user, organisations[slug], role, report)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _seed_households(group: Group, data: demo.DemoGroup, password_hash, report) -> None:
    """Households of a group; every sixth one also volunteers at distributions."""
    offset = sum(g.households for g in demo.GROUPS[: demo.GROUPS.index(data)])
    for index in range(data.households):
        number = offset + index
        first = demo.FIRST_NAMES[number % len(demo.FIRST_NAMES)]
        last = demo.LAST_NAMES[number % len(demo.LAST_NAMES)]
        email = demo.demo_email(f"{_ascii(first)}.{_ascii(last)}.{number + 1}")
        user = _user(email, f"{first} {last}", password_hash, report, phone=_phone(number))
        _grant(user, group, Role.MEMBER, report)
        if index % 6 == 0:
            _grant(user, group, Role.VOLUNTEER, report)


def _phone(number: int) -> str:
    return f"06 {12 + number % 80:02d} {34 + number % 60:02d} {number % 100:02d} {56:02d}"


def _seed_supplies(group: Group, data: demo.DemoGroup, organisations, report) -> None:
    for slug in data.producers:
        producer = organisations[slug]
        _get_or_create(
            report, ProducerSuppliesGroup, {"producer_id": producer.id, "group_id": group.id}
        )


def _seed_pickup_points(group: Group, data: demo.DemoGroup, report) -> dict[str, PickupPoint]:
    points = {}
    for place in data.pickup_points:
        points[place.name] = _get_or_create(
            report,
            PickupPoint,
            {"group_id": group.id, "name": place.name},
            address=place.address,
            postcode=place.postcode,
            city=place.city,
            latitude=place.latitude,
            longitude=place.longitude,
            access_notes=place.access_notes,
            capacity=place.capacity,
        )
    db.session.flush()
    return points


def _seed_calendars(group, data: demo.DemoGroup, points, today: date, report):
    # Rules start a few weeks back, so the calendar has a short history too.
    starts_on = today - timedelta(weeks=4)
    for calendar in data.calendars:
        point = points[calendar.pickup_point]
        schedule = _get_or_create(
            report,
            DistributionSchedule,
            {"group_id": group.id, "label": calendar.label},
            pickup_point_id=point.id,
            rrule=calendar.rrule,
            starts_on=starts_on,
            start_time=calendar.start,
            end_time=calendar.end,
            order_opens_days_before=calendar.opens_days_before,
            order_opens_time=time(8, 0),
            order_closes_days_before=calendar.closes_days_before,
            order_closes_time=time(20, 0),
            skip_public_holidays=True,
        )
        db.session.flush()
        _seed_christmas_eve(schedule, today, report)


def _seed_christmas_eve(schedule, today: date, report) -> None:
    """The calendars skip public holidays; a Christmas distribution moves to the eve instead."""
    until = today + timedelta(weeks=DEMO_CALENDAR_WEEKS)
    for occurrence in occurrences_between(schedule.rrule, schedule.starts_on, today, until):
        if (occurrence.month, occurrence.day) != (12, 25):
            continue
        _get_or_create(
            report,
            ScheduleException,
            {"schedule_id": schedule.id, "occurrence_date": occurrence},
            kind=ExceptionKind.MOVED,
            moved_to=occurrence - timedelta(days=1),
            reason="Jour férié : Noël",
        )
