"""Who a message can be for: a small registry of segments, each a function returning users.

A segment names its choices (the contracts, the distribution days…) and the households behind
one choice. Another domain adds its own with `register`; only registered segments are
offered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    Delivery,
    DeliveryState,
    OfferStatus,
    Subscription,
    SubscriptionStatus,
)
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.membership.queries import lapsed_members
from marketplace.organisations.models import Membership, Role
from marketplace.payments.statements import group_arrears
from marketplace.shifts.models import ShiftSignup, ShiftState
from marketplace.shop.models import Order, OrderStatus
from marketplace.timezones import paris_today

Choice = tuple[int | None, str]  # (segment_value, label); None: the segment takes no value


@dataclass(frozen=True)
class Segment:
    key: str
    label: object  # a lazy string
    # The values to choose from in this group (a producer sees its own contracts only).
    choices: Callable[[Group, int | None], list[Choice]]
    # The ids of the users behind one value (a SELECT of user ids).
    user_ids: Callable[[Group, int | None], Select]
    producers_may_use: bool = False


SEGMENTS: dict[str, Segment] = {}


def register(segment: Segment) -> Segment:
    if segment.key in SEGMENTS:
        raise ValueError(f"Segment {segment.key!r} is registered twice.")
    SEGMENTS[segment.key] = segment
    return segment


def users_of(segment: Segment, group: Group, value: int | None) -> list[User]:
    """The households behind one choice, by name (one query)."""
    ids = segment.user_ids(group, value).scalar_subquery()
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(ids), User.is_active_account)
            .order_by(User.name, User.id)
        )
    )


# --- the group's own segments ------------------------------------------------------------------


def _whole_group_ids(group: Group, value: int | None) -> Select:
    return select(Membership.user_id).where(
        Membership.organisation_id == group.id, Membership.role == Role.MEMBER.value
    )


def _contracts(group: Group, producer_id: int | None) -> list[Choice]:
    query = select(BasketOffer.id, BasketOffer.name).where(
        BasketOffer.group_id == group.id, BasketOffer.status != OfferStatus.DRAFT.value
    )
    if producer_id is not None:
        query = query.where(BasketOffer.producer_id == producer_id)
    return [
        (offer_id, name) for offer_id, name in db.session.execute(query.order_by(BasketOffer.name))
    ]


def _subscriber_ids(group: Group, value: int | None) -> Select:
    return select(Subscription.user_id).where(
        Subscription.group_id == group.id,
        Subscription.offer_id == value,
        Subscription.status == SubscriptionStatus.ACTIVE.value,
    )


def _days(group: Group, producer_id: int | None) -> list[Choice]:
    """Distribution days from a week ago to five weeks ahead, with their pickup point."""
    today = paris_today()
    days = db.session.scalars(
        select(DistributionDay)
        .where(
            DistributionDay.group_id == group.id,
            DistributionDay.day >= today - timedelta(days=7),
            DistributionDay.day <= today + timedelta(days=35),
        )
        .order_by(DistributionDay.day, DistributionDay.id)
        .limit(40)
    ).all()
    points = {point.id: point.name for point in group_points(group)}
    return [
        (day.id, f"{format_date(day.day, 'full')} — {points.get(day.pickup_point_id, '')}")
        for day in days
    ]


def group_points(group: Group):
    from marketplace.delivery.models import PickupPoint

    return db.session.scalars(select(PickupPoint).where(PickupPoint.group_id == group.id))


def _collecting_ids(group: Group, value: int | None) -> Select:
    baskets = (
        select(Subscription.user_id)
        .join(Delivery, Delivery.subscription_id == Subscription.id)
        .where(
            Subscription.group_id == group.id,
            Delivery.distribution_day_id == value,
            Delivery.state.not_in([DeliveryState.ABSENT.value, DeliveryState.DONATED.value]),
        )
    )
    orders = select(Order.user_id).where(
        Order.distribution_day_id == value,
        Order.grocery_id.is_(None),
        Order.status == OrderStatus.PLACED.value,
        Order.distribution_day_id.in_(
            select(DistributionDay.id).where(DistributionDay.group_id == group.id)
        ),
    )
    return baskets.union(orders)


def _volunteer_ids(group: Group, value: int | None) -> Select:
    return select(ShiftSignup.user_id).where(
        ShiftSignup.distribution_day_id == value,
        ShiftSignup.state == ShiftState.SIGNED_UP.value,
        ShiftSignup.distribution_day_id.in_(
            select(DistributionDay.id).where(DistributionDay.group_id == group.id)
        ),
    )


def _arrears_ids(group: Group, value: int | None) -> Select:
    owing = [row.user_id for row in group_arrears(group.id, today=paris_today()).rows]
    return select(User.id).where(User.id.in_(owing))


def _lapsed_ids(group: Group, value: int | None) -> Select:
    lapsed = [user.id for user in lapsed_members(group.id, paris_today())]
    return select(User.id).where(User.id.in_(lapsed))


def _no_value(group: Group, producer_id: int | None) -> list[Choice]:
    return [(None, "")]


register(Segment("group", _l("Tout le groupe"), _no_value, _whole_group_ids))
register(
    Segment(
        "contract",
        _l("Abonnés d'un contrat"),
        _contracts,
        _subscriber_ids,
        producers_may_use=True,
    )
)
register(Segment("pickup", _l("Foyers attendus à une distribution"), _days, _collecting_ids))
register(Segment("volunteers", _l("Bénévoles d'une distribution"), _days, _volunteer_ids))
register(Segment("arrears", _l("Foyers en retard de paiement"), _no_value, _arrears_ids))
register(Segment("lapsed", _l("Membres dont l'adhésion a expiré"), _no_value, _lapsed_ids))
