"""Closing a distribution day: what was not collected is marked so, then each offer's rule
applies to the uncollected baskets.

The rule of a basket contract (BasketOffer.absence_policy) decides:
- `donate`: the basket goes to the solidarity grocery chosen at closing (a DonatedItem with its
  quantity), the delivery becomes "donated"; a basket declared absent under this rule is given
  too (it stays "absent", so the household's count of absences does not change);
- `credit`: the household is credited the basket's price in the ledger, once per delivery
  (the reference "pickup-closing:<day>:<delivery>" is unique in the group);
- `postpone`: the basket is kept for the producer, the delivery stays "not collected".
Uncollected extras become "not collected"; the coordinator may give them to the grocery too.

One DayClosing row per day (unique): a second closing is refused, and taps after it are
refused by the checklist. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import contains_eager, selectinload

from marketplace.baskets.models import (
    AbsencePolicy,
    BasketOffer,
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionStatus,
)
from marketplace.catalogue.models import BASKET_UNIT, MILLI, Availability, Product
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.payments.entry_words import words
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind, LedgerEntry
from marketplace.pickup import roster
from marketplace.pickup.donation_words import french_text
from marketplace.pickup.models import DayClosing, DonatedItem, UntickedDay, UntickedSettlement
from marketplace.shop.models import Order, OrderLine, OrderStatus, PickupState

UNCOLLECTED_ORDER_STATES = (PickupState.PENDING.value, PickupState.NOT_COLLECTED.value)


def credit_reference_prefix(day_id: int) -> str:
    return f"pickup-closing:{day_id}:"


@dataclass
class ClosingPlan:
    """What closing the day would change, read before anything changes."""

    day: DistributionDay
    # Still to hand over, or ticked "not collected" (a given basket: by its latest tap).
    uncollected: list[Delivery] = field(default_factory=list)
    absent_to_donate: list[Delivery] = field(default_factory=list)
    pending_orders: list[Order] = field(default_factory=list)  # extras not collected

    def uncollected_under(self, policy: AbsencePolicy) -> list[Delivery]:
        return [d for d in self.uncollected if d.subscription.offer.absence_policy == policy]

    @property
    def baskets_to_donate(self) -> list[Delivery]:
        return self.uncollected_under(AbsencePolicy.DONATE) + self.absent_to_donate

    def needs_grocery(self, donate_extras: bool) -> bool:
        return bool(self.baskets_to_donate or (donate_extras and self.pending_orders))


@dataclass
class ClosingOutcome:
    closing: DayClosing
    not_collected: int = 0  # baskets and orders marked not collected
    donated_baskets: int = 0
    donated_extras: int = 0  # order lines given
    credits: int = 0
    credited_cents: int = 0
    kept_for_producer: int = 0  # baskets under "postpone", or "donate" with no grocery


def is_closed(day_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(DayClosing.distribution_day_id == day_id))))


def closing_of(day_id: int) -> DayClosing | None:
    return db.session.scalar(select(DayClosing).where(DayClosing.distribution_day_id == day_id))


def groceries() -> list[Grocery]:
    """The territory's solidarity groceries, for the closing form's select."""
    return list(db.session.scalars(select(Grocery).order_by(Grocery.name)))


def plan_closing(day: DistributionDay) -> ClosingPlan:
    """Read what was not collected, whatever the number of households in a constant number of
    queries. The checklist decides what was collected: a basket given to a friend keeps its
    stored state "given" and is collected when its latest tap says so (pickup.roster)."""
    uncollected_ids = {
        basket.delivery_id
        for line in roster.household_lines(day.id)
        for basket in line.baskets
        if basket.state in (roster.PENDING, roster.NOT_COLLECTED)
    }
    deliveries = db.session.scalars(
        select(Delivery)
        .join(Delivery.subscription)
        .join(Subscription.offer)
        .options(
            contains_eager(Delivery.subscription)
            .contains_eager(Subscription.offer)
            .joinedload(BasketOffer.producer),
            selectinload(Delivery.size),
        )
        .where(
            Delivery.distribution_day_id == day.id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
            or_(
                Delivery.id.in_(uncollected_ids),
                and_(
                    Delivery.state == DeliveryState.ABSENT.value,
                    BasketOffer.absence_policy == AbsencePolicy.DONATE.value,
                ),
            ),
        )
        .order_by(Delivery.id)
    ).all()
    plan = ClosingPlan(day)
    for delivery in deliveries:
        if delivery.id in uncollected_ids:
            plan.uncollected.append(delivery)
        else:
            plan.absent_to_donate.append(delivery)
    plan.pending_orders = list(
        db.session.scalars(
            select(Order)
            .options(
                selectinload(Order.lines)
                .joinedload(OrderLine.availability)
                .joinedload(Availability.product)
                .joinedload(Product.producer)
            )
            .where(
                Order.distribution_day_id == day.id,
                Order.status == OrderStatus.PLACED.value,
                Order.pickup_state.in_(UNCOLLECTED_ORDER_STATES),
            )
            .order_by(Order.id)
        )
    )
    return plan


def close_day(
    day: DistributionDay,
    *,
    now: datetime,
    closed_by_id: int | None,
    may_close_early: bool,
    grocery_id: int | None = None,
    donate_extras: bool = False,
    require_grocery: bool = True,
) -> ClosingOutcome:
    """Close the day and settle what was not collected (see the module's docstring).

    `closed_by_id` None is the scheduler. `may_close_early`: the lead volunteer or a
    coordinator may close before the day's end time; anyone else must wait for it.
    `require_grocery` False (the scheduler): with no grocery, what was to be donated is kept
    for the producer instead of refusing the closing.
    """
    if day.is_cancelled:
        raise DomainError(_("Cette distribution est annulée : il n'y a rien à clôturer."))
    # The checklist's tap batches lock the same row: no tap lands half-way through a closing.
    db.session.execute(
        select(DistributionDay.id).where(DistributionDay.id == day.id).with_for_update()
    )
    if is_closed(day.id):
        raise DomainError(_("Cette distribution est déjà clôturée."))
    if now < day.ends_at and not may_close_early:
        raise DomainError(
            _(
                "La distribution n'est pas terminée : avant l'heure de fin, seul·e le·la "
                "responsable de la permanence ou la coordination peut la clôturer."
            )
        )
    plan = plan_closing(day)
    grocery = _chosen_grocery(grocery_id, plan, donate_extras, require_grocery)

    closing = DayClosing(
        distribution_day_id=day.id,
        closed_at=now,
        closed_by_id=closed_by_id,
        grocery_id=grocery.id if grocery else None,
    )
    db.session.add(closing)
    db.session.flush()  # the unique row first: a concurrent closing fails here
    if closed_by_id is not None:  # a day flagged with no tick is settled by closing it by hand
        settle_flag(day.id, closed_by_id, now, UntickedSettlement.BY_HAND)
    outcome = ClosingOutcome(closing)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # stored labels
        _settle_baskets(plan, grocery, outcome, now)
        _settle_extras(plan, grocery if donate_extras else None, outcome)
    db.session.flush()
    return outcome


def _chosen_grocery(
    grocery_id: int | None, plan: ClosingPlan, donate_extras: bool, required: bool
) -> Grocery | None:
    if grocery_id is None:
        if required and plan.needs_grocery(donate_extras):
            raise DomainError(
                _("Choisissez l'épicerie solidaire qui reçoit les dons."), field="grocery_id"
            )
        return None
    grocery = db.session.get(Grocery, grocery_id)
    if grocery is None:
        raise DomainError(_("Choisissez une épicerie solidaire de la liste."), field="grocery_id")
    return grocery


def _settle_baskets(
    plan: ClosingPlan, grocery: Grocery | None, outcome: ClosingOutcome, now: datetime
) -> None:
    day = plan.day
    booked = _credited_references(day)
    donated = _donated_delivery_ids(day)
    for delivery in plan.uncollected:
        policy = delivery.subscription.offer.absence_policy
        delivery.state = DeliveryState.NOT_COLLECTED.value
        # Only a "given" basket carries a name (a database rule): it was not collected.
        delivery.given_to_name = None
        delivery.given_to_email = None
        outcome.not_collected += 1
        if policy == AbsencePolicy.DONATE and grocery is not None:
            if delivery.id not in donated:
                _donate_basket(delivery, grocery, day)
            delivery.state = DeliveryState.DONATED.value
            outcome.donated_baskets += delivery.quantity
        elif policy == AbsencePolicy.CREDIT:
            amount = delivery.price_cents * delivery.quantity
            reference = f"{credit_reference_prefix(day.id)}{delivery.id}"
            if amount > 0 and reference not in booked:
                _credit(delivery, day, amount, reference)
                outcome.credits += 1
                outcome.credited_cents += amount
        else:  # postpone, or donate with no grocery known: kept for the producer
            outcome.kept_for_producer += delivery.quantity
    for delivery in plan.absent_to_donate:
        if grocery is None:
            outcome.kept_for_producer += delivery.quantity
        elif delivery.id not in donated:
            _donate_basket(delivery, grocery, day)
            outcome.donated_baskets += delivery.quantity


def _settle_extras(plan: ClosingPlan, grocery: Grocery | None, outcome: ClosingOutcome) -> None:
    for order in plan.pending_orders:
        outcome.not_collected += 1
        # A grocery's own purchase left behind stays its purchase: it is never given away.
        if grocery is None or not order.lines or order.grocery_id is not None:
            order.pickup_state = PickupState.NOT_COLLECTED.value
            continue
        for line in order.lines:
            product = line.availability.product
            db.session.add(
                DonatedItem(
                    distribution_day_id=plan.day.id,
                    grocery_id=grocery.id,
                    order_line_id=line.id,
                    label=f"{product.name} — {product.producer.name}"[:200],
                    quantity_milli=line.quantity_milli,
                    unit=product.unit,
                )
            )
            outcome.donated_extras += 1
        order.pickup_state = PickupState.DONATED.value


def _donate_basket(delivery: Delivery, grocery: Grocery, day: DistributionDay) -> None:
    offer = delivery.subscription.offer
    params = {"size": delivery.size.name, "producer": offer.producer.name}
    db.session.add(
        DonatedItem(
            distribution_day_id=day.id,
            grocery_id=grocery.id,
            delivery_id=delivery.id,
            label=french_text("basket", params),
            label_key="basket",
            label_params=params,
            quantity_milli=delivery.quantity * MILLI,
            unit=BASKET_UNIT,
        )
    )


def _donated_delivery_ids(day: DistributionDay) -> set[int]:
    return set(
        db.session.scalars(
            select(DonatedItem.delivery_id).where(
                DonatedItem.distribution_day_id == day.id, DonatedItem.delivery_id.is_not(None)
            )
        )
    )


def _credited_references(day: DistributionDay) -> set[str]:
    """Credits already booked for this day's baskets: each delivery is credited once."""
    return set(
        db.session.scalars(
            select(LedgerEntry.external_reference).where(
                LedgerEntry.group_id == day.group_id,
                LedgerEntry.external_reference.startswith(
                    credit_reference_prefix(day.id), autoescape=True
                ),
            )
        )
    )


def _credit(delivery: Delivery, day: DistributionDay, amount: int, reference: str) -> None:
    subscription = delivery.subscription
    book_entry(
        user_id=subscription.user_id,
        group_id=subscription.group_id,
        kind=EntryKind.CREDIT,
        amount_cents=amount,
        occurred_on=day.day,
        **words("uncollected_basket", date=day.day, offer=subscription.offer.name).fields(),
        offer_id=subscription.offer_id,
        subscription_id=subscription.id,
        external_reference=reference,
    )


def settle_flag(day_id: int, by_id: int, now: datetime, how: UntickedSettlement) -> bool:
    """Mark the day's "no tick at all" flag settled, once: False if there was none open."""
    result = db.session.execute(
        update(UntickedDay)
        .where(UntickedDay.distribution_day_id == day_id, UntickedDay.settled_at.is_(None))
        .values(settled_at=now, settled_by_id=by_id, settlement=how.value)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# --- Closing by the scheduler ------------------------------------------------------------------


def days_to_close_automatically(now: datetime, after: timedelta, lookback: timedelta):
    """Scheduled days whose end passed more than `after` ago (and less than `lookback`),
    not closed yet nor flagged for the coordinators (pickup.unticked), oldest first."""
    return list(
        db.session.scalars(
            select(DistributionDay)
            .where(
                DistributionDay.status == DayStatus.SCHEDULED.value,
                DistributionDay.ends_at <= now - after,
                DistributionDay.ends_at > now - lookback,
                ~exists().where(DayClosing.distribution_day_id == DistributionDay.id),
                ~exists().where(UntickedDay.distribution_day_id == DistributionDay.id),
            )
            .order_by(DistributionDay.ends_at, DistributionDay.id)
        )
    )


def grocery_for_group(group_id: int) -> Grocery | None:
    """The grocery that received the group's last donations; else the territory's only one.

    None when nobody chose one and the territory has several (or none): the scheduler then
    keeps the baskets for the producer rather than guess."""
    last = db.session.scalar(
        select(DayClosing.grocery_id)
        .join(DistributionDay, DistributionDay.id == DayClosing.distribution_day_id)
        .where(DistributionDay.group_id == group_id, DayClosing.grocery_id.is_not(None))
        .order_by(DayClosing.closed_at.desc(), DayClosing.id.desc())
        .limit(1)
    )
    if last is not None:
        return db.session.get(Grocery, last)
    only = db.session.scalars(select(Grocery).limit(2)).all()
    return only[0] if len(only) == 1 else None
