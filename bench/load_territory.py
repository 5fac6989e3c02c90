"""The territory bench/load.py drives: one group, its households with accounts, two shop days
open for orders and a pickup day whose checklist the volunteers tick.

Built in an app context on a migrated, empty database, through the services where a person
would act (the coordinators' pickup points and calendars, materialised as the scheduler does
it, joining the group, the ledger's commitments) and the test factories for the rest, as the
other benches do. Every household logs in with the factories' password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask import url_for

from marketplace.catalogue.models import Availability
from marketplace.db import utcnow
from marketplace.delivery import services as delivery_services
from marketplace.delivery.days import materialise_all
from marketplace.delivery.models import DistributionDay
from marketplace.delivery.recurrence import WEEKDAYS
from marketplace.delivery.timing import Timing
from marketplace.extensions import db
from marketplace.groups.services import join_group
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind
from marketplace.timezones import paris_today
from tests import factories
from tests.pickup import scenario
from tests.shop.helpers import Shop, add_products

PASSWORD = factories.DEFAULT_PASSWORD
WEEKS = 26


@dataclass
class Urls:
    login: str
    readyz: str
    shop: str  # the weekly shop (phase A)
    rush: str  # the day with the last units (phase B)
    my_orders: str
    statement: str
    checklist: str
    taps: str


@dataclass
class Territory:
    emails: list[str]
    volunteers: set[int]  # household numbers on the checklist day's roster
    shop_products: list[int]  # availability ids of the weekly shop
    rush_day_id: int
    rush_availability_id: int
    rush_units: int
    urls: Urls
    checklist_lines: int = 0
    notes: list[str] = field(default_factory=list)


# Paris hours of every distribution; orders open two weeks ahead and close the evening before.
TIMING = Timing(time(18, 0), time(19, 30), 14, time(0, 0), 1, time(20, 0))


def _calendar_day(group, name: str, when: date) -> DistributionDay:
    """A pickup point and its weekly rule on `when`'s weekday (the coordinators' services);
    the rule is materialised as the scheduler does, so its jobs find every day in place."""
    point = delivery_services.create_pickup_point(
        group,
        delivery_services.PickupPointData(
            name=name,
            address="12 rue des Écoles",
            postcode="69100",
            city="Villeurbanne",
            latitude=45.77,
            longitude=4.88,
        ),
    )
    delivery_services.create_schedule(
        group,
        delivery_services.ScheduleData(
            pickup_point_id=point.id,
            label=f"Distribution du {name}",
            rrule=f"FREQ=WEEKLY;BYDAY={WEEKDAYS[when.weekday()]}",
            starts_on=when,
            timing=TIMING,
        ),
    )
    materialise_all(when, 2, group_ids=[group.id])
    return db.session.scalar(
        db.select(DistributionDay).where(
            DistributionDay.pickup_point_id == point.id, DistributionDay.day == when
        )
    )


def _shop_day(group, name: str, when: date, products: int) -> Shop:
    """A distribution day whose order window is open now, with `products` products."""
    supply = factories.ProducerSuppliesGroupFactory(group=group)
    shop = Shop(group, supply.producer, _calendar_day(group, name, when))
    add_products(shop, products)
    return shop


def _pickup_day(group, when: date) -> scenario.Day:
    """The day the volunteers tick: a weekly basket contract collected there."""
    day = _calendar_day(group, "marché couvert", when)
    supply = factories.ProducerSuppliesGroupFactory(group=group, producer__name="Ferme du Coteau")
    offer = factories.BasketOfferFactory(supply=supply, name="Légumes de saison")
    sizes = [
        factories.BasketSizeFactory(offer=offer, name="Petit", position=0),
        factories.BasketSizeFactory(offer=offer, name="Grand", position=1),
    ]
    tier = factories.PriceTierFactory(offer=offer, name="Standard", percent=100)
    return scenario.Day(day=day, offer=offer, sizes=sizes, tier=tier)


def build(households: int, products: int, rush_units: int, volunteer_every: int) -> Territory:
    """The whole territory, committed; plain values for the bench's threads."""
    today = paris_today()
    group = factories.GroupFactory(name="AMAP de la Grande Charge", slug="amap-charge")
    setup = _pickup_day(group, today + timedelta(days=1))
    weekly = _shop_day(group, "préau de l'école", today + timedelta(days=3), products)
    rush = _shop_day(group, "salle des fêtes", today + timedelta(days=4), products)
    assert weekly.day.order_window_open(utcnow()) and rush.day.order_window_open(utcnow())
    last_units = rush.offer(
        name="Bûche de Noël", unit="piece", quantity_milli=rush_units * 1000, price_cents=1800
    )
    role = factories.VolunteerRoleFactory(group=group, name="Émargement")
    emails, volunteers = [], set()
    for number in range(households):
        user = factories.UserFactory(
            name=f"Foyer {number:04d}", email=f"foyer-{number:04d}@charge.example.org"
        )
        join_group(group, user)
        delivery = scenario.add_basket(setup, user=user, size_index=number % 2)
        subscription = delivery.subscription
        book_entry(
            user_id=user.id,
            group_id=group.id,
            kind=EntryKind.COMMITMENT,
            amount_cents=-delivery.price_cents * WEEKS,
            occurred_on=today,
            label=f"Engagement : {setup.offer.name}, {WEEKS} distributions",
            offer_id=setup.offer.id,
            subscription_id=subscription.id,
        )
        if number % volunteer_every == 0:
            factories.ShiftSignupFactory(distribution_day=setup.day, role=role, user=user)
            volunteers.add(number)
        emails.append(user.email)
    shop_products = [
        availability_id
        for (availability_id,) in db.session.execute(
            db.select(Availability.id)
            .where(Availability.group_id == group.id, Availability.day == weekly.day.day)
            .order_by(Availability.id)
        )
    ]
    db.session.commit()
    urls = Urls(
        login=url_for("accounts.login"),
        readyz=url_for("health.readyz"),
        shop=url_for("shop.shop", day_id=weekly.day.id),
        rush=url_for("shop.shop", day_id=rush.day.id),
        my_orders=url_for("shop.my_orders"),
        statement=url_for("payments.my_statement", slug=group.slug),
        checklist=url_for("pickup_api.ChecklistResource", day_id=setup.day.id),
        taps=url_for("pickup_api.TapsResource", day_id=setup.day.id),
    )
    return Territory(
        emails=emails,
        volunteers=volunteers,
        shop_products=shop_products,
        rush_day_id=rush.day.id,
        rush_availability_id=last_units.id,
        rush_units=rush_units,
        urls=urls,
        checklist_lines=households,
    )
