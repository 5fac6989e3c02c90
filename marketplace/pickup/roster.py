"""Who collects what on a distribution day: the lines of the pickup checklist.

`household_lines(day_id)` reads the day in a constant number of queries (three, whatever the
number of households): the deliveries of live subscriptions, the placed orders with their
lines, and the day's checklist taps. `day_counts(lines)` adds them up per basket size and per
product. Nothing here changes the database.

Dignity rule: no tier, price or payment is ever read here.

What a line shows, and its states:
- one line per household ("u<user id>"): its own baskets and its extras (its placed order);
- one line per delivery given to someone else ("g<delivery id>"), under that person's name.
  A given delivery keeps its stored state "given" (and so the friend's name, which the
  database only keeps in that state): whether it was collected is its latest checklist tap.
- each item's `state` is a pickup state: "pending" (to hand over), "collected" or
  "not_collected". Deliveries read it from Delivery.state, orders from Order.pickup_state
  (an order donated when the day closed counts as not collected).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionStatus,
)
from marketplace.catalogue.models import Availability, Product
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.pickup.models import ChecklistTap, TapAction, TapTarget
from marketplace.shop.models import Order, OrderLine, OrderStatus, PickupState

# Pickup states of an item.
PENDING = "pending"
COLLECTED = "collected"
NOT_COLLECTED = "not_collected"

# States of a whole line.
TO_HAND_OVER = "to_hand_over"
PARTLY = "partly"

# Deliveries handed over on the day (absent and donated baskets are not).
LISTED_DELIVERY_STATES = (
    DeliveryState.PLANNED.value,
    DeliveryState.GIVEN.value,
    DeliveryState.COLLECTED.value,
    DeliveryState.NOT_COLLECTED.value,
)
STATE_CHANGING_ACTIONS = (TapAction.COLLECTED, TapAction.NOT_COLLECTED, TapAction.PENDING)

_DELIVERY_PICKUP_STATE = {
    DeliveryState.PLANNED.value: PENDING,
    DeliveryState.COLLECTED.value: COLLECTED,
    DeliveryState.NOT_COLLECTED.value: NOT_COLLECTED,
}
_GIVEN = DeliveryState.GIVEN.value
_DELIVERY_TARGET = TapTarget.DELIVERY.value
_ORDER_PICKUP_STATE = {
    PickupState.PENDING.value: PENDING,
    PickupState.COLLECTED.value: COLLECTED,
    PickupState.NOT_COLLECTED.value: NOT_COLLECTED,
    PickupState.DONATED.value: NOT_COLLECTED,
}


@dataclass(frozen=True)
class BasketItem:
    delivery_id: int
    offer_name: str
    producer_name: str
    size_name: str
    quantity: int  # more than one when an absent basket was postponed to this day
    state: str  # pickup state: pending / collected / not_collected
    delivery_state: str  # the stored Delivery.state


@dataclass(frozen=True)
class ExtraItem:
    order_id: int
    order_line_id: int
    producer_name: str
    product_name: str
    quantity_milli: int
    unit: str  # a catalogue Unit code
    state: str  # the order's pickup state
    order_kind: str = TapTarget.ORDER.value  # what a tap on it ticks: an order, a pre-order

    @property
    def target(self) -> tuple[str, int]:
        return (self.order_kind, self.order_id)


@dataclass
class HouseholdLine:
    """One line of a checklist. A distribution day's lines are keyed "u12" (household 12) or
    "g345" (delivery 345 given to someone else); other checklists (a stop of the van) choose
    their own keys and say which kind of order their line ticks (`order_kind`)."""

    key: str  # "u12": household 12; "g345": delivery 345 given to someone else
    name: str  # the household, or "<friend>, pour <household>"
    user_id: int | None  # the household's account (the subscriber for a given delivery)
    baskets: list[BasketItem] = field(default_factory=list)
    extras: list[ExtraItem] = field(default_factory=list)
    order_id: int | None = None
    note: str = ""
    given_to: str | None = None  # the friend's name on a given delivery's line
    household_name: str = ""
    order_kind: str = TapTarget.ORDER.value  # a TapTarget: what `order_id` names

    @property
    def item_states(self) -> list[str]:
        states = [basket.state for basket in self.baskets]
        if self.order_id is not None:
            states.append(self.extras[0].state if self.extras else PENDING)
        return states

    @property
    def state(self) -> str:
        """to_hand_over, collected, not_collected, or partly (a mix)."""
        states = set(self.item_states)
        if not states or states == {PENDING}:
            return TO_HAND_OVER
        if len(states) == 1:
            return states.pop()
        return PARTLY

    @property
    def targets(self) -> list[tuple[str, int]]:
        """What one tap on the line ticks: each delivery, then the order."""
        targets = [(TapTarget.DELIVERY.value, basket.delivery_id) for basket in self.baskets]
        if self.order_id is not None:
            targets.append((self.order_kind, self.order_id))
        return targets


def basket_count_key(basket: BasketItem) -> str:
    """The counts row a basket adds to (the page ticks counts up live with it)."""
    return f"b|{basket.producer_name}|{basket.offer_name}|{basket.size_name}"


def extra_count_key(extra: ExtraItem) -> str:
    return f"p|{extra.producer_name}|{extra.product_name}|{extra.unit}"


@dataclass
class CountRow:
    key: str
    label: str
    expected: int  # baskets, or thousandths of the unit for products
    collected: int
    unit: str | None = None  # a catalogue Unit for products, None for baskets


@dataclass
class DayCounts:
    baskets: list[CountRow]
    products: list[CountRow]
    households: int
    households_done: int  # lines with nothing left to hand over


def sort_key(name: str) -> tuple[str, str]:
    """French-friendly order: accents and case do not move a name ("Élodie" near "Eloi")."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    return ("".join(char for char in folded if not unicodedata.combining(char)), name)


def household_lines(distribution_day_id: int) -> list[HouseholdLine]:
    """The day's checklist, one line per household or given delivery, sorted by name."""
    lines: dict[str, HouseholdLine] = {}
    latest_taps = _latest_taps(distribution_day_id)

    # Rows unpacked by position (the queries' column order): a named attribute costs a lookup
    # per column, and a day has hundreds of rows.
    for (
        delivery_id,
        delivery_state,
        quantity,
        given_to_name,
        user_id,
        user_name,
        offer_name,
        producer_name,
        size_name,
    ) in db.session.execute(_deliveries_query(distribution_day_id)):
        if delivery_state == _GIVEN:
            state = latest_taps.states.get((_DELIVERY_TARGET, delivery_id), PENDING)
            key = f"g{delivery_id}"
            line = lines.get(key) or HouseholdLine(
                key=key,
                name=_(
                    "%(friend)s, pour %(household)s",
                    friend=given_to_name,
                    household=user_name,
                ),
                user_id=user_id,
                given_to=given_to_name,
                household_name=user_name,
            )
        else:
            state = _DELIVERY_PICKUP_STATE[delivery_state]
            key = f"u{user_id}"
            line = lines.get(key) or _household_line(user_id, user_name)
        lines[key] = line
        line.baskets.append(
            BasketItem(
                delivery_id, offer_name, producer_name, size_name, quantity, state, delivery_state
            )
        )

    for (
        order_id,
        user_id,
        pickup_state,
        pickup_note,
        user_name,
        order_line_id,
        quantity_milli,
        product_name,
        unit,
        producer_name,
    ) in db.session.execute(_orders_query(distribution_day_id)):
        key = f"u{user_id}"
        line = lines.get(key)
        if line is None:
            line = lines[key] = _household_line(user_id, user_name)
        line.order_id = order_id
        line.note = line.note or pickup_note
        if order_line_id is not None:
            line.extras.append(
                ExtraItem(
                    order_id,
                    order_line_id,
                    producer_name,
                    product_name,
                    quantity_milli,
                    unit,
                    _ORDER_PICKUP_STATE[pickup_state],
                )
            )

    _attach_notes(lines.values(), latest_taps)
    return sorted(lines.values(), key=lambda line: sort_key(line.name))


def day_counts(lines: list[HouseholdLine]) -> DayCounts:
    """Expected and collected baskets per offer and size, and quantities per product."""
    baskets: dict[str, CountRow] = {}
    products: dict[str, CountRow] = {}
    for line in lines:
        for basket in line.baskets:
            key = basket_count_key(basket)
            row = baskets.setdefault(
                key,
                CountRow(
                    key=key,
                    label=f"{basket.size_name} — {basket.offer_name}",
                    expected=0,
                    collected=0,
                ),
            )
            row.expected += basket.quantity
            if basket.state == COLLECTED:
                row.collected += basket.quantity
        for extra in line.extras:
            key = extra_count_key(extra)
            row = products.setdefault(
                key,
                CountRow(
                    key=key,
                    label=f"{extra.product_name} — {extra.producer_name}",
                    expected=0,
                    collected=0,
                    unit=extra.unit,
                ),
            )
            row.expected += extra.quantity_milli
            if extra.state == COLLECTED:
                row.collected += extra.quantity_milli
    done = sum(1 for line in lines if PENDING not in line.item_states)
    return DayCounts(
        baskets=sorted(baskets.values(), key=lambda row: sort_key(row.key)),
        products=sorted(products.values(), key=lambda row: sort_key(row.key)),
        households=len(lines),
        households_done=done,
    )


# --- Queries -----------------------------------------------------------------------------------


def _household_line(user_id: int, user_name: str) -> HouseholdLine:
    return HouseholdLine(
        key=f"u{user_id}", name=user_name, user_id=user_id, household_name=user_name
    )


def _deliveries_query(distribution_day_id: int):
    producer = aliased(Organisation)
    return (
        select(
            Delivery.id.label("delivery_id"),
            Delivery.state,
            Delivery.quantity,
            Delivery.given_to_name,
            Subscription.user_id,
            User.name.label("user_name"),
            BasketOffer.name.label("offer_name"),
            producer.name.label("producer_name"),
            BasketSize.name.label("size_name"),
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(User, User.id == Subscription.user_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .join(producer, producer.id == BasketOffer.producer_id)
        .join(BasketSize, BasketSize.id == Delivery.size_id)
        .where(
            Delivery.distribution_day_id == distribution_day_id,
            Delivery.state.in_(LISTED_DELIVERY_STATES),
            Subscription.status == SubscriptionStatus.ACTIVE.value,
        )
        .order_by(producer.name, BasketOffer.name, BasketSize.position, Delivery.id)
    )


def _orders_query(distribution_day_id: int):
    producer = aliased(Organisation)
    return (
        select(
            Order.id.label("order_id"),
            Order.user_id,
            Order.pickup_state,
            Order.pickup_note,
            User.name.label("user_name"),
            OrderLine.id.label("order_line_id"),
            OrderLine.quantity_milli,
            Product.name.label("product_name"),
            Product.unit,
            producer.name.label("producer_name"),
        )
        .join(User, User.id == Order.user_id)
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(Availability, Availability.id == OrderLine.availability_id)
        .outerjoin(Product, Product.id == Availability.product_id)
        .outerjoin(producer, producer.id == Product.producer_id)
        .where(
            Order.distribution_day_id == distribution_day_id,
            Order.status == OrderStatus.PLACED.value,
        )
        .order_by(producer.name, Product.name, OrderLine.id)
    )


def _day_taps(distribution_day_id: int):
    return db.session.execute(
        select(
            ChecklistTap.target_kind, ChecklistTap.target_id, ChecklistTap.action, ChecklistTap.note
        )
        .where(ChecklistTap.distribution_day_id == distribution_day_id)
        .order_by(ChecklistTap.tapped_at, ChecklistTap.tap_id)
    ).all()


def _latest_taps(distribution_day_id: int) -> _Taps:
    """Replay the day's taps in (tapped_at, tap_id) order: the last one of each target wins."""
    taps = _Taps(states={}, notes={})
    for position, tap in enumerate(_day_taps(distribution_day_id)):
        target = (tap.target_kind, tap.target_id)
        if tap.action == TapAction.NOTE:
            taps.notes[target] = (position, tap.note)
        else:
            taps.states[target] = PENDING if tap.action == TapAction.PENDING else tap.action
    return taps


@dataclass
class _Taps:
    states: dict[tuple[str, int], str]  # target → latest pickup state
    notes: dict[tuple[str, int], tuple[int, str]]  # target → (position, latest note)


def _attach_notes(lines, taps: _Taps) -> None:
    """A line's note is the latest note tapped on any of its deliveries or its order."""
    for line in lines:
        notes = [taps.notes[target] for target in line.targets if target in taps.notes]
        if notes:
            line.note = max(notes)[1]
