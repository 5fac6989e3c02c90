"""Closing a run of the van: what was collected leaves the stock, the rest goes back on the shelf.

And the other end of a run's life: when the staff cancel a run (a RouteException, applied by
routes/runs.py), its placed pre-orders are cancelled so their reserved units are free again.

Stock moves only through grocery_shop/stock.py's conditional UPDATEs, one per stock item and
in stock_item_id order, so two settlements touching the same items cannot deadlock. Everything
happens in the caller's transaction (flush, never commit); on a DomainError the caller rolls
back and nothing, stock included, has changed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop import stock
from marketplace.grocery_shop.models import PreOrder, PreOrderStatus, RunClosing, StockItem
from marketplace.grocery_shop.preorders import cancel_preorder
from marketplace.routes.models import Route, RouteRun, RunStatus, RunStop

COLLECTED = "collected"
NOT_COLLECTED = "not_collected"


def run_is_closed(run_id: int) -> bool:
    return db.session.scalar(select(RunClosing.id).where(RunClosing.run_id == run_id)) is not None


def closing_of(run_id: int) -> RunClosing | None:
    return db.session.scalar(select(RunClosing).where(RunClosing.run_id == run_id))


def close_run(run: RouteRun, *, by: User | None, now: datetime) -> RunClosing:
    """Settle the run's placed pre-orders: collected ones leave the stock, pending or not
    collected ones are released (and marked not collected). `by` is None for the scheduler."""
    if run.status == RunStatus.CANCELLED:
        raise DomainError(
            _("Une tournée annulée ne se clôture pas : ses précommandes sont annulées.")
        )
    if now < run.departs_at:
        raise DomainError(_("La tournée n'est pas encore partie."))
    if run_is_closed(run.id):
        raise DomainError(_("Cette tournée est déjà clôturée."))
    closing = RunClosing(
        run_id=run.id,
        grocery_id=run.route.grocery_id,
        closed_at=now,
        closed_by_id=by.id if by else None,
    )
    db.session.add(closing)
    try:
        # The row first: a second close at the same moment (staff and scheduler) fails on the
        # unique run_id here, before any stock moves; the caller rolls back, as for any
        # DomainError (the scheduler closes each run in its own savepoint). Not a savepoint of
        # its own: on SQLite, pysqlite would let its RELEASE commit the row for good.
        db.session.flush()
    except IntegrityError as error:
        raise DomainError(_("Cette tournée est déjà clôturée.")) from error

    taken: dict[int, int] = defaultdict(int)
    released: dict[int, int] = defaultdict(int)
    for pre_order in _placed_preorders_of_run(run.id):
        if pre_order.pickup_state == COLLECTED:
            closing.collected_count += 1
            target = taken
        else:
            closing.released_count += 1
            pre_order.pickup_state = NOT_COLLECTED
            target = released
        for line in pre_order.lines:
            target[line.stock_item_id] += line.quantity_milli
    _settle(taken, released)
    db.session.flush()
    return closing


def _placed_preorders_of_run(run_id: int) -> list[PreOrder]:
    """The run's placed pre-orders with their lines, in one query; locked on PostgreSQL so a
    checklist tap cannot change a pickup state while the run is being settled."""
    return list(
        db.session.scalars(
            select(PreOrder)
            .join(RunStop, RunStop.id == PreOrder.run_stop_id)
            .where(RunStop.run_id == run_id, PreOrder.status == PreOrderStatus.PLACED)
            .options(joinedload(PreOrder.lines))
            .order_by(PreOrder.id)
            .with_for_update(of=PreOrder)
        ).unique()
    )


def _settle(taken: dict[int, int], released: dict[int, int]) -> None:
    for stock_item_id in sorted(set(taken) | set(released)):
        moved = True
        if taken.get(stock_item_id):
            moved = stock.take_out(stock_item_id, taken[stock_item_id])
        if moved and released.get(stock_item_id):
            moved = stock.release(stock_item_id, released[stock_item_id])
        if not moved:
            # The reservations no longer match the pre-orders: settling anyway would hide it.
            name = db.session.scalar(select(StockItem.name).where(StockItem.id == stock_item_id))
            raise DomainError(
                _(
                    "Le stock de « %(product)s » ne correspond plus aux précommandes de la "
                    "tournée : vérifiez-le avant de clôturer.",
                    product=name,
                )
            )


# --- runs to close automatically ---------------------------------------------------------------


def runs_to_close_automatically(
    now: datetime, after: timedelta, lookback: timedelta
) -> list[RouteRun]:
    """Scheduled runs not closed whose last stop departed more than `after` ago (and less
    than `lookback`), oldest first. A run without stops counts from its departure."""
    last_departure = (
        select(func.max(RunStop.departs_at))
        .where(RunStop.run_id == RouteRun.id)
        .correlate(RouteRun)
        .scalar_subquery()
    )
    ended_at = func.coalesce(last_departure, RouteRun.departs_at)
    return list(
        db.session.scalars(
            select(RouteRun)
            .options(joinedload(RouteRun.route))
            .where(
                RouteRun.status == RunStatus.SCHEDULED.value,
                ended_at <= now - after,
                ended_at > now - lookback,
                ~exists().where(RunClosing.run_id == RouteRun.id),
            )
            .order_by(ended_at, RouteRun.id)
        )
    )


# --- pre-orders of cancelled runs --------------------------------------------------------------


@dataclass(frozen=True)
class CancelledPreOrder:
    """What the notices need, read before the commit (plain values, no lazy loading after)."""

    pre_order_id: int
    run_id: int
    grocery_id: int
    day: date
    route_name: str
    village: str
    household_name: str
    phone: str
    user_id: int | None


def cancel_preorders_of_cancelled_runs(now: datetime) -> list[PreOrder]:
    """Cancel every placed pre-order of a cancelled run; their stock goes back on the shelf.

    A second call finds nothing. Runs already closed are left alone (their stock is settled)."""
    pre_orders = db.session.scalars(
        select(PreOrder)
        .join(RunStop, RunStop.id == PreOrder.run_stop_id)
        .join(RouteRun, RouteRun.id == RunStop.run_id)
        .where(
            PreOrder.status == PreOrderStatus.PLACED,
            RouteRun.status == RunStatus.CANCELLED.value,
            ~exists().where(RunClosing.run_id == RouteRun.id),
        )
        .options(
            selectinload(PreOrder.lines),
            joinedload(PreOrder.beneficiary),
            joinedload(PreOrder.run_stop).joinedload(RunStop.run).joinedload(RouteRun.route),
            joinedload(PreOrder.run_stop).joinedload(RunStop.stop),
        )
        .order_by(PreOrder.id)
        .with_for_update(of=PreOrder)
    ).all()
    for pre_order in pre_orders:
        cancel_preorder(pre_order, now=now)
    return list(pre_orders)


def describe(pre_order: PreOrder) -> CancelledPreOrder:
    run_stop = pre_order.run_stop
    beneficiary = pre_order.beneficiary
    return CancelledPreOrder(
        pre_order_id=pre_order.id,
        run_id=run_stop.run_id,
        grocery_id=pre_order.grocery_id,
        day=run_stop.run.day,
        route_name=run_stop.run.route.name,
        village=run_stop.stop.village,
        household_name=beneficiary.household_name,
        phone=beneficiary.phone,
        user_id=beneficiary.user_id,
    )


def run_of_grocery(grocery_id: int, run_id: int) -> RouteRun | None:
    """A run of one of the grocery's routes (with its route); None for another grocery's."""
    return db.session.scalar(
        select(RouteRun)
        .join(Route, Route.id == RouteRun.route_id)
        .options(joinedload(RouteRun.route))
        .where(RouteRun.id == run_id, Route.grocery_id == grocery_id)
    )
