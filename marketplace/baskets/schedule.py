"""The arithmetic of a season contract: which days it covers, prices per tier, installments.

Pure functions on plain values (no database), so proration, rounding and schedules can be
checked exhaustively by unit tests and reused by every screen that shows a total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from marketplace.baskets.models import Frequency, PaymentPlan

# A per-delivery installment falls due this long before the pickup day, so the producer is
# paid ahead of the harvest, as prefinancing means.
PER_DELIVERY_LEAD = timedelta(days=2)


class NoDeliveriesError(ValueError):
    """A schedule was asked for a season without any delivery."""


@dataclass(frozen=True)
class Season:
    """What of an offer decides the days it covers."""

    starts_on: date
    ends_on: date
    frequency: str  # a Frequency value


@dataclass(frozen=True)
class CandidateDay:
    """A distribution day at one pickup point; `ref` carries the caller's id through."""

    day: date
    order_closes_at: datetime
    cancelled: bool = False
    ref: int | None = None


@dataclass(frozen=True)
class PlannedInstallment:
    sequence: int
    due_on: date
    amount_cents: int


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _in_covered_week(day: date, season: Season) -> bool:
    if season.frequency != Frequency.FORTNIGHTLY:
        return True
    # Weeks counted from the ISO week of the season's start: 0, 2, 4... are covered.
    weeks = (_monday(day) - _monday(season.starts_on)).days // 7
    return weeks % 2 == 0


def covered_days(days: Iterable[CandidateDay], season: Season) -> list[CandidateDay]:
    """The scheduled days of one pickup point that the offer delivers, in date order."""
    covered = [
        candidate
        for candidate in days
        if not candidate.cancelled
        and season.starts_on <= candidate.day <= season.ends_on
        and _in_covered_week(candidate.day, season)
    ]
    return sorted(covered, key=lambda candidate: (candidate.day, candidate.order_closes_at))


def remaining_days(covered: Iterable[CandidateDay], now: datetime) -> list[CandidateDay]:
    """The covered days still open at `now`: a mid-season sign-up pays only for those."""
    return [candidate for candidate in covered if now < candidate.order_closes_at]


def tier_price_cents(size_price_cents: int, percent: int) -> int:
    """`percent` % of a price, rounded half up to the cent, in whole-number arithmetic."""
    if size_price_cents < 0 or percent < 0:
        raise ValueError("Prices and percentages are never negative.")
    return (size_price_cents * percent + 50) // 100


def installment_plan(
    deliveries: list[tuple[date, int]], plan: str, signed_on: date
) -> list[PlannedInstallment]:
    """The payment schedule of deliveries given as (day, price in cents).

    Each delivery's price lands in exactly one installment, so the installments always add
    up to the deliveries' total. A due date is never before the day of signing.
    """
    if not deliveries:
        raise NoDeliveriesError("A payment schedule needs at least one delivery.")
    groups: dict[object, list[tuple[date, int]]] = {}
    for position, (day, price_cents) in enumerate(sorted(deliveries)):
        groups.setdefault(_group_key(day, plan, position), []).append((day, price_cents))
    planned: list[PlannedInstallment] = []
    for members in groups.values():
        amount = sum(price_cents for _, price_cents in members)
        if amount <= 0:  # free deliveries owe nothing: an installment is always positive
            continue
        due_on = max(_first_due_on(members[0][0], plan), signed_on)
        planned.append(PlannedInstallment(len(planned) + 1, due_on, amount))
    return planned


def _group_key(day: date, plan: str, position: int) -> object:
    """Which installment a delivery falls in."""
    if plan == PaymentPlan.SEASON:
        return "season"
    if plan == PaymentPlan.MONTHLY:
        return (day.year, day.month)
    if plan == PaymentPlan.PER_DELIVERY:
        return position
    raise ValueError(f"Unknown payment plan: {plan!r}")


def _first_due_on(day: date, plan: str) -> date:
    """When an installment falls due, before the day of signing is taken into account."""
    if plan == PaymentPlan.MONTHLY:
        return day.replace(day=1)
    if plan == PaymentPlan.PER_DELIVERY:
        return day - PER_DELIVERY_LEAD
    return date.min  # the whole season is due on signing
