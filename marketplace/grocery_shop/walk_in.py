"""Walk-in sales at a stop of the van, recorded on the staff's phone, maybe offline.

Each sale carries an id made by the phone (a UUID) and is stored once: a replay answers
"already applied" and changes nothing, like the checklist's taps (pickup/taps.py). The stock
goes down through one conditional UPDATE on what is free (quantity - reserved), so a walk-in
sale never takes a pre-ordered unit. Voiding a sale puts its quantity back, once. Refusals are
per sale and never raise; refused sales are not stored. Services flush and never commit.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from marketplace.accounts.models import User
from marketplace.catalogue.models import BASKET_UNIT, Unit
from marketplace.catalogue.quantities import check_quantity, format_quantity, line_total_cents
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop import stock
from marketplace.grocery_shop.beneficiaries import eligibility
from marketplace.grocery_shop.models import Beneficiary, StockItem, WalkInSale
from marketplace.grocery_shop.preorders import tier_unit_price
from marketplace.grocery_shop.run_closing import run_is_closed
from marketplace.organisations.access import has_role
from marketplace.organisations.models import Role
from marketplace.pickup.checklist import server_instant_us
from marketplace.pickup.taps import CLOCK_TOLERANCE
from marketplace.routes.models import RouteRun, RunStatus, RunStop

SALE_ID_MAX = 64
DEVICE_ID_MAX = 64
FULL_PRICE_PERCENT = 100


class SaleStatus(enum.StrEnum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    REFUSED = "refused"


@dataclass(frozen=True)
class SaleIn:
    sale_id: str
    stock_item_id: int
    quantity_milli: int
    sold_at: datetime  # the phone's clock, timezone-aware
    beneficiary_id: int | None = None
    device_id: str = ""


@dataclass(frozen=True)
class SaleResult:
    sale_id: str
    status: SaleStatus
    message: str = ""


@dataclass(frozen=True)
class ShelfItem:
    """A stock item with something free to sell (pre-ordered units are not free)."""

    id: int
    name: str
    unit: str
    shelf_price_cents: int
    free_milli: int

    @property
    def whole_units(self) -> bool:
        """Baskets and pieces are sold by whole units (the phone checks it before the server)."""
        return self.unit == BASKET_UNIT or not Unit(self.unit).divisible


@dataclass(frozen=True)
class EligibleHousehold:
    id: int
    name: str
    tier_percent: int


@dataclass(frozen=True)
class SaleRow:
    sale_id: str
    product_name: str
    unit: str
    quantity_milli: int
    household_name: str | None  # None: sold at the shelf price to someone without a card
    tier_percent: int
    unit_price_cents: int
    total_cents: int
    sold_at: datetime
    voided: bool


@dataclass
class SalesPanel:
    """What the stop's page needs to sell, offline too."""

    run_stop: RunStop
    grocery: Grocery
    closed: bool
    items: list[ShelfItem] = field(default_factory=list)
    households: list[EligibleHousehold] = field(default_factory=list)
    sales: list[SaleRow] = field(default_factory=list)  # not voided first, newest first
    takings_cents: int = 0
    # When the server read it (µs since 1970): a phone shows the newest copy it holds.
    as_of_us: int = field(default_factory=lambda: server_instant_us())
    # Made here so that a form sent twice without JavaScript records one sale.
    form_sale_id: str = field(default_factory=lambda: uuid.uuid4().hex)


# --- who may sell, and when --------------------------------------------------------------------


def may_sell_at(user: User, run_stop: RunStop) -> bool:
    """The staff of the run's grocery and site administrators; nobody else."""
    return has_role(user, run_stop.run.route.grocery, Role.GROCERY_STAFF)


def closed_reason(run_stop: RunStop) -> str | None:
    """Why the stop's sales can no longer change (its run cancelled or closed), or None."""
    if run_stop.run.status == RunStatus.CANCELLED:
        return _("Cette tournée est annulée : aucune vente ne peut y être enregistrée.")
    if run_is_closed(run_stop.run_id):
        return _("Cette tournée est clôturée : les ventes ne peuvent plus changer.")
    return None


def stop_is_closed(run_stop: RunStop) -> bool:
    return closed_reason(run_stop) is not None


def batch_refusal(run_stop: RunStop, user: User) -> str | None:
    """Why nothing of a batch may be recorded at this stop, or None."""
    if not may_sell_at(user, run_stop):
        return _("Seule l'équipe de l'épicerie peut enregistrer des ventes à cet arrêt.")
    return closed_reason(run_stop)


# --- recording and voiding ---------------------------------------------------------------------


def sync_batch(
    run_stop: RunStop, user: User, sales: list[SaleIn], void_ids: list[str], now: datetime
) -> tuple[list[SaleResult], list[SaleResult]]:
    """A phone's queue: sales first, so that a sale made and voided offline is voided once it
    is stored; one result per entry, in the order received."""
    _lock_run(run_stop)
    refusal = batch_refusal(run_stop, user)
    if refusal:
        return (
            [SaleResult(sale.sale_id, SaleStatus.REFUSED, refusal) for sale in sales],
            [SaleResult(sale_id, SaleStatus.REFUSED, refusal) for sale_id in void_ids],
        )
    return _record(run_stop, user, sales, now), _void(run_stop, user, void_ids, now)


def record_sales(
    run_stop: RunStop, user: User, sales: list[SaleIn], now: datetime
) -> list[SaleResult]:
    return sync_batch(run_stop, user, sales, [], now)[0]


def void_sale(sale_id: str, user: User, now: datetime) -> SaleResult:
    """Void one sale wherever it was made (the same rules as in a batch)."""
    run_stop_id = db.session.scalar(
        select(WalkInSale.run_stop_id).where(WalkInSale.sale_id == sale_id)
    )
    if run_stop_id is None:
        return SaleResult(sale_id, SaleStatus.REFUSED, _("Cette vente n'existe pas à cet arrêt."))
    run_stop = db.session.get(RunStop, run_stop_id)
    return sync_batch(run_stop, user, [], [sale_id], now)[1][0]


def _lock_run(run_stop: RunStop) -> None:
    """Serialise a run's sales with its closing (PostgreSQL; SQLite has one writer anyway)."""
    db.session.execute(select(RouteRun.id).where(RouteRun.id == run_stop.run_id).with_for_update())


def _record(run_stop: RunStop, user: User, sales: list[SaleIn], now: datetime) -> list[SaleResult]:
    grocery_id = run_stop.run.route.grocery_id
    known = _known_sale_ids([sale.sale_id for sale in sales])
    items = _by_id(StockItem, grocery_id, {sale.stock_item_id for sale in sales})
    households = _by_id(
        Beneficiary, grocery_id, {sale.beneficiary_id for sale in sales if sale.beneficiary_id}
    )
    results = []
    for sale in sales:
        if sale.sale_id in known:
            results.append(_already(sale.sale_id))
            continue
        try:
            row = _priced(sale, run_stop, items, households)
        except DomainError as refusal:
            results.append(SaleResult(sale.sale_id, SaleStatus.REFUSED, refusal.message))
            continue
        row.sold_by_id = user.id
        row.received_at = now
        row.sold_at = min(sale.sold_at, now + CLOCK_TOLERANCE)
        results.append(_store(row, items[sale.stock_item_id]))
        known.add(sale.sale_id)
    db.session.flush()
    return results


def _priced(
    sale: SaleIn,
    run_stop: RunStop,
    items: dict[int, StockItem],
    households: dict[int, Beneficiary],
) -> WalkInSale:
    """The sale as the server prices it, or a DomainError saying why it is refused."""
    if not sale.sale_id or len(sale.sale_id) > SALE_ID_MAX:
        raise DomainError(_("Identifiant de vente invalide."))
    if len(sale.device_id) > DEVICE_ID_MAX:
        raise DomainError(_("Identifiant de téléphone invalide."))
    if sale.sold_at.tzinfo is None:
        raise DomainError(_("L'heure de la vente doit préciser son fuseau horaire."))
    item = items.get(sale.stock_item_id)
    if item is None:
        raise DomainError(_("Ce produit n'est pas dans le stock de l'épicerie."))
    check_quantity(sale.quantity_milli, item.unit)
    tier_percent = FULL_PRICE_PERCENT
    if sale.beneficiary_id is not None:
        household = households.get(sale.beneficiary_id)
        if household is None:
            raise DomainError(_("Ce foyer n'est pas inscrit à l'épicerie."))
        allowed, reason = eligibility(household, run_stop.run.day)
        if not allowed:
            raise DomainError(reason)
        tier_percent = household.tier_percent
    unit_price = tier_unit_price(item.shelf_price_cents, tier_percent)
    return WalkInSale(
        sale_id=sale.sale_id,
        grocery_id=item.grocery_id,
        run_stop_id=run_stop.id,
        stock_item_id=item.id,
        beneficiary_id=sale.beneficiary_id,
        quantity_milli=sale.quantity_milli,
        shelf_price_cents=item.shelf_price_cents,
        tier_percent=tier_percent,
        unit_price_cents=unit_price,
        total_cents=line_total_cents(unit_price, sale.quantity_milli),
        device_id=sale.device_id,
    )


class _NotEnoughFreeError(Exception):
    """Raised inside the savepoint so that the sale's row goes with the refused stock move."""


def _store(row: WalkInSale, item: StockItem) -> SaleResult:
    """Insert the sale and take its quantity off the shelf, both or neither."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()  # a concurrent request that stored the same id fails here
            if not stock.sell(item.id, row.quantity_milli):
                raise _NotEnoughFreeError
    except IntegrityError:
        return _already(row.sale_id)
    except _NotEnoughFreeError:
        return SaleResult(row.sale_id, SaleStatus.REFUSED, _not_enough_message(item))
    return SaleResult(row.sale_id, SaleStatus.APPLIED)


def _not_enough_message(item: StockItem) -> str:
    left = stock.available_milli(item.id)
    if left <= 0:
        return _("« %(product)s » : il n'en reste plus hors précommandes.", product=item.name)
    return _(
        "« %(product)s » : il n'en reste que %(left)s hors précommandes.",
        product=item.name,
        left=format_quantity(left, item.unit),
    )


def _void(run_stop: RunStop, user: User, sale_ids: list[str], now: datetime) -> list[SaleResult]:
    wanted = [sale_id for sale_id in sale_ids if sale_id and len(sale_id) <= SALE_ID_MAX]
    found = {
        sale.sale_id: sale
        for sale in db.session.scalars(
            select(WalkInSale).where(
                WalkInSale.sale_id.in_(wanted), WalkInSale.run_stop_id == run_stop.id
            )
        )
    }
    results = []
    for sale_id in sale_ids:
        sale = found.get(sale_id)
        if sale is None:
            results.append(
                SaleResult(sale_id, SaleStatus.REFUSED, _("Cette vente n'existe pas à cet arrêt."))
            )
            continue
        # One conditional UPDATE: two phones voiding the same sale put it back once.
        voided = db.session.execute(
            update(WalkInSale)
            .where(WalkInSale.id == sale.id, WalkInSale.voided_at.is_(None))
            .values(voided_at=now, voided_by_id=user.id)
            .execution_options(synchronize_session=False)
        )
        if voided.rowcount != 1:
            results.append(SaleResult(sale_id, SaleStatus.ALREADY_APPLIED, _("Déjà annulée.")))
            continue
        stock.put_back(sale.stock_item_id, sale.quantity_milli)
        db.session.expire(sale)
        results.append(SaleResult(sale_id, SaleStatus.APPLIED))
    db.session.flush()
    return results


def _already(sale_id: str) -> SaleResult:
    return SaleResult(sale_id, SaleStatus.ALREADY_APPLIED, _("Déjà enregistrée."))


def _known_sale_ids(sale_ids: list[str]) -> set[str]:
    wanted = [sale_id for sale_id in sale_ids if sale_id and len(sale_id) <= SALE_ID_MAX]
    if not wanted:
        return set()
    return set(db.session.scalars(select(WalkInSale.sale_id).where(WalkInSale.sale_id.in_(wanted))))


def _by_id(model, grocery_id: int, ids: set) -> dict:
    """The rows of `model` among `ids` that belong to the grocery (one query)."""
    wanted = [value for value in ids if isinstance(value, int)]
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(model)
        .where(model.id.in_(wanted), model.grocery_id == grocery_id)
        .execution_options(populate_existing=True)
    )
    return {row.id: row for row in rows}


# --- the panel ---------------------------------------------------------------------------------


def sales_panel(run_stop: RunStop) -> SalesPanel:
    """The stop's sellable stock, eligible households, sales and takings (constant queries)."""
    run = run_stop.run
    grocery = run.route.grocery
    panel = SalesPanel(run_stop=run_stop, grocery=grocery, closed=stop_is_closed(run_stop))
    panel.items = [
        ShelfItem(item.id, item.name, item.unit, item.shelf_price_cents, item.available_milli)
        for item in db.session.scalars(
            select(StockItem)
            .where(
                StockItem.grocery_id == grocery.id,
                StockItem.quantity_milli > StockItem.reserved_milli,
            )
            .order_by(StockItem.name, StockItem.id)
            .execution_options(populate_existing=True)
        )
    ]
    panel.households = [
        EligibleHousehold(household.id, household.household_name, household.tier_percent)
        for household in db.session.scalars(
            select(Beneficiary)
            .where(
                Beneficiary.grocery_id == grocery.id,
                Beneficiary.archived.is_(False),
                Beneficiary.valid_from <= run.day,
                Beneficiary.valid_until >= run.day,
            )
            .order_by(Beneficiary.household_name, Beneficiary.id)
        )
    ]
    panel.sales = stop_sales(run_stop.id)
    panel.takings_cents = sum(sale.total_cents for sale in panel.sales if not sale.voided)
    return panel


def stop_sales(run_stop_id: int) -> list[SaleRow]:
    """The stop's sales, not voided first, newest first (one query)."""
    household = aliased(Beneficiary)
    rows = db.session.execute(
        select(WalkInSale, StockItem.name, StockItem.unit, household.household_name)
        .join(StockItem, StockItem.id == WalkInSale.stock_item_id)
        .outerjoin(household, household.id == WalkInSale.beneficiary_id)
        .where(WalkInSale.run_stop_id == run_stop_id)
        .order_by(
            WalkInSale.voided_at.is_not(None), WalkInSale.sold_at.desc(), WalkInSale.id.desc()
        )
    )
    return [
        SaleRow(
            sale_id=sale.sale_id,
            product_name=name,
            unit=unit,
            quantity_milli=sale.quantity_milli,
            household_name=household_name,
            tier_percent=sale.tier_percent,
            unit_price_cents=sale.unit_price_cents,
            total_cents=sale.total_cents,
            sold_at=sale.sold_at,
            voided=sale.voided_at is not None,
        )
        for sale, name, unit, household_name in rows
    ]
