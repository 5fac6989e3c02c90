"""Telling households when the van's run they pre-ordered for moves to another day.

A run is moved by a route exception (routes/runs.py sets RouteRun.day and restamps its stops);
its placed pre-orders stay with it. `PreOrder.moved_notice_for` remembers the day the household
was last told about, so the rule is: the household must end up knowing the run's real day.

- A pre-order of a scheduled, not started, not closed run is told when the day it knows is not
  the run's day: the run was moved (day != occurrence_date) and it was never told, or told
  about another day (moved twice), or the run came back to its own date after the household had
  been told about the other one.
- A pre-order placed after the move was decided (its created_at is not before the exception's)
  was made for the new day: nobody tells it, it is only stamped, so a later move is told.
- A run moved and moved back before anyone was told: the household knows the right day already.

Like run_closing.py, nothing here commits: the job marks, commits, then sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import contains_eager

from marketplace.extensions import db
from marketplace.grocery_shop.models import Beneficiary, PreOrder, PreOrderStatus, RunClosing
from marketplace.grocery_shop.preorders import cutoff_at
from marketplace.routes.models import (
    RouteException,
    RouteExceptionKind,
    RouteRun,
    RunStatus,
    RunStop,
)


@dataclass(frozen=True)
class MoveNotice:
    """A pre-order whose household does not know the run's day on record yet."""

    pre_order: PreOrder
    chosen_after_move: bool  # placed once the move was known: stamped, not emailed


@dataclass(frozen=True)
class MovedPreOrder:
    """What the emails need, read before the commit (plain values, no lazy loading after)."""

    pre_order_id: int
    run_id: int
    run_stop_id: int
    grocery_id: int
    route_name: str
    village: str
    place: str
    old_day: date  # the day the household knew
    new_day: date
    arrives_at: datetime
    departs_at: datetime
    cutoff_at: datetime
    household_name: str
    phone: str
    user_id: int | None


def preorders_of_moved_runs(now: datetime) -> list[MoveNotice]:
    """Placed pre-orders whose household does not know their run's current day, in one query
    with their run, route, stop and household (locked on PostgreSQL: two jobs tell once)."""
    move = and_(
        RouteException.route_id == RouteRun.route_id,
        RouteException.occurrence_date == RouteRun.occurrence_date,
        RouteException.kind == RouteExceptionKind.MOVED.value,
        RouteException.moved_to == RouteRun.day,
    )
    rows = db.session.execute(
        select(PreOrder, RouteException.created_at)
        .join(PreOrder.run_stop)
        .join(RunStop.run)
        .join(RouteRun.route)
        .join(RunStop.stop)
        .join(PreOrder.beneficiary)
        .outerjoin(RouteException, move)
        .options(
            contains_eager(PreOrder.run_stop).options(
                contains_eager(RunStop.run).contains_eager(RouteRun.route),
                contains_eager(RunStop.stop),
            ),
            contains_eager(PreOrder.beneficiary),
        )
        .where(
            PreOrder.status == PreOrderStatus.PLACED.value,
            RouteRun.status == RunStatus.SCHEDULED.value,
            RouteRun.departs_at > now,
            ~exists().where(RunClosing.run_id == RouteRun.id),
            # Moved, or back on its own date after the household heard of another one...
            or_(
                RouteRun.day != RouteRun.occurrence_date,
                PreOrder.moved_notice_for.is_not(None),
            ),
            # ...and the household has not been told about this day.
            or_(PreOrder.moved_notice_for.is_(None), PreOrder.moved_notice_for != RouteRun.day),
        )
        .order_by(RouteRun.id, RunStop.position, Beneficiary.household_name, PreOrder.id)
        .with_for_update(of=PreOrder)
    ).all()
    return [
        MoveNotice(
            pre_order=pre_order,
            chosen_after_move=moved_at is not None
            and pre_order.moved_notice_for is None
            and pre_order.created_at >= moved_at,
        )
        for pre_order, moved_at in rows
    ]


def mark_told(notices: list[MoveNotice]) -> list[MovedPreOrder]:
    """Stamp each pre-order with its run's day; the ones whose household must be told."""
    to_tell = []
    for notice in notices:
        pre_order = notice.pre_order
        if not notice.chosen_after_move:
            to_tell.append(describe(pre_order))
        pre_order.moved_notice_for = pre_order.run_stop.run.day
    db.session.flush()
    return to_tell


def describe(pre_order: PreOrder) -> MovedPreOrder:
    """Read before the pre-order is stamped: the old day is the one the household knew."""
    run_stop = pre_order.run_stop
    run = run_stop.run
    beneficiary = pre_order.beneficiary
    return MovedPreOrder(
        pre_order_id=pre_order.id,
        run_id=run.id,
        run_stop_id=run_stop.id,
        grocery_id=pre_order.grocery_id,
        route_name=run.route.name,
        village=run_stop.stop.village,
        place=run_stop.stop.place,
        old_day=pre_order.moved_notice_for or run.occurrence_date,
        new_day=run.day,
        arrives_at=run_stop.arrives_at,
        departs_at=run_stop.departs_at,
        cutoff_at=cutoff_at(run),
        household_name=beneficiary.household_name,
        phone=beneficiary.phone,
        user_id=beneficiary.user_id,
    )
