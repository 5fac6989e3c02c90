"""What must hold in the database after every simulated day, each a function returning the
rows that break it (an empty list when it holds).

The formulas follow the services' own semantics (read them before changing one):

- sign-up (subscribing.py): one delivery per remaining covered day at the price charged
  (the standard price while a reduced tier is pending), ONE commitment of minus the
  deliveries' total, installments adding up to deliveries + per-delivery gift, ONE donation
  entry (and fund movement) for the gift;
- absence (absences.py): "credit" books a CREDIT "absence:<delivery>:<n>" and leaves the
  installments alone (the household keeps a credit); "postpone" moves the basket to the next
  planned delivery (quantity + 1, postponed_to set); "donate" changes no money; undoing an
  absence books the opposite ADJUSTMENT with the same reference prefix;
- cancellation (cancellation.py): the planned deliveries after the notice are deleted, ONE
  CREDIT of their price × quantity, the gift pledged for them withdrawn (a CREDIT linked to an
  ADJUSTMENT fund movement), and the unpaid installments reduced by both from the last one
  backwards — what cannot be reduced (already paid or handed over) stays the household's credit;
- tier approval (tiers.py): the remaining planned deliveries are re-priced, ONE CREDIT of the
  difference linked to a TIER_SUPPORT fund movement, the unpaid installments lowered by it;
- closing (pickup/closing.py): a not-collected basket under "credit" gets a CREDIT
  "pickup-closing:<day>:<delivery>" — the basket was prepared, so neither its price nor the
  installments change;
- whole seasons (issue 11, work in progress): a day added to the calendar adds a delivery, a
  COMMITMENT and an installment; a cancelled day's delivery becomes "cancelled" and is either
  credited (a CREDIT, installments reduced like a cancellation) or postponed (quantity moved to
  the next planned delivery, postponed_to set).
- documents (invoicing/sources.py): one invoice or credit note per ledger entry that changes
  what a household owes for a producer's baskets, one invoice per producer of an order whose
  window has closed (document_invariants.py states the books' equation).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import force_locale
from sqlalchemy import and_, case, func, or_, select

from marketplace.baskets.models import BasketOffer, Delivery, Subscription
from marketplace.baskets.prefinancing import DELIVERED_STATES, UPCOMING_STATES, producer_statement
from marketplace.baskets.schedule import Season, _in_covered_week
from marketplace.books import owed
from marketplace.books.models import Payout, RemittanceItem
from marketplace.cards.models import CardPayment
from marketplace.catalogue.models import Availability
from marketplace.delivery.models import DistributionDay
from marketplace.direct_debit.models import DebitBatchItem
from marketplace.extensions import db
from marketplace.membership.models import YearlyMembership
from marketplace.payments.entry_words import french_text, label_text
from marketplace.payments.models import FundMovement, Installment, LedgerEntry, OfflinePayment
from marketplace.pickup.models import ChecklistTap, DayClosing, DonatedItem
from marketplace.scheduler.models import JobRun
from marketplace.shop.models import Order, OrderLine
from tests.simulation.document_invariants import producers_documents_equal_what_households_owe_them

Violations = list[str]
UNPAID = ("planned", "failed")
PAID = ("paid", "handed_over")


@dataclass
class CheckContext:
    now: datetime  # the end of the simulated day (UTC)
    today: date
    simulated_days: list[date]  # every day whose scheduler passes ran, oldest first
    daily_jobs: list[str]  # names of the registry's daily jobs
    unticked_day_ids: set[int]  # the days nobody ticked (never credited automatically)
    producer_ids: list[int]
    cache: dict = field(default_factory=dict)


def _sum(condition, value=None):
    value = LedgerEntry.amount_cents if value is None else value
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


# --- 1. Every live subscription has exactly one delivery per covered day ---------------------


def one_delivery_per_covered_day(ctx: CheckContext) -> Violations:
    """For an active subscription S of offer O at pickup point P, the covered days are
    { d in distribution_days : d.pickup_point = P, O.starts <= d.day <= O.ends, d in a covered
    week of O's rhythm (schedule.covered_days), d.order_closes_at > S.created_at }.
    Then: the deliveries of S not in state "cancelled" are exactly one per covered day whose
    status is "scheduled"; a delivery on a cancelled day is in state "cancelled" (whatever the
    policy), and a delivery in state "cancelled" is only on a cancelled day."""
    subs = db.session.execute(
        select(
            Subscription.id,
            Subscription.pickup_point_id,
            Subscription.created_at,
            BasketOffer.season_starts_on,
            BasketOffer.season_ends_on,
            BasketOffer.frequency,
        )
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .where(Subscription.status == "active")
    ).all()
    if not subs:
        return []
    days_by_point: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
        select(
            DistributionDay.id,
            DistributionDay.pickup_point_id,
            DistributionDay.day,
            DistributionDay.order_closes_at,
            DistributionDay.status,
        ).where(DistributionDay.pickup_point_id.in_({sub.pickup_point_id for sub in subs}))
    ):
        days_by_point[row.pickup_point_id].append(row)
    day_info = {row.id: row for rows in days_by_point.values() for row in rows}
    deliveries: dict[int, dict[int, str]] = defaultdict(dict)
    for sub_id, day_id, state in db.session.execute(
        select(Delivery.subscription_id, Delivery.distribution_day_id, Delivery.state)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Subscription.status == "active")
    ):
        deliveries[sub_id][day_id] = state
    found: Violations = []
    for sub in subs:
        season = Season(sub.season_starts_on, sub.season_ends_on, sub.frequency)
        covered = {
            row.id
            for row in days_by_point[sub.pickup_point_id]
            if sub.season_starts_on <= row.day <= sub.season_ends_on
            and _in_covered_week(row.day, season)
            and row.order_closes_at > sub.created_at
        }
        scheduled = {day_id for day_id in covered if day_info[day_id].status == "scheduled"}
        held = deliveries.get(sub.id, {})
        live = {day_id for day_id, state in held.items() if state != "cancelled"}
        for day_id in sorted(scheduled - live, key=lambda i: day_info[i].day):
            found.append(
                f"subscription {sub.id}: no delivery on {day_info[day_id].day} "
                f"(distribution_day {day_id}, scheduled, covered)"
            )
        for day_id in sorted(live - scheduled, key=lambda i: day_info[i].day):
            info = day_info[day_id]
            why = "its day is cancelled" if info.status != "scheduled" else "not a covered day"
            found.append(
                f"subscription {sub.id}: delivery on {info.day} (distribution_day {day_id}, "
                f"state {held[day_id]}) but {why}"
            )
        for day_id, state in held.items():
            if state == "cancelled" and day_info[day_id].status == "scheduled":
                found.append(
                    f"subscription {sub.id}: delivery on {day_info[day_id].day} is "
                    "'cancelled' but its day is scheduled"
                )
    return found


# --- 2. Money per subscription, to the cent ---------------------------------------------------


def _subscription_money(ctx: CheckContext) -> dict[int, dict[str, int]]:
    """Per subscription: the ledger's sums by meaning, the deliveries' value and baskets
    (computed once per check, in four aggregate queries)."""
    if ctx.cache.get("money") is None:
        ctx.cache["money"] = _read_subscription_money()
    return ctx.cache["money"]


def _read_subscription_money() -> dict[int, dict[str, int]]:
    tier_entries = select(FundMovement.ledger_entry_id).where(
        FundMovement.kind == "tier_support", FundMovement.ledger_entry_id.is_not(None)
    )
    withdrawn_entries = select(FundMovement.ledger_entry_id).where(
        FundMovement.kind == "adjustment", FundMovement.ledger_entry_id.is_not(None)
    )
    reference = func.coalesce(LedgerEntry.external_reference, "")
    is_credit = LedgerEntry.kind == "credit"
    absence = reference.like("absence:%")
    closing = reference.like("pickup-closing:%")
    tier = LedgerEntry.id.in_(tier_entries)
    withdrawn = LedgerEntry.id.in_(withdrawn_entries)
    money: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in db.session.execute(
        select(
            LedgerEntry.subscription_id,
            (-_sum(LedgerEntry.kind == "commitment")).label("committed"),
            (-_sum(LedgerEntry.kind == "donation")).label("pledged"),
            _sum(is_credit & tier).label("tier"),
            _sum(is_credit & withdrawn).label("withdrawn"),
            _sum(is_credit & ~absence & ~closing & ~tier & ~withdrawn).label("other_credit"),
            _sum(absence).label("absence"),
        )
        .where(LedgerEntry.subscription_id.is_not(None))
        .group_by(LedgerEntry.subscription_id)
    ):
        money[row.subscription_id].update(row._asdict())
    postponed_absence = and_(Delivery.state == "absent", BasketOffer.absence_policy == "postpone")
    carrying = and_(Delivery.state != "cancelled", ~postponed_absence)
    for row in db.session.execute(
        select(
            Delivery.subscription_id,
            _sum(carrying, Delivery.price_cents * Delivery.quantity).label("value"),
            _sum(carrying, Delivery.quantity).label("baskets"),
            func.count(Delivery.id).label("rows"),
            _sum(Delivery.state != "cancelled", 1).label("held_rows"),
            _sum(postponed_absence & Delivery.postponed_to_id.is_(None), 1).label("lost_links"),
            _sum((Delivery.state == "cancelled") & Delivery.postponed_to_id.is_(None), 1).label(
                "credited_cancelled"
            ),
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .group_by(Delivery.subscription_id)
    ):
        money[row.subscription_id].update(row._asdict())
    for row in db.session.execute(
        select(
            Installment.subscription_id,
            _sum(Installment.state != "cancelled", Installment.amount_cents).label("installments"),
            _sum(Installment.state.in_(UNPAID), 1).label("unpaid"),
            _sum(Installment.state.in_(PAID), Installment.amount_cents).label("paid"),
        ).group_by(Installment.subscription_id)
    ):
        money[row.subscription_id].update(row._asdict())
    return money


def deliveries_equal_commitment_minus_credits(ctx: CheckContext) -> Violations:
    """Σ price × quantity of the deliveries carrying baskets (not "cancelled", not an absence
    postponed elsewhere) = commitments − tier credits − cancellation and cancelled-day credits.
    Absence credits and closing credits are left out: their baskets were prepared."""
    found = []
    for sub_id, m in sorted(_subscription_money(ctx).items()):
        expected = m["committed"] - m["tier"] - m["other_credit"]
        if m["value"] != expected:
            found.append(
                f"subscription {sub_id}: deliveries worth {m['value']} ≠ committed "
                f"{m['committed']} − tier {m['tier']} − credits {m['other_credit']} = {expected}"
            )
    return found


def installments_equal_commitment(ctx: CheckContext) -> Violations:
    """Σ installments not cancelled = commitments + gift pledged − tier credits − cancellation
    and cancelled-day credits − gift withdrawn; more only when no unpaid installment is left to
    reduce (the household then overpaid: a credit in its favour)."""
    found = []
    for sub_id, m in sorted(_subscription_money(ctx).items()):
        expected = m["committed"] + m["pledged"] - m["tier"] - m["other_credit"] - m["withdrawn"]
        have = m["installments"]
        if have == expected or (have > expected and m["unpaid"] == 0):
            continue
        found.append(
            f"subscription {sub_id}: installments {have} ≠ committed {m['committed']} + gift "
            f"{m['pledged']} − tier {m['tier']} − credits {m['other_credit']} − gift withdrawn "
            f"{m['withdrawn']} = {expected} (unpaid installments: {m['unpaid']})"
        )
    return found


def gift_pledged_per_delivery_day(ctx: CheckContext) -> Violations:
    """Gift pledged − gift withdrawn = donation_per_delivery × the delivery rows, less the rows
    whose day was cancelled and credited: the gift is pledged once per delivery day and
    withdrawn with a delivery dropped by a cancellation (row deleted) or credited for its
    cancelled day; a cancelled day's basket carried to a later delivery keeps its gift."""
    per_delivery = dict(
        db.session.execute(select(Subscription.id, Subscription.donation_per_delivery_cents)).all()
    )
    found = []
    for sub_id, m in sorted(_subscription_money(ctx).items()):
        days = m["rows"] - m["credited_cancelled"]
        expected = per_delivery.get(sub_id, 0) * days
        if m["pledged"] - m["withdrawn"] != expected:
            found.append(
                f"subscription {sub_id}: gift {m['pledged']} − withdrawn {m['withdrawn']} ≠ "
                f"{per_delivery.get(sub_id, 0)} × {days} delivery days"
            )
    return found


def no_basket_counted_twice_or_lost(ctx: CheckContext) -> Violations:
    """Each delivery row is one basket owed at sign-up (or added with its day). A postponed
    basket leaves its row (absent, or cancelled day) and rides in a later quantity, so:
    Σ quantity of the rows carrying baskets = rows − postponed absences whose later delivery
    was cancelled with the subscription (credited within that delivery's quantity)."""
    found = []
    for sub_id, m in sorted(_subscription_money(ctx).items()):
        if "rows" not in m:
            continue
        # Cancelled-day rows under "credit" carry no basket: they were credited instead.
        expected = m["rows"] - m["lost_links"] - m["credited_cancelled"]
        if m["baskets"] != expected:
            found.append(
                f"subscription {sub_id}: {m['baskets']} baskets carried for {m['rows']} "
                f"delivery rows (expected {expected})"
            )
    return found


def ledger_payments_match_money_received(ctx: CheckContext) -> Violations:
    """Per subscription: Σ PAYMENT entries on its installments − bounced cheques = Σ amounts
    of its paid or handed-over installments. Per household and group: Σ PAYMENT entries =
    succeeded card/SEPA payments + offline payments received (or handed over); and the
    ledger's balance = payments − commitments − gifts + credits + adjustments − refunds.
    Membership fees received count as money received (see the membership invariant)."""
    found = []
    money = _subscription_money(ctx)
    booked = dict(
        db.session.execute(
            select(
                Installment.subscription_id,
                func.sum(LedgerEntry.amount_cents),
            )
            .join(Installment, Installment.id == LedgerEntry.installment_id)
            .where(
                or_(
                    LedgerEntry.kind == "payment",
                    func.coalesce(LedgerEntry.external_reference, "").like("offline:%:cancelled"),
                    # A debit returned after it was collected: its payment is reversed.
                    func.coalesce(LedgerEntry.external_reference, "").like("debit:%:returned"),
                )
            )
            .group_by(Installment.subscription_id)
        ).all()
    )
    for sub_id, m in sorted(money.items()):
        if int(booked.get(sub_id, 0)) != m["paid"]:
            found.append(
                f"subscription {sub_id}: payments booked {int(booked.get(sub_id, 0))} ≠ "
                f"installments paid {m['paid']}"
            )
    per_household = db.session.execute(
        select(
            LedgerEntry.user_id,
            LedgerEntry.group_id,
            _sum(LedgerEntry.kind == "payment").label("payments"),
            func.sum(LedgerEntry.amount_cents).label("balance"),
            (
                _sum(LedgerEntry.kind == "payment")
                + _sum(LedgerEntry.kind == "commitment")
                + _sum(LedgerEntry.kind == "donation")
                + _sum(LedgerEntry.kind == "credit")
                + _sum(LedgerEntry.kind == "adjustment")
                + _sum(LedgerEntry.kind == "refund")
            ).label("by_kind"),
        ).group_by(LedgerEntry.user_id, LedgerEntry.group_id)
    ).all()
    card = dict(
        (((u, g), int(a)))
        for u, g, a in db.session.execute(
            select(CardPayment.user_id, CardPayment.group_id, func.sum(CardPayment.amount_cents))
            .where(CardPayment.state == "succeeded")
            .group_by(CardPayment.user_id, CardPayment.group_id)
        )
    )
    offline = dict(
        (((u, g), int(a)))
        for u, g, a in db.session.execute(
            select(
                OfflinePayment.user_id,
                OfflinePayment.group_id,
                func.sum(OfflinePayment.amount_cents),
            )
            .where(OfflinePayment.state.in_(("received", "handed_over")))
            .group_by(OfflinePayment.user_id, OfflinePayment.group_id)
        )
    )
    fees = dict(
        (((u, g), int(a)))
        for u, g, a in db.session.execute(
            select(
                YearlyMembership.user_id,
                YearlyMembership.group_id,
                func.sum(YearlyMembership.amount_cents),
            )
            # A fee paid by card is already among the succeeded card payments.
            .where(YearlyMembership.paid_at.is_not(None), YearlyMembership.method != "card")
            .group_by(YearlyMembership.user_id, YearlyMembership.group_id)
        )
    )
    # Debits the group collected itself (a return after collection keeps its payment entry,
    # reversed by an adjustment).
    debited = dict(
        (((u, g), int(a)))
        for u, g, a in db.session.execute(
            select(
                DebitBatchItem.user_id,
                LedgerEntry.group_id,
                func.sum(DebitBatchItem.amount_cents),
            )
            .join(LedgerEntry, LedgerEntry.id == DebitBatchItem.ledger_entry_id)
            .group_by(DebitBatchItem.user_id, LedgerEntry.group_id)
        )
    )
    for row in per_household:
        key = (row.user_id, row.group_id)
        received = card.get(key, 0) + offline.get(key, 0) + fees.get(key, 0) + debited.get(key, 0)
        if int(row.payments) != received:
            found.append(
                f"household {row.user_id} in group {row.group_id}: payments booked "
                f"{row.payments} ≠ card {card.get(key, 0)} + offline {offline.get(key, 0)} "
                f"+ debits {debited.get(key, 0)}"
            )
        if int(row.balance) != int(row.by_kind):
            found.append(f"household {row.user_id}: balance {row.balance} ≠ {row.by_kind}")
    return found


def orders_match_ledger_and_stock(ctx: CheckContext) -> Violations:
    """Extras: per order, Σ ledger entries = −total if placed, 0 if cancelled; the order's
    total = Σ its lines; per availability, 0 ≤ reserved ≤ quantity and reserved = Σ
    quantities of the placed orders' lines (stock never negative, never oversold)."""
    found = []
    ledger = dict(
        db.session.execute(
            select(LedgerEntry.order_id, func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.order_id.is_not(None))
            .group_by(LedgerEntry.order_id)
        ).all()
    )
    lines = dict(
        db.session.execute(
            select(OrderLine.order_id, func.sum(OrderLine.total_cents)).group_by(OrderLine.order_id)
        ).all()
    )
    for order_id, status, total, grocery_id in db.session.execute(
        select(Order.id, Order.status, Order.total_cents, Order.grocery_id)
    ):
        if grocery_id is not None:
            continue
        expected = -total if status == "placed" else 0
        if int(ledger.get(order_id, 0)) != expected:
            found.append(f"order {order_id} ({status}): ledger {ledger.get(order_id)} ≠ {expected}")
        if status == "placed" and int(lines.get(order_id, 0)) != total:
            found.append(f"order {order_id}: total {total} ≠ lines {lines.get(order_id)}")
    reserved = dict(
        db.session.execute(
            select(OrderLine.availability_id, func.sum(OrderLine.quantity_milli))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.status == "placed")
            .group_by(OrderLine.availability_id)
        ).all()
    )
    for row in db.session.execute(
        select(Availability.id, Availability.quantity_milli, Availability.reserved_milli)
    ):
        if row.reserved_milli < 0 or (
            row.quantity_milli is not None and row.reserved_milli > row.quantity_milli
        ):
            found.append(
                f"availability {row.id}: reserved {row.reserved_milli} of {row.quantity_milli}"
            )
        if row.reserved_milli != int(reserved.get(row.id, 0)):
            found.append(
                f"availability {row.id}: reserved {row.reserved_milli} ≠ ordered "
                f"{int(reserved.get(row.id, 0))}"
            )
    return found


def fund_never_negative(ctx: CheckContext) -> Violations:
    """A group's solidarity fund (Σ movements) is never below zero."""
    return [
        f"group {group_id}: solidarity fund {balance}"
        for group_id, balance in db.session.execute(
            select(FundMovement.group_id, func.sum(FundMovement.amount_cents)).group_by(
                FundMovement.group_id
            )
        )
        if balance < 0
    ]


# --- 3. Pickup days ------------------------------------------------------------------------------


def closed_days_settled_once(ctx: CheckContext) -> Violations:
    """After a day is closed, no delivery of an active subscription on it is still "planned";
    a delivery is donated at most once and never both donated and credited at closing; a day
    nobody ticked is never credited automatically (no "pickup-closing:<day>:" credit unless
    someone ticked or closed it by hand)."""
    found = []
    for day_id, delivery_id in db.session.execute(
        select(Delivery.distribution_day_id, Delivery.id)
        .join(DayClosing, DayClosing.distribution_day_id == Delivery.distribution_day_id)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Subscription.status == "active", Delivery.state == "planned")
    ):
        found.append(f"day {day_id} closed but delivery {delivery_id} still planned")
    closing_refs = {
        ref
        for (ref,) in db.session.execute(
            select(LedgerEntry.external_reference).where(
                LedgerEntry.external_reference.like("pickup-closing:%")
            )
        )
    }
    credited_deliveries = {int(ref.rsplit(":", 1)[1]) for ref in closing_refs}
    donated = [
        delivery_id
        for (delivery_id,) in db.session.execute(
            select(DonatedItem.delivery_id).where(DonatedItem.delivery_id.is_not(None))
        )
    ]
    for delivery_id in sorted(set(donated) & credited_deliveries):
        found.append(f"delivery {delivery_id} both donated and credited at closing")
    for day_id in sorted(ctx.unticked_day_ids):
        ticked = db.session.scalar(
            select(func.count(ChecklistTap.id)).where(
                ChecklistTap.distribution_day_id == day_id,
                ChecklistTap.action.in_(("collected", "not_collected")),
            )
        )
        closed_by = db.session.execute(
            select(DayClosing.closed_by_id).where(DayClosing.distribution_day_id == day_id)
        ).first()
        credits = [ref for ref in closing_refs if ref.startswith(f"pickup-closing:{day_id}:")]
        if credits and not ticked and (closed_by is None or closed_by[0] is None):
            found.append(
                f"day {day_id}: nobody ticked, yet {len(credits)} basket(s) credited "
                f"automatically ({', '.join(sorted(credits)[:5])})"
            )
    return found


# --- 4. The producer's prefinancing statement --------------------------------------------------


def prefinancing_statement_is_the_sum_over_households(ctx: CheckContext) -> Violations:
    """For each producer and offer: committed = Σ households' −commitments; received = Σ their
    payments + refunds + the fund's tier support; baskets delivered / upcoming and euros
    delivered = Σ over the households' deliveries (started and held days; the standard price
    for an approved reduced tier); subscriptions = the active ones."""
    found = []
    per_offer: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for offer_id, kind, amount in db.session.execute(
        select(Subscription.offer_id, LedgerEntry.kind, LedgerEntry.amount_cents).join(
            Subscription, Subscription.id == LedgerEntry.subscription_id
        )
    ):
        if kind == "commitment":
            per_offer[offer_id]["committed_cents"] -= amount
        elif kind in ("payment", "refund"):
            per_offer[offer_id]["received_cents"] += amount
    for offer_id, amount in db.session.execute(
        select(Subscription.offer_id, FundMovement.amount_cents)
        .join(Subscription, Subscription.id == FundMovement.subscription_id)
        .where(FundMovement.kind == "tier_support")
    ):
        per_offer[offer_id]["received_cents"] -= amount
    from marketplace.baskets.models import BasketSize, PriceTier

    for row in db.session.execute(
        select(
            Subscription.offer_id,
            Subscription.status,
            Subscription.tier_status,
            PriceTier.percent,
            BasketSize.price_cents.label("size_price"),
            Delivery.price_cents,
            Delivery.quantity,
            Delivery.state,
            DistributionDay.starts_at,
            DistributionDay.status.label("day_status"),
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(PriceTier, PriceTier.id == Subscription.tier_id)
        .join(BasketSize, BasketSize.id == Delivery.size_id)
        .join(DistributionDay, DistributionDay.id == Delivery.distribution_day_id)
    ):
        figures = per_offer[row.offer_id]
        held = row.day_status != "cancelled"
        started = row.starts_at <= ctx.now
        if held and started and row.state in DELIVERED_STATES:
            reduced = row.tier_status == "approved" and row.percent < 100
            price = row.size_price if reduced else row.price_cents
            figures["delivered_cents"] += price * row.quantity
            figures["baskets_delivered"] += row.quantity
        if held and not started and row.state in UPCOMING_STATES:
            figures["baskets_upcoming"] += row.quantity
    for offer_id, count in db.session.execute(
        select(Subscription.offer_id, func.count())
        .where(Subscription.status == "active")
        .group_by(Subscription.offer_id)
    ):
        per_offer[offer_id]["subscriptions"] = count
    for producer_id in ctx.producer_ids:
        for figures in producer_statement(producer_id, now=ctx.now).offers:
            mine = per_offer[figures.offer_id]
            for name in (
                "subscriptions",
                "committed_cents",
                "received_cents",
                "delivered_cents",
                "baskets_delivered",
                "baskets_upcoming",
            ):
                if getattr(figures, name) != mine[name]:
                    found.append(
                        f"producer {producer_id}, offer {figures.offer_id}: statement {name} "
                        f"{getattr(figures, name)} ≠ Σ households {mine[name]}"
                    )
    return found


# --- 5. Scheduled jobs --------------------------------------------------------------------------


def each_job_once_per_period(ctx: CheckContext) -> Violations:
    """Every job run succeeded at its first attempt (one row per job and period, by the
    database's UNIQUE), and every daily job ran exactly once for each simulated day."""
    found = [
        f"job {name} period {key}: {outcome} after {attempts} attempt(s)"
        for name, key, outcome, attempts in db.session.execute(
            select(JobRun.job_name, JobRun.period_key, JobRun.outcome, JobRun.attempts).where(
                or_(JobRun.outcome != "succeeded", JobRun.attempts != 1)
            )
        )
    ]
    expected = {day.isoformat() for day in ctx.simulated_days}
    runs: dict[str, list[str]] = defaultdict(list)
    for name, key in db.session.execute(
        select(JobRun.job_name, JobRun.period_key).where(JobRun.job_name.in_(ctx.daily_jobs))
    ):
        runs[name].append(key)
    for name in ctx.daily_jobs:
        keys = runs.get(name, [])
        missing = sorted(expected - set(keys))
        doubled = sorted({key for key in keys if keys.count(key) > 1})
        if missing or doubled:
            found.append(f"job {name}: periods missing {missing[:5]}, doubled {doubled[:5]}")
    return found


# --- Membership: one per household, group and period, its fee booked once -----------------------


def one_membership_per_period_fee_booked_once(ctx: CheckContext) -> Violations:
    """Each household holds at most one membership per group and period; each membership's
    fee is ONE commitment of minus its amount and, once paid, ONE payment of its amount (none
    before); no fee entry is left without its membership."""
    found = [
        f"household {user_id} in group {group_id}: {count} memberships from {starts}"
        for user_id, group_id, starts, count in db.session.execute(
            select(
                YearlyMembership.user_id,
                YearlyMembership.group_id,
                YearlyMembership.period_starts_on,
                func.count(YearlyMembership.id),
            )
            .group_by(
                YearlyMembership.user_id,
                YearlyMembership.group_id,
                YearlyMembership.period_starts_on,
            )
            .having(func.count(YearlyMembership.id) > 1)
        )
    ]
    entries: dict[str, list[tuple[str, int, int, int]]] = defaultdict(list)
    for reference, kind, amount, user_id, group_id in db.session.execute(
        select(
            LedgerEntry.external_reference,
            LedgerEntry.kind,
            LedgerEntry.amount_cents,
            LedgerEntry.user_id,
            LedgerEntry.group_id,
        ).where(LedgerEntry.external_reference.like("adhesion-%"))
    ):
        entries[reference].append((kind, amount, user_id, group_id))
    seen = set()
    for membership in db.session.scalars(select(YearlyMembership)):
        who = (membership.user_id, membership.group_id)
        expected = {membership.commitment_reference: [("commitment", -membership.amount_cents)]}
        expected[membership.payment_reference] = (
            [("payment", membership.amount_cents)] if membership.is_paid else []
        )
        for reference, wanted in expected.items():
            seen.add(reference)
            booked = entries.get(reference, [])
            if [(kind, amount) for kind, amount, _u, _g in booked] != wanted or any(
                (user_id, group_id) != who for _k, _a, user_id, group_id in booked
            ):
                found.append(
                    f"membership {membership.id}: {reference} booked {booked}, not {wanted}"
                )
    found += [
        f"fee entry {reference} without its membership" for reference in entries.keys() - seen
    ]
    return found


# --- 6. The treasurer's books ---------------------------------------------------------------------


def producers_settled_plus_owed_equal_collected(ctx: CheckContext) -> Violations:
    """For each group G and producer P, with C = Σ ledger payments on P's contracts in G minus
    the refunds and reversals (kind refund, or adjustment with an external reference other
    than an absence taken back, "absence:…"):
    Σ payouts(G, P) + Σ offline payments handed over (G, P) + Σ payment fees (G, P)
    + owed(G, P) = C, where owed is
    the figure of the producer's statement (marketplace.books.owed). A remitted payment is
    booked (received or handed over, never still recorded), and remitted once."""
    found: Violations = []
    collected: dict[tuple[int, int], int] = defaultdict(int)
    for group_id, producer_id, total in db.session.execute(
        select(LedgerEntry.group_id, BasketOffer.producer_id, func.sum(LedgerEntry.amount_cents))
        .join(BasketOffer, BasketOffer.id == LedgerEntry.offer_id)
        .where(
            or_(
                LedgerEntry.kind.in_(("payment", "refund")),
                and_(
                    LedgerEntry.kind == "adjustment",
                    LedgerEntry.external_reference.is_not(None),
                    LedgerEntry.external_reference.not_like("absence:%"),
                ),
            )
        )
        .group_by(LedgerEntry.group_id, BasketOffer.producer_id)
    ):
        collected[(group_id, producer_id)] = int(total)
    settled: dict[tuple[int, int], int] = defaultdict(int)
    for group_id, producer_id, total in db.session.execute(
        select(Payout.group_id, Payout.producer_id, func.sum(Payout.amount_cents)).group_by(
            Payout.group_id, Payout.producer_id
        )
    ):
        settled[(group_id, producer_id)] += int(total)
    for group_id, producer_id, total in db.session.execute(
        select(
            OfflinePayment.group_id, BasketOffer.producer_id, func.sum(OfflinePayment.amount_cents)
        )
        .join(Installment, Installment.id == OfflinePayment.installment_id)
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .where(OfflinePayment.state == "handed_over")
        .group_by(OfflinePayment.group_id, BasketOffer.producer_id)
    ):
        settled[(group_id, producer_id)] += int(total)
    # The payment provider's fees are settled too: kept by it, never owed to the producer.
    for group_id, producer_id, total in db.session.execute(
        select(LedgerEntry.group_id, BasketOffer.producer_id, func.sum(CardPayment.fee_cents))
        .join(LedgerEntry, LedgerEntry.id == CardPayment.ledger_entry_id)
        .join(BasketOffer, BasketOffer.id == LedgerEntry.offer_id)
        .where(CardPayment.fee_cents.is_not(None))
        .group_by(LedgerEntry.group_id, BasketOffer.producer_id)
    ):
        settled[(group_id, producer_id)] += int(total)
    group_ids = set(db.session.scalars(select(BasketOffer.group_id).distinct()))
    for group_id in group_ids:
        for balance in owed.balances(group_id, until=ctx.today):
            key = (group_id, balance.producer_id)
            if settled[key] + balance.owed_cents != collected[key]:
                found.append(
                    f"group {group_id}, producer {balance.producer_id}: settled {settled[key]} "
                    f"+ owed {balance.owed_cents} ≠ collected {collected[key]}"
                )
    for payment_id, state in db.session.execute(
        select(OfflinePayment.id, OfflinePayment.state)
        .join(RemittanceItem, RemittanceItem.payment_id == OfflinePayment.id)
        .where(OfflinePayment.state.not_in(("received", "handed_over")))
    ):
        found.append(f"offline payment {payment_id} remitted but {state}")


# --- 6. Direct debits through the group's own bank ------------------------------------------


def each_installment_in_one_batch_and_each_debit_booked_once(ctx: CheckContext) -> Violations:
    """An installment is in at most one batch. A collected debit has exactly one PAYMENT of
    its amount (reference "debit:<end-to-end id>") and its installment is paid; a returned
    one is failed or paid another way, its payment (if it had been collected) reversed once;
    a debit still submitted has no payment and its installment is pending."""
    found = [
        f"installment {installment_id} in {count} batches"
        for installment_id, count in db.session.execute(
            select(DebitBatchItem.installment_id, func.count())
            .group_by(DebitBatchItem.installment_id)
            .having(func.count() > 1)
        )
    ]
    reference = func.coalesce(LedgerEntry.external_reference, "")
    booked: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for ref, kind, amount in db.session.execute(
        select(reference, LedgerEntry.kind, LedgerEntry.amount_cents).where(
            reference.like("debit:%")
        )
    ):
        booked[ref.split(":")[1]].append((kind, amount))
    rows = db.session.execute(
        select(DebitBatchItem, Installment.state).join(
            Installment, Installment.id == DebitBatchItem.installment_id
        )
    ).all()
    for item, installment_state in rows:
        entries = sorted(booked.get(item.end_to_end_id, []))
        paid = ("payment", item.amount_cents)
        reversed_ = ("adjustment", -item.amount_cents)
        if item.state == "collected":
            ok = entries == [paid] and installment_state in PAID
        elif item.state == "returned":
            ok = entries in ([], sorted([paid, reversed_])) and (
                installment_state in (*UNPAID, *PAID, "pending")
            )
            ok = ok and (item.ledger_entry_id is None) == (entries == [])
        else:
            ok = entries == [] and installment_state == "pending"
        if not ok:
            found.append(
                f"debit {item.end_to_end_id} ({item.state}, installment {item.installment_id} "
                f"{installment_state}): ledger {entries}"
            )
    return found


def ledger_entries_say_what_happened(ctx: CheckContext) -> Violations:
    """Every entry the site books has a kind of label (the simulation types no free text);
    the latest ones read in English, and their stored French is what their kind writes."""
    found = [
        f"ledger entry {entry_id} has no kind of label: {label!r}"
        for entry_id, label in db.session.execute(
            select(LedgerEntry.id, LedgerEntry.label)
            .where(LedgerEntry.label_key.is_(None))
            .limit(5)
        )
    ]
    latest = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.label, LedgerEntry.label_key, LedgerEntry.label_params)
        .order_by(LedgerEntry.id.desc())
        .limit(50)
    ).all()
    for entry_id, label, key, params in latest:
        if key is None:
            continue
        if french_text(key, params) != label:
            found.append(f"ledger entry {entry_id}: {label!r} is not what {key} writes")
        with force_locale("en"):
            if label_text(label, key, params) == label:
                found.append(f"ledger entry {entry_id} ({key}) does not read in English")
    return found


INVARIANTS: list[Callable[[CheckContext], Violations]] = [
    one_delivery_per_covered_day,
    deliveries_equal_commitment_minus_credits,
    installments_equal_commitment,
    gift_pledged_per_delivery_day,
    no_basket_counted_twice_or_lost,
    ledger_payments_match_money_received,
    orders_match_ledger_and_stock,
    fund_never_negative,
    closed_days_settled_once,
    prefinancing_statement_is_the_sum_over_households,
    each_job_once_per_period,
    one_membership_per_period_fee_booked_once,
    producers_documents_equal_what_households_owe_them,
    producers_settled_plus_owed_equal_collected,
    each_installment_in_one_batch_and_each_debit_booked_once,
    ledger_entries_say_what_happened,
]
