"""A farm's distribution date for the harvest/packing list tests, built row by row.

AMAP des Canuts distributes on one date at two pickup points (Préau, Salle des fêtes); the
Ferme du Coteau supplies it with extras and a vegetable basket contract.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from marketplace.accounts.models import User
from marketplace.baskets.models import Delivery, Subscription
from marketplace.catalogue.models import Availability, Product
from marketplace.delivery.models import DistributionDay, PickupPoint
from marketplace.extensions import db
from marketplace.shop.models import Order, OrderLine
from marketplace.timezones import local_instant, paris_today
from tests import factories

_batches = itertools.count(1)


@dataclass
class Farm:
    producer: object
    group: object
    day: date
    points: dict[str, PickupPoint]
    days: dict[str, DistributionDay]
    supply: object
    offer: object = None
    sizes: dict[str, object] = field(default_factory=dict)
    tier: object = None
    products: dict[str, Product] = field(default_factory=dict)
    availabilities: dict[str, Availability] = field(default_factory=dict)
    other_dates: dict[tuple[str, date], Availability] = field(default_factory=dict)

    def url(self, kind: str = "") -> str:
        base = f"/producteurs/{self.producer.id}/listes"
        if not kind:
            return base + "/"
        return f"{base}/{self.group.id}/{self.day.isoformat()}/{kind}"

    def offer_product(self, name: str, unit: str = "kg", price_cents: int = 320) -> Availability:
        product = factories.ProductFactory(
            producer=self.producer, name=name, unit=unit, price_cents=price_cents
        )
        self.products[name] = product
        self.availabilities[name] = factories.AvailabilityFactory(
            supply=self.supply, product=product, day=self.day, quantity_milli=None
        )
        return self.availabilities[name]

    def availability_on(self, name: str, day: date) -> Availability:
        """The product offered on another date too (created once per date)."""
        if day == self.day:
            return self.availabilities[name]
        if (name, day) not in self.other_dates:
            self.other_dates[name, day] = factories.AvailabilityFactory(
                supply=self.supply, product=self.products[name], day=day, quantity_milli=None
            )
        return self.other_dates[name, day]

    def order(self, user, point: str, lines: dict[str, int], status: str = "placed") -> Order:
        order = factories.OrderFactory(
            distribution_day=self.days[point],
            user=user,
            status=status,
            cancelled_at=datetime.now(UTC) if status == "cancelled" else None,
        )
        total = 0
        for name, quantity_milli in lines.items():
            line = factories.OrderLineFactory(
                order=order,
                availability=self.availabilities[name],
                quantity_milli=quantity_milli,
            )
            total += line.total_cents
        order.total_cents = total
        return order

    def subscribe(self, user, point: str, size: str) -> Subscription:
        return factories.SubscriptionFactory(
            offer=self.offer,
            user=user,
            size=self.sizes[size],
            tier=self.tier,
            pickup_point=self.points[point],
        )

    def basket(self, subscription, point: str, state: str = "planned", **extra) -> Delivery:
        return factories.DeliveryFactory(
            subscription=subscription,
            distribution_day=self.days[point],
            state=state,
            **extra,
        )


def distribution_day(point: PickupPoint, day: date, *, closed: bool) -> DistributionDay:
    """A distribution at 18:00 on `day` whose order window is closed (or still open) now."""
    now = datetime.now(UTC)
    closes = now - timedelta(hours=1) if closed else now + timedelta(hours=20)
    starts = max(local_instant(day, time(18, 0)), closes + timedelta(hours=1))
    return factories.DistributionDayFactory(
        schedule=factories.DistributionScheduleFactory(pickup_point=point),
        occurrence_date=day,
        day=day,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        order_opens_at=closes - timedelta(days=5),
        order_closes_at=closes,
    )


def make_farm(*, closed: bool = True, day: date | None = None) -> Farm:
    producer = factories.ProducerFactory(name="Ferme du Coteau", slug="ferme-du-coteau")
    group = factories.GroupFactory(name="AMAP des Canuts", slug="amap-des-canuts")
    supply = factories.ProducerSuppliesGroupFactory(producer=producer, group=group)
    day = day or paris_today() + timedelta(days=2)
    points = {
        "Préau": factories.PickupPointFactory(group=group, name="Préau de l'école"),
        "Salle": factories.PickupPointFactory(group=group, name="Salle des fêtes"),
    }
    days = {key: distribution_day(point, day, closed=closed) for key, point in points.items()}
    farm = Farm(producer, group, day, points, days, supply)
    farm.offer = factories.BasketOfferFactory(supply=supply, name="Contrat légumes")
    farm.sizes = {
        "Petit": factories.BasketSizeFactory(offer=farm.offer, name="Petit", position=0),
        "Grand": factories.BasketSizeFactory(offer=farm.offer, name="Grand", position=1),
    }
    farm.tier = factories.PriceTierFactory(offer=farm.offer, name="Standard")
    return farm


def crowd(farm: Farm, *, products: int, households: int) -> None:
    """Many products and households, inserted in bulk (each household orders five products
    at one of the two points and has a basket)."""
    point_keys = list(farm.days)
    batch = next(_batches)  # crowd() may be called twice on one farm: names stay unique
    items = [
        Product(
            producer_id=farm.producer.id,
            name=f"Produit {batch}-{index:04d}",
            category="legumes",
            unit="piece" if index % 2 else "kg",
            price_cents=100 + index,
        )
        for index in range(products)
    ]
    db.session.add_all(items)
    db.session.flush()
    offered = [
        Availability(
            product_id=item.id,
            producer_id=farm.producer.id,
            group_id=farm.group.id,
            day=farm.day,
            quantity_milli=None,
            price_cents=item.price_cents,
        )
        for item in items
    ]
    db.session.add_all(offered)
    users = [
        User(
            name=f"Foyer {batch}-{index:04d}",
            email=f"foule{batch}-{index}@example.org",
            password_hash=factories.default_password_hash(),
        )
        for index in range(households)
    ]
    db.session.add_all(users)
    db.session.flush()
    orders = [
        Order(
            user_id=user.id,
            group_id=farm.group.id,
            distribution_day_id=farm.days[point_keys[index % 2]].id,
            total_cents=0,
        )
        for index, user in enumerate(users)
    ]
    db.session.add_all(orders)
    db.session.flush()
    db.session.add_all(
        OrderLine(
            order_id=order.id,
            availability_id=offered[(index * 5 + step) % products].id,
            quantity_milli=1000,
            unit_price_cents=offered[(index * 5 + step) % products].price_cents,
            total_cents=offered[(index * 5 + step) % products].price_cents,
        )
        for index, order in enumerate(orders)
        for step in range(min(5, products))
    )
    subscriptions = [
        Subscription(
            offer_id=farm.offer.id,
            group_id=farm.group.id,
            user_id=user.id,
            size_id=farm.sizes["Petit" if index % 3 else "Grand"].id,
            tier_id=farm.tier.id,
            pickup_point_id=farm.points[point_keys[index % 2]].id,
            payment_plan="season",
            payment_method="cheque",
        )
        for index, user in enumerate(users)
    ]
    db.session.add_all(subscriptions)
    db.session.flush()
    db.session.add_all(
        Delivery(
            subscription_id=subscription.id,
            distribution_day_id=farm.days[point_keys[index % 2]].id,
            size_id=subscription.size_id,
            price_cents=1500,
        )
        for index, subscription in enumerate(subscriptions)
    )
    db.session.flush()
