"""Read-only queries for the territory's public overview, a group's page and the dashboard.

Each function runs a fixed number of queries whatever the size of the territory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.delivery.days import next_days
from marketplace.delivery.models import DistributionDay, PickupPoint
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop.models import Beneficiary
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Organisation, OrganisationKind, Role
from marketplace.producers.models import Producer, ProducerSuppliesGroup

NEXT_DAYS_PER_POINT = 3


@dataclass
class PointOverview:
    point: PickupPoint
    next_days: list[DistributionDay]


@dataclass
class GroupOverview:
    group: Group
    points: list[PointOverview] = field(default_factory=list)
    producers: list[Producer] = field(default_factory=list)


@dataclass
class TerritoryOverview:
    groups: list[GroupOverview]
    producers: list[Producer]
    groceries: list[Grocery]


def territory_overview(now: datetime) -> TerritoryOverview:
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    groups = [org for org in organisations if isinstance(org, Group)]
    overviews = _group_overviews(groups, now)
    return TerritoryOverview(
        groups=overviews,
        producers=[org for org in organisations if isinstance(org, Producer)],
        groceries=[org for org in organisations if isinstance(org, Grocery)],
    )


def _group_overviews(groups: list[Group], now: datetime) -> list[GroupOverview]:
    """Pickup points, their next days and the producers of each group, in three queries."""
    overviews = {group.id: GroupOverview(group) for group in groups}
    if not overviews:
        return []
    points = db.session.scalars(
        select(PickupPoint)
        .where(PickupPoint.group_id.in_(overviews), PickupPoint.active.is_(True))
        .order_by(PickupPoint.name)
    ).all()
    days_by_point: dict[int, list[DistributionDay]] = defaultdict(list)
    for day in next_days([point.id for point in points], now, NEXT_DAYS_PER_POINT):
        days_by_point[day.pickup_point_id].append(day)
    for point in points:
        overviews[point.group_id].points.append(PointOverview(point, days_by_point[point.id]))
    supplies = db.session.execute(
        select(ProducerSuppliesGroup.group_id, Producer)
        .join(Producer, Producer.id == ProducerSuppliesGroup.producer_id)
        .where(ProducerSuppliesGroup.group_id.in_(overviews))
        .order_by(Producer.name)
    ).all()
    for group_id, producer in supplies:
        overviews[group_id].producers.append(producer)
    return list(overviews.values())


def active_pickup_points(group: Group) -> list[PickupPoint]:
    """Where `group` hands out its baskets today (the active points), by name, in one query."""
    return list(
        db.session.scalars(
            select(PickupPoint)
            .where(PickupPoint.group_id == group.id, PickupPoint.active.is_(True))
            .order_by(PickupPoint.name)
        )
    )


@dataclass
class Dashboard:
    """What a person sees after logging in, one section per role they hold."""

    member_of: list[GroupOverview] = field(default_factory=list)
    coordinates: list[Group] = field(default_factory=list)
    volunteers_in: list[GroupOverview] = field(default_factory=list)
    volunteer_groceries: list[Grocery] = field(default_factory=list)
    producers: list[Producer] = field(default_factory=list)
    producer_groups: dict[int, list[GroupOverview]] = field(default_factory=dict)
    groceries: list[Grocery] = field(default_factory=list)
    # Groceries where the person is a beneficiary with a linked account (the mobile shop).
    mobile_shops: list[Grocery] = field(default_factory=list)
    joinable_groups: list[Group] = field(default_factory=list)
    territory_counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (
            self.member_of
            or self.coordinates
            or self.volunteers_in
            or self.volunteer_groceries
            or self.producers
            or self.groceries
            or self.mobile_shops
        )


def _mobile_shops(user_id: int) -> list[Grocery]:
    return list(
        db.session.scalars(
            select(Grocery)
            .join(Beneficiary, Beneficiary.grocery_id == Grocery.id)
            .where(Beneficiary.user_id == user_id, Beneficiary.archived.is_(False))
            .order_by(Grocery.name)
        )
    )


def dashboard_for(user: User, now: datetime) -> Dashboard:
    memberships = db.session.execute(
        select(Membership.role, Organisation)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id == user.id)
        .order_by(Organisation.name)
    ).all()
    by_role: dict[str, list[Organisation]] = defaultdict(list)
    for role, organisation in memberships:
        by_role[role].append(organisation)

    producers = [org for org in by_role[Role.PRODUCER_STAFF] if isinstance(org, Producer)]
    supplied = _supplied_groups([producer.id for producer in producers])
    member_groups = [org for org in by_role[Role.MEMBER] if isinstance(org, Group)]
    volunteer_groups = [org for org in by_role[Role.VOLUNTEER] if isinstance(org, Group)]
    groups_to_show = {group.id: group for group in member_groups + volunteer_groups}
    for groups in supplied.values():
        groups_to_show.update({group.id: group for group in groups})
    overviews = {o.group.id: o for o in _group_overviews(list(groups_to_show.values()), now)}

    dashboard = Dashboard(
        member_of=[overviews[group.id] for group in member_groups],
        coordinates=[org for org in by_role[Role.COORDINATOR] if isinstance(org, Group)],
        volunteers_in=[overviews[group.id] for group in volunteer_groups],
        volunteer_groceries=[org for org in by_role[Role.VOLUNTEER] if isinstance(org, Grocery)],
        producers=producers,
        producer_groups={
            producer_id: [overviews[group.id] for group in groups]
            for producer_id, groups in supplied.items()
        },
        groceries=[org for org in by_role[Role.GROCERY_STAFF] if isinstance(org, Grocery)],
        mobile_shops=_mobile_shops(user.id),
    )
    if dashboard.is_empty:
        dashboard.joinable_groups = list(
            db.session.scalars(select(Group).order_by(Group.name)).all()
        )
    if user.is_admin:
        dashboard.territory_counts = _territory_counts(now)
    return dashboard


def _supplied_groups(producer_ids: list[int]) -> dict[int, list[Group]]:
    supplied: dict[int, list[Group]] = {producer_id: [] for producer_id in producer_ids}
    if not producer_ids:
        return supplied
    rows = db.session.execute(
        select(ProducerSuppliesGroup.producer_id, Group)
        .join(Group, Group.id == ProducerSuppliesGroup.group_id)
        .where(ProducerSuppliesGroup.producer_id.in_(producer_ids))
        .order_by(Group.name)
    ).all()
    for producer_id, group in rows:
        supplied[producer_id].append(group)
    return supplied


def _territory_counts(now: datetime) -> dict[str, int]:
    kinds = dict(
        db.session.execute(
            select(Organisation.kind, func.count()).group_by(Organisation.kind)
        ).all()
    )
    households = db.session.scalar(
        select(func.count(func.distinct(Membership.user_id))).where(Membership.role == Role.MEMBER)
    )
    upcoming = db.session.scalar(
        select(func.count()).select_from(DistributionDay).where(DistributionDay.starts_at >= now)
    )
    return {
        "groups": kinds.get(OrganisationKind.GROUP, 0),
        "producers": kinds.get(OrganisationKind.PRODUCER, 0),
        "groceries": kinds.get(OrganisationKind.GROCERY, 0),
        "households": households or 0,
        "upcoming_days": upcoming or 0,
    }
