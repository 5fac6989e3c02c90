"""Pre-orders for a stop of a coming run of the grocery's van: place, change, cancel.

A beneficiary (or the staff for them, by phone) pre-orders from the grocery's stock until the
cut-off (`PREORDER_CUTOFF_HOURS` before the run leaves the depot, 24 by default), at their tier
of the shelf price. Stock moves only through grocery_shop/stock.py's conditional UPDATEs, so
two households never get the same last unit. Everything happens in the caller's transaction:
on a DomainError the caller rolls back and nothing, stock included, has changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.catalogue.quantities import (
    check_quantity,
    format_quantity,
    line_total_cents,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop import stock
from marketplace.grocery_shop.beneficiaries import eligibility
from marketplace.grocery_shop.loading import VanFill, van_fill
from marketplace.grocery_shop.models import (
    Beneficiary,
    PreOrder,
    PreOrderLine,
    PreOrderStatus,
    StockItem,
)
from marketplace.routes.models import RouteRun, RunStatus, RunStop

DEFAULT_CUTOFF_HOURS = 24


def cutoff_hours() -> int:
    return int(current_app.config.get("PREORDER_CUTOFF_HOURS", DEFAULT_CUTOFF_HOURS))


def cutoff_at(run: RouteRun) -> datetime:
    """The last instant a pre-order for `run` may be placed, changed or cancelled."""
    return run.departs_at - timedelta(hours=cutoff_hours())


def is_open(run: RouteRun, now: datetime) -> bool:
    return run.status == RunStatus.SCHEDULED and now < cutoff_at(run)


def can_cancel(run: RouteRun, now: datetime) -> bool:
    """A cancelled run's pre-orders may always be cancelled, to put their stock back."""
    return run.status == RunStatus.CANCELLED or now < cutoff_at(run)


def tier_unit_price(shelf_price_cents: int, tier_percent: int) -> int:
    """The household's price for one unit: the tier's share, rounded half up to the cent."""
    return (shelf_price_cents * tier_percent * 2 + 100) // 200


def quantity_field(stock_item_id: int) -> str:
    """The form field a stock item's quantity is typed in (errors are shown next to it)."""
    return f"q-{stock_item_id}"


def place_preorder(
    beneficiary: Beneficiary,
    run_stop: RunStop,
    quantities: Mapping[int, int],
    *,
    by: User,
    now: datetime,
) -> PreOrder:
    """A new pre-order; `quantities` is {stock_item_id: quantity in thousandths}."""
    _check_can_order(beneficiary, run_stop, now)
    before = _lock_van(run_stop.run)
    if live_preorder(beneficiary.id, run_stop.id) is not None:
        raise DomainError(_("Ce foyer a déjà une précommande pour cet arrêt : modifiez-la."))
    if not quantities:
        raise DomainError(_("Indiquez au moins un produit."))
    pre_order = PreOrder(
        grocery_id=beneficiary.grocery_id,
        beneficiary=beneficiary,
        run_stop=run_stop,
        tier_percent=beneficiary.tier_percent,
        total_cents=0,
        created_by_id=by.id,
        # Ordered on a moved run: the household chose that day, nothing to tell it later.
        moved_notice_for=run_stop.run.day
        if run_stop.run.day != run_stop.run.occurrence_date
        else None,
    )
    # Inserted before any stock moves: a second live pre-order (same household, same stop,
    # typed at the same time by the staff and the household) stops here, cleanly.
    unique.insert_once(
        pre_order, _("Ce foyer a déjà une précommande pour cet arrêt : modifiez-la.")
    )
    _apply(pre_order, quantities)
    _check_van_room(run_stop.run, before)
    return pre_order


def change_preorder(
    pre_order: PreOrder, quantities: Mapping[int, int], *, now: datetime
) -> PreOrder:
    """Replace the quantities: stock follows the difference; the tier stays the one ordered at."""
    _check_live(pre_order)
    _check_can_order(pre_order.beneficiary, pre_order.run_stop, now)
    if not quantities:
        raise DomainError(_("Pour tout retirer, annulez la précommande plutôt que de la vider."))
    before = _lock_van(pre_order.run_stop.run)
    _apply(pre_order, quantities)
    _check_van_room(pre_order.run_stop.run, before)
    return pre_order


def cancel_preorder(pre_order: PreOrder, *, now: datetime) -> PreOrder:
    """Cancel until the cut-off (or any time once the run is cancelled): the reserved units go
    back on the shelf."""
    _check_live(pre_order)
    if not can_cancel(pre_order.run_stop.run, now):
        raise DomainError(_("La précommande ne peut plus être annulée : la tournée se prépare."))
    # One conditional UPDATE decides who cancels: the household, the staff and the job for
    # cancelled runs may try at the same instant, and the stock must go back only once.
    cancelled = db.session.execute(
        update(PreOrder)
        .where(PreOrder.id == pre_order.id, PreOrder.status == PreOrderStatus.PLACED.value)
        .values(status=PreOrderStatus.CANCELLED.value, cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if cancelled.rowcount != 1:
        raise DomainError(_("Cette précommande est annulée."))
    for line in sorted(pre_order.lines, key=lambda line: line.stock_item_id):
        stock.release(line.stock_item_id, line.quantity_milli)
    db.session.refresh(pre_order, ["status", "cancelled_at"])
    return pre_order


def live_preorder(beneficiary_id: int, run_stop_id: int) -> PreOrder | None:
    return db.session.scalar(
        select(PreOrder)
        .options(selectinload(PreOrder.lines))
        .where(
            PreOrder.beneficiary_id == beneficiary_id,
            PreOrder.run_stop_id == run_stop_id,
            PreOrder.status == PreOrderStatus.PLACED,
        )
    )


# --- the checks and the work -------------------------------------------------------------------


def _check_live(pre_order: PreOrder) -> None:
    if pre_order.status != PreOrderStatus.PLACED:
        raise DomainError(_("Cette précommande est annulée."))


def _check_can_order(beneficiary: Beneficiary, run_stop: RunStop, now: datetime) -> None:
    run = run_stop.run
    if run.route.grocery_id != beneficiary.grocery_id:
        raise DomainError(_("Cet arrêt ne fait pas partie des tournées de l'épicerie."))
    if run.status != RunStatus.SCHEDULED:
        raise DomainError(_("Cette tournée est annulée : choisissez une autre date."))
    if now >= cutoff_at(run):
        raise DomainError(
            _(
                "Les précommandes pour cette tournée sont closes : elles ferment %(hours)d h "
                "avant le départ du camion.",
                hours=cutoff_hours(),
            )
        )
    allowed, reason = eligibility(beneficiary, run.day)
    if not allowed:
        raise DomainError(reason)


def _lock_van(run: RouteRun) -> VanFill:
    """Serialise the run's pre-orders (PostgreSQL row lock) and read how full the van is, so two
    households cannot both take the last crate."""
    db.session.execute(select(RouteRun.id).where(RouteRun.id == run.id).with_for_update())
    return van_fill(run.id)


def _check_van_room(run: RouteRun, before: VanFill) -> None:
    """Refuse what would load the van beyond its capacity; lowering a pre-order is always fine,
    even when the van was already over (its capacity may have been lowered since)."""
    after = van_fill(run.id)
    if after.over_crates and after.crates > before.crates:
        raise DomainError(
            _(
                "Le camion est plein pour cette tournée : %(capacity)d caisses au plus. "
                "Choisissez une autre date.",
                capacity=after.capacity_crates,
            )
        )
    if after.over_kg and after.weighed_milli > before.weighed_milli:
        raise DomainError(
            _(
                "Le camion ne peut pas emporter plus de %(capacity)d kg sur cette tournée : "
                "réduisez les quantités au poids ou choisissez une autre date.",
                capacity=after.capacity_kg,
            )
        )


def _apply(pre_order: PreOrder, quantities: Mapping[int, int]) -> None:
    items = _items_of_the_grocery(pre_order.grocery_id, quantities.keys())
    for stock_item_id, milli in quantities.items():
        check_quantity(milli, items[stock_item_id].unit, field=quantity_field(stock_item_id))

    lines = {line.stock_item_id: line for line in pre_order.lines}
    # Always the same order of rows, so two concurrent pre-orders cannot deadlock on PostgreSQL.
    for stock_item_id in sorted(set(lines) | set(quantities)):
        line = lines.get(stock_item_id)
        before = line.quantity_milli if line else 0
        after = quantities.get(stock_item_id, 0)
        if after > before:
            _reserve_or_refuse(items[stock_item_id], after - before)
        elif after < before:
            stock.release(stock_item_id, before - after)
        if after == 0:
            pre_order.lines.remove(line)
        elif after != before:
            item = items[stock_item_id]
            if line is None:
                line = PreOrderLine(stock_item_id=stock_item_id, stock_item=item)
                pre_order.lines.append(line)
            unit_price = tier_unit_price(item.shelf_price_cents, pre_order.tier_percent)
            line.quantity_milli = after
            line.shelf_price_cents = item.shelf_price_cents
            line.unit_price_cents = unit_price  # the server's price, always
            line.total_cents = line_total_cents(unit_price, after)
    pre_order.total_cents = sum(line.total_cents for line in pre_order.lines)
    db.session.flush()


def _items_of_the_grocery(grocery_id: int, ids) -> dict[int, StockItem]:
    ids = list(ids)
    if any(not isinstance(value, int) for value in ids):
        raise DomainError(_("Ce produit n'est pas dans le stock de l'épicerie."))
    items = {
        item.id: item
        for item in db.session.scalars(
            select(StockItem).where(StockItem.id.in_(ids), StockItem.grocery_id == grocery_id)
        )
    }
    for stock_item_id in ids:
        if stock_item_id not in items:
            raise DomainError(
                _("Ce produit n'est pas dans le stock de l'épicerie."),
                field=quantity_field(stock_item_id),
            )
    return items


def _reserve_or_refuse(item: StockItem, milli: int) -> None:
    if stock.reserve(item.id, milli):
        return
    left = stock.available_milli(item.id)
    if left > 0:
        message = _(
            "« %(product)s » n'est plus disponible dans cette quantité : il en reste %(left)s.",
            product=item.name,
            left=format_quantity(left, item.unit),
        )
    else:
        message = _("« %(product)s » n'est plus disponible.", product=item.name)
    raise DomainError(message, field=quantity_field(item.id))
