"""What the pre-order pages read: coming stops of the van, pre-orders, the stock on offer.

Each function is a fixed number of queries, whatever the number of runs or pre-orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select, true
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.grocery_shop import stock
from marketplace.grocery_shop.models import (
    Beneficiary,
    PreOrder,
    PreOrderLine,
    PreOrderStatus,
    StockItem,
)
from marketplace.grocery_shop.preorders import cutoff_hours
from marketplace.routes.models import Route, RouteRun, RouteStop, RunStatus, RunStop
from marketplace.timezones import local_instant

COMING_STOPS_LIMIT = 200  # a few weeks of runs: enough to choose from, bounded for the page


@dataclass(frozen=True)
class StopChoice:
    run_stop_id: int
    stop_id: int
    day: date
    route_name: str
    village: str
    place: str
    arrives_at: datetime
    cutoff_at: datetime


@dataclass(frozen=True)
class RunSummary:
    run: RouteRun
    route_name: str
    pre_orders: int


@dataclass(frozen=True)
class PreOrderRow:
    """A line of the staff's list (the staff may see the tier; nobody else reads this)."""

    id: int
    beneficiary_id: int
    run_stop_id: int
    household_name: str
    tier_percent: int
    total_cents: int
    day: date
    run_id: int
    village: str
    arrives_at: datetime
    cutoff_at: datetime
    run_cancelled: bool
    run_moved: bool  # the run takes place on another day than its timetable's


def beneficiary_of(user_id: int, grocery_id: int) -> Beneficiary | None:
    """The household a person's account is linked to at this grocery, if any."""
    return db.session.scalar(
        select(Beneficiary).where(
            Beneficiary.user_id == user_id, Beneficiary.grocery_id == grocery_id
        )
    )


def open_run_stops(grocery_id: int, now: datetime) -> list[StopChoice]:
    """Stops of scheduled runs whose pre-orders are still open, by date then visiting order."""
    hours = timedelta(hours=cutoff_hours())
    rows = db.session.execute(
        select(
            RunStop.id,
            RunStop.stop_id,
            RunStop.arrives_at,
            RouteRun.day,
            RouteRun.departs_at,
            Route.name,
            RouteStop.village,
            RouteStop.place,
        )
        .join(RouteRun, RouteRun.id == RunStop.run_id)
        .join(Route, Route.id == RouteRun.route_id)
        .join(RouteStop, RouteStop.id == RunStop.stop_id)
        .where(
            Route.grocery_id == grocery_id,
            RouteRun.status == RunStatus.SCHEDULED,
            RouteRun.departs_at > now + hours,
        )
        .order_by(RouteRun.departs_at, RouteRun.id, RunStop.position)
        .limit(COMING_STOPS_LIMIT)
    )
    return [
        StopChoice(
            run_stop_id=row[0],
            stop_id=row[1],
            arrives_at=row[2],
            day=row[3],
            cutoff_at=row[4] - hours,
            route_name=row[5],
            village=row[6],
            place=row[7],
        )
        for row in rows
    ]


def usual_stop_ids(beneficiary_id: int) -> set[int]:
    """The route stops where the household has pre-ordered before."""
    return set(
        db.session.scalars(
            select(RunStop.stop_id)
            .join(PreOrder, PreOrder.run_stop_id == RunStop.id)
            .where(PreOrder.beneficiary_id == beneficiary_id)
            .distinct()
        )
    )


def coming_runs(grocery_id: int, today: date, *, limit: int = 30) -> list[RunSummary]:
    """The grocery's runs from today on, with the number of live pre-orders of each."""
    live = (
        select(RunStop.run_id, func.count(PreOrder.id).label("count"))
        .join(PreOrder, PreOrder.run_stop_id == RunStop.id)
        .where(PreOrder.status == PreOrderStatus.PLACED)
        .group_by(RunStop.run_id)
        .subquery()
    )
    rows = db.session.execute(
        select(RouteRun, Route.name, func.coalesce(live.c.count, 0))
        .join(Route, Route.id == RouteRun.route_id)
        .outerjoin(live, live.c.run_id == RouteRun.id)
        .where(Route.grocery_id == grocery_id, RouteRun.day >= today)
        .order_by(RouteRun.day, RouteRun.departs_at, RouteRun.id)
        .limit(limit)
    )
    return [RunSummary(run=row[0], route_name=row[1], pre_orders=row[2]) for row in rows]


def staff_preorders_query(grocery_id: int, today: date, household: str = "") -> Select:
    """Live pre-orders of the grocery's runs from today on; `household` searches the
    households' names (the list grows with the territory). Rows go through `preorder_row`."""
    wanted = (
        Beneficiary.household_name.icontains(household.strip(), autoescape=True)
        if household.strip()
        else true()
    )
    return (
        select(
            PreOrder.id,
            PreOrder.beneficiary_id,
            PreOrder.run_stop_id,
            Beneficiary.household_name,
            PreOrder.tier_percent,
            PreOrder.total_cents,
            RouteRun.day,
            RouteRun.id,
            RouteStop.village,
            RunStop.arrives_at,
            RouteRun.departs_at,
            RouteRun.status,
            RouteRun.occurrence_date,
        )
        .join(Beneficiary, Beneficiary.id == PreOrder.beneficiary_id)
        .join(RunStop, RunStop.id == PreOrder.run_stop_id)
        .join(RouteRun, RouteRun.id == RunStop.run_id)
        .join(RouteStop, RouteStop.id == RunStop.stop_id)
        .where(
            PreOrder.grocery_id == grocery_id,
            PreOrder.status == PreOrderStatus.PLACED,
            RouteRun.departs_at >= local_instant(today, datetime.min.time()),
            wanted,
        )
        .order_by(RouteRun.departs_at, RunStop.position, Beneficiary.household_name, PreOrder.id)
    )


def preorder_row(row) -> PreOrderRow:
    return PreOrderRow(
        *row[:9],
        arrives_at=row[9],
        cutoff_at=row[10] - timedelta(hours=cutoff_hours()),
        run_cancelled=row[11] == RunStatus.CANCELLED,
        run_moved=row[6] != row[12],
    )


def staff_preorders(grocery_id: int, today: date, household: str = "") -> list[PreOrderRow]:
    """The whole list (one query)."""
    query = staff_preorders_query(grocery_id, today, household)
    return [preorder_row(row) for row in db.session.execute(query)]


def household_preorders(beneficiary_id: int, today: date) -> list[PreOrder]:
    """A household's live pre-orders from today on, with their lines and stops."""
    return list(
        db.session.scalars(
            select(PreOrder)
            .join(RunStop, RunStop.id == PreOrder.run_stop_id)
            .join(RouteRun, RouteRun.id == RunStop.run_id)
            .options(
                selectinload(PreOrder.lines).selectinload(PreOrderLine.stock_item),
                selectinload(PreOrder.run_stop).selectinload(RunStop.run),
                selectinload(PreOrder.run_stop).selectinload(RunStop.stop),
            )
            .where(
                PreOrder.beneficiary_id == beneficiary_id,
                PreOrder.status == PreOrderStatus.PLACED,
                RouteRun.day >= today,
            )
            .order_by(RouteRun.departs_at, PreOrder.id)
        )
    )


def preorder_of_grocery(grocery_id: int, pre_order_id: int) -> PreOrder | None:
    return db.session.scalar(
        select(PreOrder)
        .options(selectinload(PreOrder.lines))
        .where(PreOrder.id == pre_order_id, PreOrder.grocery_id == grocery_id)
    )


def run_stop_of_grocery(grocery_id: int, run_stop_id: int) -> RunStop | None:
    """A run stop if it is on one of the grocery's routes (another grocery's is not found)."""
    return db.session.scalar(
        select(RunStop)
        .join(RouteRun, RouteRun.id == RunStop.run_id)
        .join(Route, Route.id == RouteRun.route_id)
        .options(selectinload(RunStop.run), selectinload(RunStop.stop))
        .where(RunStop.id == run_stop_id, Route.grocery_id == grocery_id)
    )


def items_on_offer(grocery_id: int, ordered: dict[int, int]) -> list[StockItem]:
    """What can be pre-ordered: items with something left, and those already in the order."""
    return [
        item
        for item in stock.stock_items(grocery_id)
        if item.available_milli > 0 or item.id in ordered
    ]
