"""The territory a season is lived in: groups, producers, calendars, contracts and households.

Built at the simulation's first instant through the coordinators' own services (pickup points,
calendar rules, contracts, sizes, publication); people and partnerships, which have their own
journeys elsewhere, come from the test factories. Every choice is drawn from the seeded
random generator, so the same seed builds the same territory on any database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from marketplace.baskets import offers as offer_services
from marketplace.baskets.models import BasketOffer, BasketSize, PriceTier
from marketplace.delivery import services as delivery_services
from marketplace.delivery.holidays import french_public_holidays
from marketplace.delivery.models import DistributionSchedule, PickupPoint
from marketplace.delivery.timing import Timing
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.groups.services import join_group
from marketplace.organisations.models import Role
from marketplace.timezones import local_instant
from tests import factories

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
TIMING = Timing(time(18, 0), time(19, 30), 7, time(8, 0), 2, time(20, 0))


@dataclass(frozen=True)
class TerritorySpec:
    """How big the territory is: the test's small one or the bench's large one."""

    groups: int = 2
    households_per_group: int = 12
    weeks: int = 26
    # Share of households signing up before the season; the rest come mid-season.
    early_share: float = 0.7
    # Places of the big basket, per group: fewer than those who want it (the waiting list).
    big_basket_places: int = 3


@dataclass
class OfferRef:
    key: str  # "veg" or "eggs" (or "veg-next" for the renewed season)
    offer_id: int
    size_ids: list[int]
    tier_ids: dict[int, int]  # percent → tier id
    weekly: bool


@dataclass
class GroupRef:
    index: int
    group_id: int
    coordinator_id: int
    volunteer_id: int
    role_id: int
    pickup_point_id: int
    schedule_id: int
    weekday: int
    offers: dict[str, OfferRef] = field(default_factory=dict)
    veg_producer_id: int = 0
    eggs_producer_id: int = 0
    product_ids: list[int] = field(default_factory=list)


@dataclass
class HouseholdRef:
    user_id: int
    group_index: int
    wants: list[str]  # offer keys
    size_choice: str  # "small" / "big"
    tier_percent: int  # 100, 50 (asks for the solidarity price) or 120
    plan: str
    method: str
    donation_cents: int
    signup_day: int  # simulated day number of the first sign-up
    cancels_on: int | None  # day number of a cancellation with notice
    absence_rate: float
    gift_rate: float
    order_rate: float
    renews: bool
    subscription_ids: dict[str, int] = field(default_factory=dict)


@dataclass
class Territory:
    spec: TerritorySpec
    start: datetime  # UTC
    first_day: date
    season_starts_on: date
    season_ends_on: date
    grocery_id: int
    holiday: date | None
    groups: list[GroupRef] = field(default_factory=list)
    households: list[HouseholdRef] = field(default_factory=list)


def season_bounds(first_day: date, weeks: int) -> tuple[date, date]:
    """From the Monday after the first day, `weeks` weeks."""
    starts = first_day + timedelta(days=7 - first_day.weekday())
    return starts, starts + timedelta(weeks=weeks) - timedelta(days=1)


def holiday_in_season(starts: date, ends: date) -> date | None:
    """A French public holiday falling on a weekday well inside the season (week 4 on), so a
    calendar can skip it mid-season; None if the season has none."""
    days = {**french_public_holidays(starts.year), **french_public_holidays(ends.year)}
    candidates = sorted(
        day for day in days if starts + timedelta(weeks=4) <= day <= ends and day.weekday() < 5
    )
    return candidates[0] if candidates else None


def build(spec: TerritorySpec, rng: random.Random, start: datetime, first_day: date) -> Territory:
    starts, ends = season_bounds(first_day, spec.weeks)
    holiday = holiday_in_season(starts, ends)
    grocery = factories.GroceryFactory(name="Épicerie solidaire La Passerelle", slug="passerelle")
    territory = Territory(spec, start, first_day, starts, ends, grocery.id, holiday)
    veg_producers = [
        factories.ProducerFactory(name=f"Ferme maraîchère {n}", slug=f"maraicher-{n}")
        for n in range(max(1, spec.groups // 2))
    ]
    eggs_producer = factories.ProducerFactory(
        name="Ferme des Poules", slug="poules", trade="eleveur"
    )
    products = {
        producer.id: [
            factories.ProductFactory(producer=producer, name=f"{name} {producer.id}", price_cents=p)
            for name, p in (("Carottes", 320), ("Pommes", 280))
        ]
        for producer in veg_producers
    }
    db.session.flush()
    for index in range(spec.groups):
        veg = veg_producers[index % len(veg_producers)]
        territory.groups.append(
            _group(territory, rng, index, veg, eggs_producer, [p.id for p in products[veg.id]])
        )
    db.session.commit()
    for group in territory.groups:
        for _n in range(spec.households_per_group):
            territory.households.append(_household(territory, rng, group))
    db.session.commit()
    return territory


def _group(territory, rng, index, veg, eggs_producer, product_ids) -> GroupRef:
    group = factories.GroupFactory(name=f"AMAP du quartier {index}", slug=f"amap-{index}")
    factories.ProducerSuppliesGroupFactory(producer=veg, group=group)
    factories.ProducerSuppliesGroupFactory(producer=eggs_producer, group=group)
    coordinator = factories.UserFactory(name=f"Coordination {index}")
    factories.MembershipFactory(user=coordinator, organisation=group, role=Role.COORDINATOR.value)
    volunteer = factories.UserFactory(name=f"Bénévole {index}")
    factories.MembershipFactory(user=volunteer, organisation=group, role=Role.MEMBER.value)
    role = factories.VolunteerRoleFactory(group=group, name="Émargement", needed_per_day=2)
    db.session.flush()
    point = delivery_services.create_pickup_point(
        group,
        delivery_services.PickupPointData(
            name=f"Préau de l'école {index}",
            address="12 rue des Écoles",
            postcode="69100",
            city="Villeurbanne",
            latitude=45.77,
            longitude=4.88,
            capacity=None,
        ),
    )
    # The first group distributes on the weekday of the season's public holiday.
    holiday = territory.holiday
    weekday = holiday.weekday() if index == 0 and holiday else rng.choice([1, 2, 3])
    schedule = delivery_services.create_schedule(
        group,
        delivery_services.ScheduleData(
            pickup_point_id=point.id,
            label="Distribution du soir",
            rrule=f"FREQ=WEEKLY;BYDAY={WEEKDAYS[weekday]}",
            starts_on=territory.first_day,
            timing=TIMING,
        ),
    )
    ref = GroupRef(
        index=index,
        group_id=group.id,
        coordinator_id=coordinator.id,
        volunteer_id=volunteer.id,
        role_id=role.id,
        pickup_point_id=point.id,
        schedule_id=schedule.id,
        weekday=weekday,
        veg_producer_id=veg.id,
        eggs_producer_id=eggs_producer.id,
        product_ids=product_ids,
    )
    # Absence rules differ between groups, so credit, postpone and donate are all lived.
    veg_policy = ["credit", "donate"][index % 2]
    ref.offers["veg"] = create_offer(
        territory,
        group,
        key="veg",
        producer_id=veg.id,
        name="Contrat légumes",
        weekly=True,
        absence_policy=veg_policy,
        cancellation_policy="with_notice",
        sizes=[
            ("Petit panier", 1250, None),
            ("Grand panier", 2150, territory.spec.big_basket_places),
        ],
        cancelled_day_policy="credit",
    )
    ref.offers["eggs"] = create_offer(
        territory,
        group,
        key="eggs",
        producer_id=eggs_producer.id,
        name="Contrat œufs",
        weekly=False,
        absence_policy="postpone",
        cancellation_policy="season_commitment",
        sizes=[("Six œufs", 390, None), ("Douze œufs", 745, None)],
        cancelled_day_policy="postpone",
    )
    return ref


def create_offer(
    territory: Territory,
    group,
    *,
    key: str,
    producer_id: int,
    name: str,
    weekly: bool,
    absence_policy: str,
    cancellation_policy: str,
    sizes: list[tuple[str, int, int | None]],
    cancelled_day_policy: str,
    starts: date | None = None,
    ends: date | None = None,
    previous_offer_id: int | None = None,
) -> OfferRef:
    """A coordinator's contract: created, sized and published through the services."""
    starts = starts or territory.season_starts_on
    ends = ends or territory.season_ends_on
    data = offer_services.OfferData(
        producer_id=producer_id,
        name=name,
        description="Contrat de la simulation.",
        season_starts_on=starts,
        season_ends_on=ends,
        frequency="weekly" if weekly else "fortnightly",
        signup_opens_at=territory.start - timedelta(days=1),
        # Four weeks before the end (a third of a short season).
        signup_closes_at=local_instant(
            ends - timedelta(days=min(28, (ends - starts).days // 3)), time(23, 0)
        ),
        max_absences=3,
        absence_policy=absence_policy,
        plans=frozenset({"season", "monthly", "per_delivery"}),
        methods=frozenset({"card", "sepa_debit", "cheque", "transfer"}),
        cancellation_policy=cancellation_policy,
        notice_days=14,
        previous_offer_id=previous_offer_id,
    )
    offer = offer_services.create_offer(group, data)
    for size_name, price, capacity in sizes:
        offer_services.add_size(offer, offer_services.SizeData(size_name, "", price, capacity))
    if hasattr(BasketOffer, "cancelled_day_policy"):  # whole seasons (issue 11's integrator)
        offer.cancelled_day_policy = cancelled_day_policy
    offer_services.publish_offer(offer)
    db.session.flush()
    sizes_rows = db.session.query(BasketSize).filter_by(offer_id=offer.id).order_by(BasketSize.id)
    tiers = db.session.query(PriceTier).filter_by(offer_id=offer.id)
    return OfferRef(
        key=key,
        offer_id=offer.id,
        size_ids=[size.id for size in sizes_rows],
        tier_ids={tier.percent: tier.id for tier in tiers},
        weekly=weekly,
    )


def _household(territory: Territory, rng: random.Random, group: GroupRef) -> HouseholdRef:
    user = factories.UserFactory()
    join_group(db.session.get(Group, group.group_id), user)
    spec = territory.spec
    season_days = spec.weeks * 7
    early = rng.random() < spec.early_share
    signup_day = 0 if early else rng.randint(10, max(11, season_days - 60))
    wants = ["veg"] + (["eggs"] if rng.random() < 0.5 else [])
    method = rng.choices(["card", "sepa_debit", "cheque", "transfer"], [4, 2, 3, 1])[0]
    plan = rng.choices(["season", "monthly", "per_delivery"], [2, 5, 2])[0]
    tier = rng.choices([100, 50, 120], [7, 2, 1])[0]
    cancels_on = None
    if rng.random() < 0.12:
        cancels_on = rng.randint(signup_day + 14, signup_day + 60)
    return HouseholdRef(
        user_id=user.id,
        group_index=group.index,
        wants=wants,
        size_choice="big" if rng.random() < 0.3 else "small",
        tier_percent=tier,
        plan=plan,
        method=method,
        donation_cents=rng.choice([0, 0, 0, 50, 100]),
        signup_day=signup_day,
        cancels_on=cancels_on,
        absence_rate=rng.choice([0.0, 0.03, 0.08]),
        gift_rate=rng.choice([0.0, 0.02, 0.05]),
        order_rate=rng.choice([0.0, 0.2, 0.5]),
        renews=rng.random() < 0.6,
    )


def schedule_of(group: GroupRef) -> DistributionSchedule:
    return db.session.get(DistributionSchedule, group.schedule_id)


def pickup_point_of(group: GroupRef) -> PickupPoint:
    return db.session.get(PickupPoint, group.pickup_point_id)
