"""What comes into the grocery's stock, and corrections: purchases from the territory's
producers, donations, the food given on AMAP pickup days (received once), losses.

Services: typed arguments, flush, never commit. Quantities and prices change through single
conditional UPDATEs where a pre-order may hold part of the stock at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from marketplace.baskets.models import BasketOffer, Delivery, Subscription
from marketplace.catalogue.models import Availability, Category, Product, Unit
from marketplace.catalogue.quantities import format_quantity, parse_quantity
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem, StockSource
from marketplace.organisations.models import Organisation
from marketplace.pickup.models import DonatedItem
from marketplace.producers.models import Producer
from marketplace.shop.models import OrderLine

NAME_MAX = 200
MAX_PRICE_CENTS = 100_000_00  # a typo guard, far above any shelf price


@dataclass(frozen=True)
class IncomingData:
    """A purchase (producer_id required) or a donation. With `product_id`, the product's name,
    category and unit are used; otherwise the typed ones."""

    quantity_text: str
    shelf_price_cents: int | None
    received_on: date
    producer_id: int | None = None
    product_id: int | None = None
    name: str = ""
    category: str = ""
    unit: str = ""


@dataclass(frozen=True)
class WaitingDonation:
    """A DonatedItem not yet received, with what helps staff price and file it."""

    item: DonatedItem
    day: date
    group_name: str
    category: str  # the product's category, or vegetables for a basket
    producer_id: int | None
    product_id: int | None


def record_purchase(grocery_id: int, data: IncomingData) -> StockItem:
    producer = db.session.get(Producer, data.producer_id) if data.producer_id else None
    if producer is None:
        raise DomainError(_("Choisissez le producteur chez qui l'achat a été fait."), "producer_id")
    return _add_item(grocery_id, data, StockSource.PURCHASE, producer.id)


def record_donation(grocery_id: int, data: IncomingData) -> StockItem:
    producer_id = None
    if data.producer_id:
        producer = db.session.get(Producer, data.producer_id)
        if producer is None:
            raise DomainError(_("Choisissez un producteur de la liste."), "producer_id")
        producer_id = producer.id
    return _add_item(grocery_id, data, StockSource.DONATION, producer_id)


def waiting_donations(
    grocery_id: int, *, donated_item_id: int | None = None
) -> list[WaitingDonation]:
    """Food given to this grocery on pickup days and not received yet, oldest first (one query)."""
    group = aliased(Organisation)
    offer_producer = BasketOffer.producer_id
    query = (
        select(
            DonatedItem,
            DistributionDay.day,
            group.name,
            Product.category,
            Product.id,
            Product.producer_id,
            offer_producer,
        )
        .join(DistributionDay, DistributionDay.id == DonatedItem.distribution_day_id)
        .join(group, group.id == DistributionDay.group_id)
        .outerjoin(OrderLine, OrderLine.id == DonatedItem.order_line_id)
        .outerjoin(Availability, Availability.id == OrderLine.availability_id)
        .outerjoin(Product, Product.id == Availability.product_id)
        .outerjoin(Delivery, Delivery.id == DonatedItem.delivery_id)
        .outerjoin(Subscription, Subscription.id == Delivery.subscription_id)
        .outerjoin(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .where(DonatedItem.grocery_id == grocery_id, DonatedItem.received_at.is_(None))
        .order_by(DistributionDay.day, DonatedItem.id)
    )
    if donated_item_id is not None:
        query = query.where(DonatedItem.id == donated_item_id)
    return [
        WaitingDonation(
            item=item,
            day=day,
            group_name=group_name,
            category=category or Category.VEGETABLES.value,
            producer_id=product_producer or basket_producer,
            product_id=product_id,
        )
        for item, day, group_name, category, product_id, product_producer, basket_producer in (
            db.session.execute(query)
        )
    ]


def receive_donated_item(
    grocery_id: int,
    donated_item_id: int,
    *,
    shelf_price_cents: int | None,
    category: str,
    received_on: date,
) -> StockItem:
    """Turn food given on a pickup day into a stock item, once: a second time is refused."""
    donated = db.session.get(DonatedItem, donated_item_id)
    if donated is None or donated.grocery_id != grocery_id:
        raise DomainError(_("Ce don n'est pas adressé à votre épicerie."))
    if donated.received_at is not None:
        raise DomainError(_("Ce don est déjà entré dans le stock."))
    price = _checked_price(shelf_price_cents)
    _checked_category(category)
    origin = next(iter(waiting_donations(grocery_id, donated_item_id=donated_item_id)), None)
    # The conditional UPDATE is what makes "once" true when two people click together.
    claimed = db.session.execute(
        update(DonatedItem)
        .where(
            DonatedItem.id == donated_item_id,
            DonatedItem.grocery_id == grocery_id,
            DonatedItem.received_at.is_(None),
        )
        .values(received_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise DomainError(_("Ce don est déjà entré dans le stock."))
    item = StockItem(
        grocery_id=grocery_id,
        name=donated.label,
        category=category,
        unit=donated.unit,
        quantity_milli=donated.quantity_milli,
        reserved_milli=0,
        shelf_price_cents=price,
        source=StockSource.DONATION.value,
        producer_id=origin.producer_id if origin else None,
        product_id=origin.product_id if origin else None,
        donated_item_id=donated.id,
        received_on=received_on,
    )
    db.session.add(item)
    db.session.flush()
    db.session.refresh(donated)
    return item


def adjust_item(item: StockItem, *, quantity_text: str, shelf_price_cents: int | None) -> None:
    """Set what is really on the shelf (a loss, a count) and the shelf price. The quantity never
    goes below what pre-orders hold: the UPDATE checks it against the row as it is now."""
    quantity = parse_stock_quantity(quantity_text, item.unit, allow_zero=True)
    price = _checked_price(shelf_price_cents)
    changed = db.session.execute(
        update(StockItem)
        .where(StockItem.id == item.id, StockItem.reserved_milli <= quantity)
        .values(quantity_milli=quantity, shelf_price_cents=price)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        reserved = db.session.scalar(
            select(StockItem.reserved_milli).where(StockItem.id == item.id)
        )
        raise DomainError(
            _(
                "Des pré-commandes réservent déjà %(reserved)s : la quantité ne peut pas "
                "descendre en dessous.",
                reserved=format_quantity(reserved or 0, item.unit),
            ),
            field="quantity",
        )
    db.session.refresh(item)


def parse_stock_quantity(text: str, unit: str, *, allow_zero: bool = False) -> int:
    """A typed quantity in thousandths (baskets count whole, like pieces). Zero only when told."""
    if allow_zero and (text or "").strip() in ("0", "0,0", "0.0", "0,000", "0.000"):
        return 0
    return parse_quantity(text, unit, field="quantity")


def producer_choices() -> list[tuple[int, str]]:
    """The territory's producers, by name."""
    return [
        (row.id, row.name)
        for row in db.session.execute(select(Producer.id, Producer.name).order_by(Producer.name))
    ]


def product_choices() -> list[tuple[int, str]]:
    """Every producer's live products as "Product — Producer", by producer then name."""
    rows = db.session.execute(
        select(Product.id, Product.name, Producer.name.label("producer"))
        .join(Producer, Producer.id == Product.producer_id)
        .where(Product.archived.is_(False))
        .order_by(Producer.name, Product.name)
    )
    return [(row.id, f"{row.name} — {row.producer}") for row in rows]


def _add_item(
    grocery_id: int, data: IncomingData, source: StockSource, producer_id: int | None
) -> StockItem:
    product_id = None
    if data.product_id:
        product = db.session.get(Product, data.product_id)
        if product is None or (producer_id is not None and product.producer_id != producer_id):
            raise DomainError(
                _("Ce produit n'est pas au catalogue de ce producteur."), "product_id"
            )
        product_id, name, category, unit = product.id, product.name, product.category, product.unit
        price = (
            data.shelf_price_cents if data.shelf_price_cents is not None else product.price_cents
        )
    else:
        name = data.name.strip()
        if not name:
            raise DomainError(_("Choisissez un produit du catalogue ou tapez son nom."), "name")
        if len(name) > NAME_MAX:
            raise DomainError(_("%(max)d caractères au maximum.", max=NAME_MAX), "name")
        category, unit = data.category, data.unit
        _checked_category(category)
        if unit not in Unit._value2member_map_:
            raise DomainError(_("Choisissez une unité de la liste."), "unit")
        price = data.shelf_price_cents
    item = StockItem(
        grocery_id=grocery_id,
        name=name,
        category=category,
        unit=unit,
        quantity_milli=parse_stock_quantity(data.quantity_text, unit),
        reserved_milli=0,
        shelf_price_cents=_checked_price(price),
        source=source.value,
        producer_id=producer_id,
        product_id=product_id,
        received_on=data.received_on,
    )
    db.session.add(item)
    db.session.flush()
    return item


def _checked_price(cents: int | None) -> int:
    if cents is None:
        raise DomainError(
            _("Indiquez le prix en rayon (0 pour un produit donné gratuitement)."), "shelf_price"
        )
    if cents < 0:
        raise DomainError(_("Le prix ne peut pas être négatif."), "shelf_price")
    if cents > MAX_PRICE_CENTS:
        raise DomainError(_("Ce prix est bien trop élevé."), "shelf_price")
    return cents


def _checked_category(category: str) -> None:
    if category not in Category._value2member_map_:
        raise DomainError(_("Choisissez une catégorie de la liste."), "category")
