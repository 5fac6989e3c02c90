"""Seasons planned whole: each live subscription has one delivery per covered day of its season.

The written rule, applied by `plan_seasons` when the calendar changes (in the same transaction),
every night (the `plan_seasons` job) and by `flask seasons repair`:

- A covered day (a scheduled distribution day of the subscription's pickup point, within the
  season, at the contract's rhythm) whose order window was open when the household signed and
  is still open now gets a delivery at the subscription's price, booked as a commitment, with
  new installments after the last one (the contract's payment plan, none due before today).
  A covered day whose window has closed without a delivery is reported, never billed: nobody
  harvests a basket for a day already past.
- A delivery whose day is cancelled (a public holiday, an exception, a closed pickup point)
  becomes "cancelled". By the contract's `cancelled_day_policy`, its baskets are carried by the
  next planned delivery ("postpone"), or credited ("credit", also when no delivery follows): a
  ledger credit, the pledged gift withdrawn, and the unpaid installments lowered by as much
  (what was already paid stays in the household's favour on its statement).
- A day scheduled again gets its delivery back: the carried baskets return from the later
  delivery when it is still to come, otherwise the basket is billed again like an added one.
- An absence or a basket already handed over is never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    Delivery,
    DeliveryState,
    OfferStatus,
    Subscription,
    SubscriptionStatus,
    TierStatus,
)
from marketplace.baskets.schedule import (
    CandidateDay,
    Season,
    covered_days,
    remaining_days,
    tier_price_cents,
)
from marketplace.baskets.season_batch import (
    PlanReport,
    SeasonBatch,
    SubscriptionRow,
    added_change,
)
from marketplace.baskets.season_care import CANCELLABLE_STATES, SubscriptionPlanner
from marketplace.delivery import followers
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.timezones import paris_today


def season_ends_by_group(group_ids: Collection[int] | None) -> dict[int, date]:
    """The end of the longest season of each group's published contracts."""
    query = (
        select(BasketOffer.group_id, func.max(BasketOffer.season_ends_on))
        .where(BasketOffer.status == OfferStatus.PUBLISHED.value)
        .group_by(BasketOffer.group_id)
    )
    if group_ids is not None:
        query = query.where(BasketOffer.group_id.in_(list(group_ids)))
    return {group_id: day for group_id, day in db.session.execute(query)}


def plan_seasons(
    now: datetime,
    *,
    group_ids: Collection[int] | None = None,
    offer_ids: Collection[int] | None = None,
) -> PlanReport:
    """Bring every live subscription (of these groups or offers) in line with its season."""
    report = PlanReport()
    query = (
        select(*(getattr(Subscription, name) for name in _ROW_COLUMNS), User.email, User.language)
        .join(User, User.id == Subscription.user_id)
        .where(Subscription.status == SubscriptionStatus.ACTIVE.value)
        .order_by(Subscription.offer_id, Subscription.id)
    )
    if group_ids is not None:
        query = query.where(Subscription.group_id.in_(list(group_ids)))
    if offer_ids is not None:
        query = query.where(Subscription.offer_id.in_(list(offer_ids)))
    if db.session.get_bind().dialect.name != "sqlite":
        # A sign-up, an absence or a cancellation running meanwhile waits for this plan.
        query = query.with_for_update(of=Subscription)
    by_offer: dict[int, list[SubscriptionRow]] = defaultdict(list)
    for values in db.session.execute(query):
        row = SubscriptionRow(*values)
        by_offer[row.offer_id].append(row)
    if by_offer:
        offers = db.session.scalars(
            select(BasketOffer)
            .where(BasketOffer.id.in_(list(by_offer)))
            .options(selectinload(BasketOffer.sizes), selectinload(BasketOffer.tiers))
        )
        for offer in sorted(offers, key=lambda offer: offer.id):
            _plan_offer(offer, by_offer[offer.id], now, report)
    db.session.flush()
    return report


_ROW_COLUMNS = (
    "id",
    "offer_id",
    "group_id",
    "user_id",
    "size_id",
    "tier_id",
    "tier_status",
    "pickup_point_id",
    "payment_plan",
    "donation_per_delivery_cents",
    "created_at",
)


def _plan_offer(
    offer: BasketOffer, rows: list[SubscriptionRow], now: datetime, report: PlanReport
) -> None:
    point_ids = {row.pickup_point_id for row in rows}
    days = db.session.scalars(
        select(DistributionDay).where(
            DistributionDay.group_id == offer.group_id,
            DistributionDay.pickup_point_id.in_(point_ids),
            DistributionDay.day >= offer.season_starts_on,
            DistributionDay.day <= offer.season_ends_on,
        )
    ).all()
    days_by_id = {day.id: day for day in days}
    candidates: dict[int, list[CandidateDay]] = defaultdict(list)
    for day in days:
        candidates[day.pickup_point_id].append(
            CandidateDay(day.day, day.order_closes_at, day.is_cancelled, ref=day.id)
        )
    existing: dict[int, dict[int, str]] = defaultdict(dict)
    for subscription_id, day_id, state in db.session.execute(
        select(Delivery.subscription_id, Delivery.distribution_day_id, Delivery.state)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(
            Subscription.offer_id == offer.id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
        )
    ):
        existing[subscription_id][day_id] = state
    season = Season(offer.season_starts_on, offer.season_ends_on, offer.frequency)
    covered = {point_id: covered_days(candidates[point_id], season) for point_id in point_ids}
    sizes = {size.id: size for size in offer.sizes}
    tiers = {tier.id: tier for tier in offer.tiers}
    batch = SeasonBatch(offer, paris_today(now))
    for row in rows:
        report.subscriptions += 1
        signed_for = remaining_days(covered[row.pickup_point_id], row.created_at)
        states = existing.get(row.id, {})
        missing = [
            days_by_id[candidate.ref] for candidate in signed_for if candidate.ref not in states
        ]
        to_add = [day for day in missing if now < day.order_closes_at]
        size_price = sizes[row.size_id].price_cents
        price = size_price
        if row.tier_status == TierStatus.APPROVED.value:
            price = tier_price_cents(size_price, tiers[row.tier_id].percent)
        needs_fund = bool(to_add) and (row.donation_per_delivery_cents > 0 or price < size_price)
        if needs_fund or _needs_care(states, days_by_id, now):
            # The rare cases, one subscription at a time with its objects.
            subscription = db.session.get(Subscription, row.id)
            deliveries = list(
                db.session.scalars(select(Delivery).where(Delivery.subscription_id == row.id))
            )
            planner = SubscriptionPlanner(subscription, days_by_id, now, report)
            planner.plan(signed_for, deliveries)
            continue
        report.missed += len(missing) - len(to_add)
        if to_add:
            report.added_cents += batch.add(row, to_add, price)
            report.added += len(to_add)
            report.lines.append(f"{row.email} — {offer.name} : {added_change(to_add)}")
    batch.write()


def _needs_care(states: dict[int, str], days_by_id: dict, now: datetime) -> bool:
    """True when one of the subscription's deliveries has a day cancelled, or back."""
    for day_id, state in states.items():
        day = days_by_id.get(day_id)
        if day is None:
            continue
        if day.is_cancelled and state in CANCELLABLE_STATES:
            return True
        if not day.is_cancelled and state == DeliveryState.CANCELLED and now < day.order_closes_at:
            return True
    return False


def _days_changed(group_ids: Collection[int], now: datetime) -> None:
    plan_seasons(now, group_ids=group_ids)


SEASON_FOLLOWER = followers.CalendarFollower(
    name="basket-seasons",
    days_needed_until=season_ends_by_group,
    days_changed=_days_changed,
)
