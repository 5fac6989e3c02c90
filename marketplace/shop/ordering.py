"""Placing, changing and cancelling a household's order of extras for a distribution day,
or a solidarity grocery's purchase (`grocery=`: its staff buy like one household of the group).

Each operation checks the rules people are told about (window open, member of the group or
staff of the grocery, products of that day, quantities, maximum per household, stock), moves
stock through shop/stock.py, keeps the order's total and books the difference in the
household's ledger (never for a grocery, which the producer invoices directly).
Everything happens in the caller's transaction: on a DomainError the caller rolls back and
nothing (stock included) has changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.catalogue.models import Availability, Product
from marketplace.catalogue.quantities import check_quantity, format_quantity, line_total_cents
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.access import has_role
from marketplace.organisations.models import Organisation, Role
from marketplace.payments.entry_words import words
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind
from marketplace.shop import stock
from marketplace.shop.models import Order, OrderLine, OrderStatus
from marketplace.timezones import paris_today


def quantity_field(availability_id: int) -> str:
    """The form field a product's quantity is typed in (errors are shown next to it)."""
    return f"q-{availability_id}"


def place_order(
    user: User,
    day: DistributionDay,
    quantities: Mapping[int, int],
    *,
    now: datetime,
    grocery: Organisation | None = None,
    before_stock: Callable[[Order], None] | None = None,
) -> Order:
    """A new order for `day`; {availability_id: quantity in thousandths}. With `grocery`, the
    grocery's purchase placed by `user`, one of its staff. `before_stock`: the caller's own
    work on the finished order (its email), done before the stock moves, which come last
    (see _move_stock)."""
    _check_can_order(user, day, now, grocery)
    if grocery is None:
        if live_order(user.id, day.id) is not None:
            raise DomainError(
                _("Vous avez déjà une commande pour cette distribution : modifiez-la.")
            )
    else:
        _check_no_other_purchase(grocery, day)
    if not quantities:
        raise DomainError(_("Votre panier est vide."))
    if refusal := stock_refusal(day, quantities):
        raise refusal
    order = Order(
        user_id=user.id,
        group_id=day.group_id,
        distribution_day=day,
        user=user,
        grocery_id=grocery.id if grocery else None,
    )
    # Inserted before any stock moves: the same order sent twice at once (a double click)
    # stops here, and the second request answers with the first one's order.
    if grocery is None:
        unique.insert_once(
            order,
            _("Vous avez déjà une commande pour cette distribution : modifiez-la."),
            existing=lambda: live_order(user.id, day.id),
        )
    else:
        unique.insert_once(
            order,
            _("L'épicerie a déjà un achat pour cette distribution : modifiez-le plutôt."),
            existing=lambda: live_purchase(grocery.id, day.id),
        )
    moves = _apply(order, day, quantities)
    _book(order, -order.total_cents, now, EntryKind.COMMITMENT)
    if before_stock is not None:
        before_stock(order)
    _move_stock(moves)
    return order


def change_order(
    order: Order,
    quantities: Mapping[int, int],
    *,
    now: datetime,
    by: User | None = None,
    before_stock: Callable[[Order], None] | None = None,
) -> Order:
    """Replace the order's quantities: stock and ledger follow the difference. `by`: who
    changes a grocery's purchase (any of its staff; the one who placed it by default).
    `before_stock`: as for place_order."""
    _check_live(order)
    day = order.distribution_day
    _check_can_order(by or order.user, day, now, _grocery_of(order))
    if not quantities:
        raise DomainError(_("Pour tout retirer, annulez la commande plutôt que de la vider."))
    had = {line.availability_id: line.quantity_milli for line in order.lines}
    if refusal := stock_refusal(day, quantities, had):
        raise refusal
    before = order.total_cents
    moves = _apply(order, day, quantities)
    difference = order.total_cents - before
    if difference > 0:  # the household owes more
        _book(order, -difference, now, EntryKind.ADJUSTMENT)
    elif difference < 0:
        _book(order, -difference, now, EntryKind.CREDIT)
    if before_stock is not None:
        before_stock(order)
    _move_stock(moves)
    return order


def cancel_order(order: Order, *, now: datetime, by: User | None = None) -> Order:
    """Cancel until the window closes: the units go back on sale, the amount is credited."""
    _check_live(order)
    grocery = _grocery_of(order)
    if grocery is not None:
        _check_grocery_staff(by or order.user, grocery)
    if not order.distribution_day.order_window_open(now):
        raise DomainError(
            _("Les commandes sont closes pour cette distribution : elle ne peut plus être annulée.")
        )
    for line in order.lines:
        stock.release(line.availability_id, line.quantity_milli)
    _book(order, order.total_cents, now, EntryKind.CREDIT)
    order.status = OrderStatus.CANCELLED.value
    order.cancelled_at = now
    db.session.flush()
    return order


def live_order(user_id: int, distribution_day_id: int) -> Order | None:
    """The household's own live order of the day (a grocery's purchase is not one)."""
    return db.session.scalar(
        select(Order)
        .options(selectinload(Order.lines))
        .where(
            Order.user_id == user_id,
            Order.distribution_day_id == distribution_day_id,
            Order.status == OrderStatus.PLACED,
            Order.grocery_id.is_(None),
        )
    )


def live_purchase(grocery_id: int, distribution_day_id: int) -> Order | None:
    """The grocery's live purchase of the day, whoever of its staff placed it."""
    return db.session.scalar(
        select(Order)
        .options(selectinload(Order.lines))
        .where(
            Order.grocery_id == grocery_id,
            Order.distribution_day_id == distribution_day_id,
            Order.status == OrderStatus.PLACED,
        )
    )


# --- the checks and the work -------------------------------------------------------------------


def _check_live(order: Order) -> None:
    if order.status != OrderStatus.PLACED:
        raise DomainError(_("Cette commande est annulée."))


def _check_can_order(
    user: User, day: DistributionDay, now: datetime, grocery: Organisation | None
) -> None:
    if grocery is not None:
        _check_grocery_staff(user, grocery)
    elif not has_role(user, day.group, Role.MEMBER, Role.COORDINATOR):
        raise DomainError(_("Seul·es les adhérent·es du groupe peuvent commander."))
    if not day.order_window_open(now):
        raise DomainError(_("Les commandes ne sont pas ouvertes pour cette distribution."))


def _check_grocery_staff(user: User, grocery: Organisation) -> None:
    if not has_role(user, grocery, Role.GROCERY_STAFF):
        raise DomainError(_("Seule l'équipe de l'épicerie peut acheter pour elle."))


def _grocery_of(order: Order) -> Organisation | None:
    return db.session.get(Organisation, order.grocery_id) if order.grocery_id else None


def _check_no_other_purchase(grocery: Organisation, day: DistributionDay) -> None:
    """One live purchase per grocery and day, said in words before the unique index refuses:
    the grocery's row is locked (PostgreSQL) so two of its staff ordering at the same moment
    are checked one after the other."""
    db.session.execute(
        select(Organisation.id).where(Organisation.id == grocery.id).with_for_update()
    )
    if live_purchase(grocery.id, day.id) is not None:
        raise DomainError(
            _("L'épicerie a déjà un achat pour cette distribution : modifiez-le plutôt.")
        )


StockMove = tuple[int, int, Availability | None]  # availability id, signed milli, its offer


def _apply(order: Order, day: DistributionDay, quantities: Mapping[int, int]) -> list[StockMove]:
    """The order's lines and total; the stock moves they need, for _move_stock to make last."""
    offers = _offers_of_the_day(day, quantities.keys())
    for availability_id, milli in quantities.items():
        offer = offers[availability_id]
        check_quantity(milli, offer.product.unit, field=quantity_field(availability_id))
    _check_household_maximum(order, day, offers, quantities)

    lines = {line.availability_id: line for line in order.lines}
    moves: list[StockMove] = []
    # Always the same order of rows, so two concurrent orders cannot deadlock on PostgreSQL.
    for availability_id in sorted(set(lines) | set(quantities)):
        line = lines.get(availability_id)
        before = line.quantity_milli if line else 0
        after = quantities.get(availability_id, 0)
        if after != before:
            moves.append((availability_id, after - before, offers.get(availability_id)))
        if after == 0:
            order.lines.remove(line)
        elif after != before:
            offer = offers[availability_id]
            if line is None:
                line = OrderLine(availability_id=availability_id, availability=offer)
                order.lines.append(line)
            line.quantity_milli = after
            line.unit_price_cents = offer.price_cents  # the server's price, always
            line.total_cents = line_total_cents(offer.price_cents, after)
    order.total_cents = sum(line.total_cents for line in order.lines)
    db.session.flush()
    return moves


def _move_stock(moves: list[StockMove]) -> None:
    """The stock moves, after every other write of the order: on PostgreSQL a product's row
    stays locked from its UPDATE to the commit, and in a last-units rush every other order of
    that product waits behind the lock, so the fewer statements after it the shorter the queue."""
    for availability_id, milli, offer in moves:  # sorted by id: no deadlock
        if milli > 0:
            _reserve_or_refuse(offer, milli)
        else:
            stock.release(availability_id, -milli)


def _offers_of_the_day(day: DistributionDay, ids) -> dict[int, Availability]:
    ids = list(ids)
    if any(not isinstance(value, int) for value in ids):
        raise DomainError(_("Ce produit n'est pas proposé pour cette distribution."))
    offers = {
        offer.id: offer
        for offer in db.session.scalars(
            select(Availability)
            .options(selectinload(Availability.product))
            .where(
                Availability.id.in_(ids),
                Availability.group_id == day.group_id,
                Availability.day == day.day,
                Availability.published.is_(True),
            )
        )
    }
    for availability_id in ids:
        if availability_id not in offers:
            raise DomainError(
                _("Ce produit n'est pas proposé pour cette distribution."),
                field=quantity_field(availability_id),
            )
    return offers


def _check_household_maximum(
    order: Order, day: DistributionDay, offers: dict[int, Availability], quantities
) -> None:
    limited = [offer.id for offer in offers.values() if offer.max_per_household_milli]
    if not limited:
        return
    # The maximum holds per date: the household's other live orders of that date count too.
    # A grocery is one buyer, whichever of its staff placed its purchases.
    buyer = (
        Order.grocery_id == order.grocery_id
        if order.grocery_id
        else (Order.user_id == order.user_id) & Order.grocery_id.is_(None)
    )
    elsewhere = dict(
        db.session.execute(
            select(OrderLine.availability_id, func.sum(OrderLine.quantity_milli))
            .join(Order)
            .where(
                buyer,
                Order.status == OrderStatus.PLACED,
                OrderLine.availability_id.in_(limited),
                Order.id != order.id if order.id is not None else True,
            )
            .group_by(OrderLine.availability_id)
        ).all()
    )
    for availability_id in limited:
        offer = offers[availability_id]
        wanted = quantities[availability_id] + (elsewhere.get(availability_id) or 0)
        if wanted > offer.max_per_household_milli:
            raise DomainError(
                _(
                    "« %(product)s » : %(max)s au plus par foyer pour cette date.",
                    product=offer.product.name,
                    max=format_quantity(offer.max_per_household_milli, offer.product.unit),
                ),
                field=quantity_field(availability_id),
            )


def stock_refusal(
    day: DistributionDay, quantities: Mapping[int, int], had: Mapping[int, int] | None = None
) -> DomainError | None:
    """The refusal of an order asking more of a limited product than is left now (`had`: what
    the household's order already holds), found by one plain read before anything is written
    or locked; None when the stock looks sufficient. In a last-units rush most orders are
    refused: each would otherwise insert its order, queue on the product's row behind the
    orders being placed, then roll back. The conditional UPDATE of stock.reserve still decides
    for the orders that pass (what is left may go in between)."""
    had = had or {}
    wanted = {
        key: milli - had.get(key, 0)
        for key, milli in quantities.items()
        if isinstance(key, int) and milli - had.get(key, 0) > 0
    }
    if not wanted:
        return None
    rows = db.session.execute(
        select(
            Availability.id,
            Availability.quantity_milli - Availability.reserved_milli,
            Product.name,
            Product.unit,
        )
        .join(Product, Product.id == Availability.product_id)
        .where(
            Availability.id.in_(sorted(wanted)),
            Availability.group_id == day.group_id,
            Availability.day == day.day,
            Availability.published.is_(True),
            Availability.quantity_milli.is_not(None),
        )
    )
    for availability_id, left, name, unit in sorted(rows):
        if left < wanted[availability_id]:
            return _sold_out(availability_id, name, unit, left)
    return None


def _sold_out(availability_id: int, name: str, unit: str, left: int) -> DomainError:
    if left > 0:
        message = _(
            "« %(product)s » n'est plus disponible dans cette quantité : il en reste %(left)s.",
            product=name,
            left=format_quantity(left, unit),
        )
    else:
        message = _("« %(product)s » n'est plus disponible.", product=name)
    return DomainError(message, field=quantity_field(availability_id))


def _reserve_or_refuse(offer: Availability, milli: int) -> None:
    if stock.reserve(offer.id, milli):
        return
    product: Product = offer.product
    left = stock.remaining_milli(offer.id) or 0
    raise _sold_out(offer.id, product.name, product.unit, left)


def _book(order: Order, amount_cents: int, now: datetime, kind: EntryKind) -> None:
    # A grocery settles with the producer directly, by invoice: nothing on anyone's statement.
    if amount_cents == 0 or order.grocery_id is not None:
        return
    user = order.user
    day = order.distribution_day
    # The household reads this line on its statement, in its own language.
    label = words("extras_order", date=day.day)
    book_entry(
        user_id=user.id,
        group_id=order.group_id,
        kind=kind,
        amount_cents=amount_cents,
        occurred_on=paris_today(now),
        **label.fields(),
        order_id=order.id,
    )
