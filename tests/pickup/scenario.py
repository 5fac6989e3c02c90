"""Building blocks for the checklist tests and the benchmark: a distribution day with
households who collect baskets and extras there."""

from __future__ import annotations

from dataclasses import dataclass, field

from marketplace.baskets.models import BasketOffer, BasketSize, Delivery, PriceTier
from marketplace.catalogue.models import Availability
from marketplace.delivery.models import DistributionDay
from marketplace.shop.models import Order
from tests import factories


@dataclass
class Day:
    day: DistributionDay
    offer: BasketOffer
    sizes: list[BasketSize]
    tier: PriceTier
    availabilities: list[Availability] = field(default_factory=list)


def make_day(**day_fields) -> Day:
    day = factories.DistributionDayFactory(**day_fields)
    supply = factories.ProducerSuppliesGroupFactory(
        group=day.group, producer__name="Ferme du Coteau"
    )
    offer = factories.BasketOfferFactory(supply=supply, name="Légumes de saison")
    sizes = [
        factories.BasketSizeFactory(offer=offer, name="Petit", position=0),
        factories.BasketSizeFactory(offer=offer, name="Grand", position=1),
    ]
    tier = factories.PriceTierFactory(offer=offer, name="Solidaire", percent=50)
    extras_supply = factories.ProducerSuppliesGroupFactory(
        group=day.group, producer__name="Fromagerie des Monts"
    )
    availabilities = [
        factories.AvailabilityFactory(
            supply=extras_supply, day=day.day, product__name="Tomme", product__unit="kg"
        ),
        factories.AvailabilityFactory(
            supply=extras_supply,
            day=day.day,
            product__name="Yaourts",
            product__unit="piece",
            quantity_milli=None,
        ),
    ]
    return Day(day=day, offer=offer, sizes=sizes, tier=tier, availabilities=availabilities)


def add_basket(
    setup: Day, user=None, size_index: int = 0, size: BasketSize | None = None, **delivery_fields
) -> Delivery:
    user = user or factories.UserFactory()
    size = size or setup.sizes[size_index]
    subscription = factories.SubscriptionFactory(
        offer=size.offer,
        user=user,
        size=size,
        tier=setup.tier
        if size.offer is setup.offer
        else factories.PriceTierFactory(offer=size.offer),
        pickup_point=setup.day.pickup_point,
    )
    return factories.DeliveryFactory(
        subscription=subscription, distribution_day=setup.day, size=size, **delivery_fields
    )


def other_offer_size(setup: Day, name: str = "Fruits de saison") -> BasketSize:
    """A size of a second contract of the group (a household may hold both)."""
    supply = factories.ProducerSuppliesGroupFactory(group=setup.day.group, producer__name="Verger")
    offer = factories.BasketOfferFactory(supply=supply, name=name)
    return factories.BasketSizeFactory(offer=offer, name="Panier")


def add_order(setup: Day, user=None, quantities=(1500, 2000)) -> Order:
    user = user or factories.UserFactory()
    order = factories.OrderFactory(distribution_day=setup.day, user=user)
    for availability, quantity in zip(setup.availabilities, quantities, strict=False):
        if quantity:
            factories.OrderLineFactory(
                order=order, availability=availability, quantity_milli=quantity
            )
    return order


def add_households(setup: Day, count: int) -> None:
    """`count` households: each a basket, every other one extras too."""
    for index in range(count):
        user = factories.UserFactory(name=f"Foyer {index:04d}")
        add_basket(setup, user=user, size_index=index % 2)
        if index % 2 == 0:
            add_order(setup, user=user)


def volunteer(setup: Day, user=None, is_lead: bool = False):
    user = user or factories.UserFactory()
    factories.ShiftSignupFactory(distribution_day=setup.day, user=user, is_lead=is_lead)
    return user
