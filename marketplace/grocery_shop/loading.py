"""What the van carries on a run: the loading list and the driver's sheet.

Both read the same three queries (the run with its route and van, its stops, the lines of its
live pre-orders), whatever the number of pre-orders. The van's load is counted the way it is
packed: one crate per household's pre-order, and the loose kilos and litres (a litre counted as
a kilo) against the van's capacity in kg when it has one. Pieces, jars and bunches have no
weight on record: they are in the crates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select, true

from marketplace.catalogue.models import MILLI, Unit
from marketplace.extensions import db
from marketplace.grocery_shop.models import (
    Beneficiary,
    PreOrder,
    PreOrderLine,
    PreOrderStatus,
    StockItem,
)
from marketplace.routes.models import Route, RouteRun, RouteStop, RunStatus, RunStop, Van

WEIGHED_UNITS = (Unit.KG.value, Unit.LITRE.value)


@dataclass
class ProductLoad:
    stock_item_id: int
    name: str
    unit: str
    quantity_milli: int = 0


@dataclass
class HouseholdLoad:
    pre_order_id: int
    household_name: str
    products: list[ProductLoad] = field(default_factory=list)


@dataclass
class StopLoad:
    run_stop_id: int
    position: int
    village: str
    place: str
    arrives_at: datetime
    departs_at: datetime
    households: list[HouseholdLoad] = field(default_factory=list)
    products: list[ProductLoad] = field(default_factory=list)  # totals at this stop

    @property
    def crates(self) -> int:
        return len(self.households)


@dataclass
class RunLoad:
    run: RouteRun
    route_name: str
    van_name: str
    capacity_crates: int
    capacity_kg: int | None
    stops: list[StopLoad]
    products: list[ProductLoad]  # totals for the whole van
    weighed_milli: int  # kg and litres, in thousandths

    @property
    def cancelled(self) -> bool:
        return self.run.status == RunStatus.CANCELLED

    @property
    def crates(self) -> int:
        return sum(stop.crates for stop in self.stops)

    @property
    def over_crates(self) -> bool:
        return self.crates > self.capacity_crates

    @property
    def over_kg(self) -> bool:
        return self.capacity_kg is not None and self.weighed_milli > self.capacity_kg * MILLI

    @property
    def over_capacity(self) -> bool:
        return self.over_crates or self.over_kg


def run_load(grocery_id: int, run_id: int) -> RunLoad | None:
    """The run of one of the grocery's routes and what it carries; None for another grocery's."""
    found = db.session.execute(
        select(RouteRun, Route.name, Van.name, Van.capacity_crates, Van.capacity_kg)
        .join(Route, Route.id == RouteRun.route_id)
        .join(Van, Van.id == Route.van_id)
        .where(RouteRun.id == run_id, Route.grocery_id == grocery_id)
    ).one_or_none()
    if found is None:
        return None
    run, route_name, van_name, capacity_crates, capacity_kg = found
    stops = {
        run_stop.id: StopLoad(
            run_stop_id=run_stop.id,
            position=run_stop.position,
            village=village,
            place=place,
            arrives_at=run_stop.arrives_at,
            departs_at=run_stop.departs_at,
        )
        for run_stop, village, place in db.session.execute(
            select(RunStop, RouteStop.village, RouteStop.place)
            .join(RouteStop, RouteStop.id == RunStop.stop_id)
            .where(RunStop.run_id == run.id)
            .order_by(RunStop.position, RunStop.id)
        )
    }
    totals: dict[int, ProductLoad] = {}
    stop_totals: dict[int, dict[int, ProductLoad]] = {stop_id: {} for stop_id in stops}
    weighed = 0
    for row in db.session.execute(_lines_of_run(run.id)):
        stop = stops[row.run_stop_id]
        if not stop.households or stop.households[-1].pre_order_id != row.pre_order_id:
            stop.households.append(HouseholdLoad(row.pre_order_id, row.household_name))
        stop.households[-1].products.append(
            ProductLoad(row.stock_item_id, row.name, row.unit, row.quantity_milli)
        )
        _add(totals, row)
        _add(stop_totals[row.run_stop_id], row)
        if row.unit in WEIGHED_UNITS:
            weighed += row.quantity_milli
    for stop_id, stop in stops.items():
        stop.products = _by_name(stop_totals[stop_id])
    return RunLoad(
        run=run,
        route_name=route_name,
        van_name=van_name,
        capacity_crates=capacity_crates,
        capacity_kg=capacity_kg,
        stops=list(stops.values()),
        products=_by_name(totals),
        weighed_milli=weighed,
    )


@dataclass(frozen=True)
class VanFill:
    """How full the van of a run is: what a new or changed pre-order is checked against."""

    crates: int
    weighed_milli: int
    capacity_crates: int
    capacity_kg: int | None

    @property
    def over_crates(self) -> bool:
        return self.crates > self.capacity_crates

    @property
    def over_kg(self) -> bool:
        return self.capacity_kg is not None and self.weighed_milli > self.capacity_kg * MILLI


def van_fill(run_id: int) -> VanFill:
    """The run's crates (one per live pre-order) and weighed kilos, in one query."""
    weighed = case((StockItem.unit.in_(WEIGHED_UNITS), PreOrderLine.quantity_milli), else_=0)
    live = (
        select(
            func.count(func.distinct(PreOrder.id)).label("crates"),
            func.coalesce(func.sum(weighed), 0).label("weighed_milli"),
        )
        .join(RunStop, RunStop.id == PreOrder.run_stop_id)
        .outerjoin(PreOrderLine, PreOrderLine.pre_order_id == PreOrder.id)
        .outerjoin(StockItem, StockItem.id == PreOrderLine.stock_item_id)
        .where(RunStop.run_id == run_id, PreOrder.status == PreOrderStatus.PLACED)
        .subquery()
    )
    row = db.session.execute(
        select(live.c.crates, live.c.weighed_milli, Van.capacity_crates, Van.capacity_kg)
        .select_from(RouteRun)
        .join(Route, Route.id == RouteRun.route_id)
        .join(Van, Van.id == Route.van_id)
        .join(live, true())  # one aggregate row
        .where(RouteRun.id == run_id)
    ).one()
    return VanFill(row.crates, row.weighed_milli, row.capacity_crates, row.capacity_kg)


def _lines_of_run(run_id: int):
    return (
        select(
            PreOrder.id.label("pre_order_id"),
            PreOrder.run_stop_id,
            Beneficiary.household_name,
            StockItem.id.label("stock_item_id"),
            StockItem.name,
            StockItem.unit,
            PreOrderLine.quantity_milli,
        )
        .join(RunStop, RunStop.id == PreOrder.run_stop_id)
        .join(Beneficiary, Beneficiary.id == PreOrder.beneficiary_id)
        .join(PreOrderLine, PreOrderLine.pre_order_id == PreOrder.id)
        .join(StockItem, StockItem.id == PreOrderLine.stock_item_id)
        .where(RunStop.run_id == run_id, PreOrder.status == PreOrderStatus.PLACED)
        .order_by(
            RunStop.position, Beneficiary.household_name, PreOrder.id, StockItem.name, StockItem.id
        )
    )


def _add(totals: dict[int, ProductLoad], row) -> None:
    product = totals.get(row.stock_item_id)
    if product is None:
        product = totals[row.stock_item_id] = ProductLoad(row.stock_item_id, row.name, row.unit)
    product.quantity_milli += row.quantity_milli


def _by_name(totals: dict[int, ProductLoad]) -> list[ProductLoad]:
    return sorted(totals.values(), key=lambda product: (product.name, product.stock_item_id))
