"""Distribution days that ended with no tick at all on the checklist.

An empty checklist is no evidence that nobody came: the team may have used the paper sign-off
sheet, or no phone at all. Closing such a day automatically would mark every basket "not
collected" and credit it, while the producer delivered them. So the scheduler does not close
it: it flags it (an UntickedDay row, one per day) and tells the group's coordinators, who
settle it in one of two ways:

- household by household from the paper sheet: they tick the checklist, then close the day
  as usual (closing.close_day settles the flag "by hand");
- "everything was collected": `mark_all_collected` ticks every line still to hand over as
  collected and closes the day; nothing is credited.

A flag stays open (shown on the coordinators' pages) until one of them settles it. Settling
twice changes nothing: the flag is settled by one conditional UPDATE and the day's closing row
is unique. Services flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import User
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.access import has_role
from marketplace.organisations.models import Role
from marketplace.pickup import closing, roster
from marketplace.pickup.models import ChecklistTap, TapAction, TapTarget, UntickedDay
from marketplace.pickup.models import UntickedSettlement as Settlement
from marketplace.pickup.taps import TapIn, apply_taps

TICKS = (TapAction.COLLECTED.value, TapAction.NOT_COLLECTED.value)


@dataclass(frozen=True)
class AllCollected:
    """What `mark_all_collected` did: `already` when the day was settled before (nothing
    changed this time)."""

    flag: UntickedDay
    already: bool
    ticked: int = 0  # lines ticked "collected" by this call
    outcome: closing.ClosingOutcome | None = None


def has_ticks(day_id: int) -> bool:
    """Did anyone tick a line collected or not collected on the day's checklist?"""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ChecklistTap.distribution_day_id == day_id, ChecklistTap.action.in_(TICKS)
                )
            )
        )
    )


def needs_confirmation(day: DistributionDay) -> bool:
    """Nothing ticked although something was to hand over: the closing would be a guess."""
    if has_ticks(day.id):
        return False
    plan = closing.plan_closing(day)
    return bool(plan.uncollected or plan.pending_orders)


def flag_day(day: DistributionDay, now: datetime) -> UntickedDay | None:
    """Flag the day for the coordinators; None if it was flagged already (by a concurrent run)."""
    flag = UntickedDay(distribution_day_id=day.id, flagged_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(flag)
    except IntegrityError:
        return None
    return flag


def flag_of(day_id: int) -> UntickedDay | None:
    return db.session.scalar(select(UntickedDay).where(UntickedDay.distribution_day_id == day_id))


def open_flags(group_id: int) -> list[UntickedDay]:
    """The group's days waiting for a coordinator, oldest first (one query)."""
    return list(
        db.session.scalars(
            select(UntickedDay)
            .join(DistributionDay, DistributionDay.id == UntickedDay.distribution_day_id)
            .options(
                joinedload(UntickedDay.distribution_day).joinedload(DistributionDay.pickup_point)
            )
            .where(DistributionDay.group_id == group_id, UntickedDay.settled_at.is_(None))
            .order_by(DistributionDay.starts_at, DistributionDay.id)
        )
    )


def open_counts(group_ids: list[int]) -> dict[int, int]:
    """Per group, how many days wait for a coordinator (one query for all of them)."""
    if not group_ids:
        return {}
    rows = db.session.execute(
        select(DistributionDay.group_id, func.count(UntickedDay.id))
        .join(DistributionDay, DistributionDay.id == UntickedDay.distribution_day_id)
        .where(DistributionDay.group_id.in_(group_ids), UntickedDay.settled_at.is_(None))
        .group_by(DistributionDay.group_id)
    ).all()
    return {group_id: count for group_id, count in rows}


def mark_all_collected(day: DistributionDay, by_user: User, now: datetime) -> AllCollected:
    """A coordinator says every basket and order still to hand over on the flagged day was
    collected (the paper sheet says so): each is ticked "collected", the day is closed, nothing
    is credited. A second call, or a call after the day was settled otherwise, changes nothing
    and answers `already`."""
    if not has_role(by_user, day.group, Role.COORDINATOR):
        raise DomainError(_("Seule la coordination du groupe peut confirmer cette distribution."))
    # The same row lock as the checklist's taps and the closing: one settlement at a time.
    db.session.execute(
        select(DistributionDay.id).where(DistributionDay.id == day.id).with_for_update()
    )
    flag = flag_of(day.id)
    if flag is None:
        raise DomainError(_("Cette distribution n'attend pas de confirmation de la coordination."))
    if not flag.is_open or not closing.settle_flag(
        day.id, by_user.id, now, Settlement.ALL_COLLECTED
    ):
        db.session.refresh(flag)
        return AllCollected(flag, already=True)
    taps = _all_collected_taps(day, now)
    apply_taps(day, by_user, taps, now)
    grocery = closing.grocery_for_group(day.group_id)
    outcome = closing.close_day(
        day,
        now=now,
        closed_by_id=by_user.id,
        may_close_early=True,
        grocery_id=grocery.id if grocery else None,
        require_grocery=False,
    )
    db.session.refresh(flag)
    return AllCollected(flag, already=False, ticked=len(taps), outcome=outcome)


def _all_collected_taps(day: DistributionDay, now: datetime) -> list[TapIn]:
    """A "collected" tap for every basket and order still to hand over (ids made here, so a
    replay is recognised)."""
    taps: list[TapIn] = []
    orders: set[int] = set()
    for line in roster.household_lines(day.id):
        for basket in line.baskets:
            if basket.state == roster.PENDING:
                taps.append(_tap(day, TapTarget.DELIVERY.value, basket.delivery_id, now))
        for extra in line.extras:
            if extra.state == roster.PENDING and extra.order_id not in orders:
                orders.add(extra.order_id)
                taps.append(_tap(day, extra.order_kind, extra.order_id, now))
    return taps


def _tap(day: DistributionDay, kind: str, target_id: int, now: datetime) -> TapIn:
    return TapIn(
        tap_id=f"all-collected:{day.id}:{kind}:{target_id}",
        target_kind=kind,
        target_id=target_id,
        action=TapAction.COLLECTED.value,
        tapped_at=now,
        device_id="coordination",
    )
