"""The checklist's sync service: taps made on phones, maybe offline, applied exactly once.

Each tap carries an id made by the phone (a UUID). It is stored once: a replay answers
"already applied" and changes nothing. A target's state is its latest tap by
(tapped_at, tap_id), recomputed from every stored tap after each batch, so two phones converge
to the same state whatever order their batches arrive in. Batches of one day are serialised by
a row lock on the distribution day, so the recomputation always sees every committed tap.

What a tap changes:
- a delivery: collected → "collected", not collected → "not_collected", undo → "planned".
  A delivery given to someone else keeps its state "given" (and so the friend's name, which
  the database only keeps in that state); its pickup outcome is its latest tap, read by
  roster.household_lines.
- an order: Order.pickup_state (pending / collected / not_collected).
- a note: Order.pickup_note for an order; a delivery's note lives in its taps.

Services flush and never commit; the API view commits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.baskets.models import Delivery, DeliveryState, Subscription, SubscriptionStatus
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.pickup.access import may_use_checklist
from marketplace.pickup.models import ChecklistTap, DayClosing, TapAction, TapTarget
from marketplace.pickup.roster import LISTED_DELIVERY_STATES
from marketplace.shop.models import Order, OrderStatus, PickupState

NOTE_MAX = 300
TAP_ID_MAX = 64
DEVICE_ID_MAX = 64
# A phone whose clock runs fast must not win every later tap: its time is capped at arrival.
CLOCK_TOLERANCE = timedelta(minutes=5)

_DELIVERY_STATE_AFTER = {
    TapAction.COLLECTED.value: DeliveryState.COLLECTED.value,
    TapAction.NOT_COLLECTED.value: DeliveryState.NOT_COLLECTED.value,
    TapAction.PENDING.value: DeliveryState.PLANNED.value,
}
_ORDER_STATE_AFTER = {
    TapAction.COLLECTED.value: PickupState.COLLECTED.value,
    TapAction.NOT_COLLECTED.value: PickupState.NOT_COLLECTED.value,
    TapAction.PENDING.value: PickupState.PENDING.value,
}


class TapStatus(enum.StrEnum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    REFUSED = "refused"


@dataclass(frozen=True)
class TapIn:
    tap_id: str
    target_kind: str  # TapTarget
    target_id: int
    action: str  # TapAction
    tapped_at: datetime  # the phone's clock, timezone-aware
    note: str = ""
    device_id: str = ""


@dataclass(frozen=True)
class TapResult:
    tap_id: str
    status: TapStatus
    message: str = ""


def day_is_closed(distribution_day_id: int) -> bool:
    return (
        db.session.scalar(
            select(DayClosing.id).where(DayClosing.distribution_day_id == distribution_day_id)
        )
        is not None
    )


def apply_taps(
    day: DistributionDay, user: User, taps: list[TapIn], now: datetime | None = None
) -> list[TapResult]:
    """Store each new tap once and bring its target's state up to date; one result per tap,
    in the order received. Refusals are per tap and never raise."""
    now = now or utcnow()
    _lock_day(day)
    refusal = _whole_batch_refusal(day, user)
    if refusal:
        return [TapResult(tap.tap_id, TapStatus.REFUSED, refusal) for tap in taps]

    known = _known_tap_ids([tap.tap_id for tap in taps])
    deliveries, orders = _listed_targets(day, taps)
    results: list[TapResult] = []
    touched: set[tuple[str, int]] = set()
    for tap in taps:
        if tap.tap_id in known:
            results.append(TapResult(tap.tap_id, TapStatus.ALREADY_APPLIED, _("Déjà enregistré.")))
            continue
        problem = _problem(tap, deliveries, orders)
        if problem:
            results.append(TapResult(tap.tap_id, TapStatus.REFUSED, problem))
            continue
        if not _store(day, user, tap, now):
            results.append(TapResult(tap.tap_id, TapStatus.ALREADY_APPLIED, _("Déjà enregistré.")))
            continue
        known.add(tap.tap_id)
        touched.add((tap.target_kind, tap.target_id))
        results.append(TapResult(tap.tap_id, TapStatus.APPLIED))
    _recompute(day, touched, deliveries, orders)
    db.session.flush()
    return results


# --- Checks ------------------------------------------------------------------------------------


def _lock_day(day: DistributionDay) -> None:
    """Serialise the day's batches (PostgreSQL; SQLite has one writer at a time anyway)."""
    db.session.execute(
        select(DistributionDay.id).where(DistributionDay.id == day.id).with_for_update()
    )


def _whole_batch_refusal(day: DistributionDay, user: User) -> str | None:
    if not may_use_checklist(user, day):
        return _(
            "Seul·es les bénévoles de cette distribution et les coordinateur·rices peuvent cocher."
        )
    if day_is_closed(day.id):
        return _("Cette distribution est clôturée : la liste ne peut plus changer.")
    return None


def _problem(tap: TapIn, deliveries: dict[int, Delivery], orders: dict[int, Order]) -> str | None:
    if not tap.tap_id or len(tap.tap_id) > TAP_ID_MAX:
        return _("Identifiant de pointage invalide.")
    if tap.action not in TapAction._value2member_map_:
        return _("Action inconnue.")
    if tap.tapped_at.tzinfo is None:
        return _("L'heure du pointage doit préciser son fuseau horaire.")
    if len(tap.note) > NOTE_MAX or len(tap.device_id) > DEVICE_ID_MAX:
        return _("La note ne doit pas dépasser %(max)d caractères.", max=NOTE_MAX)
    listed = {TapTarget.DELIVERY.value: deliveries, TapTarget.ORDER.value: orders}
    if tap.target_id not in listed.get(tap.target_kind, {}):
        return _("Cette ligne n'est pas sur la liste de cette distribution.")
    return None


def _known_tap_ids(tap_ids: list[str]) -> set[str]:
    wanted = [tap_id for tap_id in tap_ids if tap_id and len(tap_id) <= TAP_ID_MAX]
    if not wanted:
        return set()
    return set(
        db.session.scalars(select(ChecklistTap.tap_id).where(ChecklistTap.tap_id.in_(wanted)))
    )


def _listed_targets(
    day: DistributionDay, taps: list[TapIn]
) -> tuple[dict[int, Delivery], dict[int, Order]]:
    """The tapped deliveries and orders that are on this day's list (two queries)."""
    delivery_ids = {t.target_id for t in taps if t.target_kind == TapTarget.DELIVERY.value}
    order_ids = {t.target_id for t in taps if t.target_kind == TapTarget.ORDER.value}
    deliveries: dict[int, Delivery] = {}
    orders: dict[int, Order] = {}
    if delivery_ids:
        deliveries = {
            delivery.id: delivery
            for delivery in db.session.scalars(
                select(Delivery)
                .join(Subscription, Subscription.id == Delivery.subscription_id)
                .where(
                    Delivery.id.in_(delivery_ids),
                    Delivery.distribution_day_id == day.id,
                    Delivery.state.in_(LISTED_DELIVERY_STATES),
                    Subscription.status == SubscriptionStatus.ACTIVE.value,
                )
            )
        }
    if order_ids:
        orders = {
            order.id: order
            for order in db.session.scalars(
                select(Order).where(
                    Order.id.in_(order_ids),
                    Order.distribution_day_id == day.id,
                    Order.status == OrderStatus.PLACED.value,
                )
            )
        }
    return deliveries, orders


# --- Changes -----------------------------------------------------------------------------------


def _store(day: DistributionDay, user: User, tap: TapIn, now: datetime) -> bool:
    """Insert the tap; False when another request stored the same id first."""
    try:
        with db.session.begin_nested():
            db.session.add(
                ChecklistTap(
                    tap_id=tap.tap_id,
                    distribution_day_id=day.id,
                    target_kind=tap.target_kind,
                    target_id=tap.target_id,
                    action=tap.action,
                    note=tap.note.strip() if tap.action == TapAction.NOTE else "",
                    device_id=tap.device_id,
                    tapped_at=min(tap.tapped_at, now + CLOCK_TOLERANCE),
                    received_at=now,
                    user_id=user.id,
                )
            )
    except IntegrityError:
        return False
    return True


def _recompute(
    day: DistributionDay,
    touched: set[tuple[str, int]],
    deliveries: dict[int, Delivery],
    orders: dict[int, Order],
) -> None:
    """Set each touched target to its latest tap (one query for all of them)."""
    if not touched:
        return
    latest_state: dict[tuple[str, int], str] = {}
    latest_note: dict[tuple[str, int], str] = {}
    rows = db.session.execute(
        select(
            ChecklistTap.target_kind, ChecklistTap.target_id, ChecklistTap.action, ChecklistTap.note
        )
        .where(
            ChecklistTap.distribution_day_id == day.id,
            ChecklistTap.target_id.in_({target_id for _kind, target_id in touched}),
        )
        .order_by(ChecklistTap.tapped_at, ChecklistTap.tap_id)
    )
    for row in rows:
        target = (row.target_kind, row.target_id)
        if target not in touched:
            continue
        if row.action == TapAction.NOTE:
            latest_note[target] = row.note
        else:
            latest_state[target] = row.action

    for (kind, target_id), action in latest_state.items():
        if kind == TapTarget.DELIVERY.value:
            delivery = deliveries[target_id]
            if delivery.state != DeliveryState.GIVEN.value:
                delivery.state = _DELIVERY_STATE_AFTER[action]
        else:
            orders[target_id].pickup_state = _ORDER_STATE_AFTER[action]
    for (kind, target_id), note in latest_note.items():
        if kind == TapTarget.ORDER.value:
            orders[target_id].pickup_note = note
