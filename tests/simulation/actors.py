"""What people do on a simulated day, each action through the service a view would call.

Every action runs through `Simulation.act`, which commits like a view (one commit per action)
or rolls back on a DomainError and counts the refusal. Decisions are drawn from the
simulation's seeded generator only, in a stable order (ids ascending), so a run is the same
on every database.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.baskets import absences, cancellation, renewal, subscribing, tiers, waiting_list
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    PriceTier,
    Subscription,
    WaitingListEntry,
)
from marketplace.catalogue.availability import CellChange, publish_cells
from marketplace.delivery import days as delivery_days
from marketplace.delivery import services as delivery_services
from marketplace.delivery.models import DistributionDay, DistributionSchedule, PickupPoint
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.membership import services as membership
from marketplace.membership.models import YearlyMembership
from marketplace.payments import fund, offline
from marketplace.payments.models import Installment, OfflinePayment
from marketplace.pickup import closing, roster
from marketplace.pickup.taps import TapIn, apply_taps
from marketplace.producers.models import Producer
from marketplace.shifts import signups
from marketplace.shifts.models import VolunteerRole
from marketplace.shop import ordering
from marketplace.timezones import local_instant
from tests.simulation.territory import HouseholdRef, OfferRef, create_offer

if TYPE_CHECKING:
    from tests.simulation.engine import Simulation


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _offer(ref: OfferRef) -> BasketOffer:
    return db.session.get(BasketOffer, ref.offer_id)


# --- Households ----------------------------------------------------------------------------------


def save_payment_method(sim: Simulation, household: HouseholdRef) -> None:
    """A card or SEPA mandate saved in localstripe (as Stripe.js and the SetupIntent would)."""
    if household.method not in ("card", "sepa_debit") or not sim.cards:
        return
    from marketplace.cards import gateway, saved_methods
    from tests.cards.stripe_helpers import CARD_OK, IBAN_OK, payment_method, sepa_method

    user = _user(household.user_id)
    method_id = payment_method(CARD_OK) if household.method == "card" else sepa_method(IBAN_OK)
    customer = gateway.customer_id_for(user)
    gateway.client().v1.payment_methods.attach(method_id, params={"customer": customer})
    sim.act("carte ou mandat enregistré", saved_methods.save, user, method_id)


def memberships(sim: Simulation, day_number: int) -> None:
    """At the season's start the coordinators set the membership up (the first group requires
    it to sign up), households join for the period (a period from the season's first month,
    so the season stays inside it) and hand their fee over; every fifth pays a week later.
    Each joins twice (a double click), which must give one membership and one fee."""
    if day_number not in (0, 7):
        return
    for group in sim.territory.groups:
        group_row = db.session.get(Group, group.group_id)
        coordinator = _user(group.coordinator_id)
        if day_number == 0:
            sim.act(
                "adhésion : réglages",
                membership.save_settings,
                group_row,
                start_month=sim.territory.first_day.month,
                pricing="fixed",
                amount_cents=1000 + 500 * group.index,
                levels=[],
                required=group.index == 0,
                remind_days_before=30,
                today=sim.today(),
            )
        for number, household in enumerate(sim.households_of(group)):
            late = number % 5 == 4
            user = _user(household.user_id)
            if day_number == 0:
                for _click in range(2):
                    sim.act("adhésion", membership.join, group_row, user, today=sim.today())
            if late != (day_number == 7):
                continue
            joined = db.session.scalar(
                select(YearlyMembership).where(
                    YearlyMembership.user_id == user.id,
                    YearlyMembership.group_id == group.group_id,
                )
            )
            if joined is None:
                continue
            method = ("cheque", "cash", "transfer")[number % 3]
            sim.cheque_counter += 1
            sim.act(
                "adhésion : cotisation reçue",
                membership.record_payment,
                joined,
                method=method,
                bank="Banque Populaire" if method == "cheque" else "",
                cheque_number=f"A{sim.cheque_counter:07d}" if method == "cheque" else "",
                recorded_by=coordinator,
                today=sim.today(),
                now=sim.now(),
            )


def sign_up(sim: Simulation, household: HouseholdRef, key: str) -> None:
    group = sim.territory.groups[household.group_index]
    ref = group.offers.get(key)
    if ref is None or key in household.subscription_ids:
        return
    offer = _offer(ref)
    user = _user(household.user_id)
    size_index = 1 if household.size_choice == "big" and len(ref.size_ids) > 1 else 0
    size = db.session.get(BasketSize, ref.size_ids[size_index])
    tier = db.session.get(PriceTier, ref.tier_ids.get(household.tier_percent, ref.tier_ids[100]))
    method = (
        household.method
        if (household.method not in ("card", "sepa_debit") or sim.cards)
        else "cheque"
    )
    subscription = sim.act(
        f"inscription ({key})",
        subscribing.subscribe,
        offer,
        user,
        size,
        db.session.get(PickupPoint, group.pickup_point_id),
        tier,
        household.plan,
        method,
        sim.now(),
        donation_per_delivery_cents=household.donation_cents,
    )
    if subscription is not None:
        household.subscription_ids[key] = subscription.id
        return
    # A full size: the household joins its waiting list.
    if size.capacity is not None:
        sim.act("liste d'attente", waiting_list.join, offer, user, size, sim.now())


def accept_offered_places(sim: Simulation) -> None:
    """Households a place was offered to (by the scheduler) take it the next day."""
    entries = db.session.execute(
        select(WaitingListEntry.id, WaitingListEntry.user_id, WaitingListEntry.offer_id)
        .where(WaitingListEntry.state == "offered")
        .order_by(WaitingListEntry.id)
    ).all()
    for _entry_id, user_id, offer_id in entries:
        household = sim.household_by_user[user_id]
        for key, ref in sim.territory.groups[household.group_index].offers.items():
            if ref.offer_id == offer_id:
                sim.stats["places taken from the waiting list"] += 1
                sign_up(sim, household, key)


def absences_and_gifts(sim: Simulation, today: date) -> None:
    """Each household looks at its next baskets (within a week) and may be away or send a
    friend; now and then it changes its mind."""
    now = sim.now()
    rows = db.session.execute(
        select(Delivery.id, Subscription.user_id, Delivery.state)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(DistributionDay, DistributionDay.id == Delivery.distribution_day_id)
        .where(
            Subscription.status == "active",
            DistributionDay.status == "scheduled",
            DistributionDay.order_closes_at > now,
            DistributionDay.day <= today + timedelta(days=7),
            Delivery.state.in_(("planned", "absent", "given")),
        )
        .order_by(Delivery.id)
    ).all()
    for delivery_id, user_id, state in rows:
        household = sim.household_by_user[user_id]
        draw = sim.rng.random()
        if draw >= household.absence_rate / 7 + household.gift_rate / 7 + 0.004:
            continue
        delivery = db.session.get(Delivery, delivery_id)
        if state == "absent":
            sim.act("absence annulée", absences.cancel_absence, delivery, now)
        elif state == "given":
            sim.act("don annulé", absences.cancel_gift, delivery, now)
        elif draw < household.absence_rate / 7:
            sim.act("absence", absences.mark_absent, delivery, now)
        else:
            name = f"Ami·e {sim.rng.randint(1, 999)}"
            sim.act("panier donné", absences.give_to, delivery, name, None, now)


def cancellations(sim: Simulation, day_number: int) -> None:
    for household in sim.territory.households:
        if household.cancels_on != day_number:
            continue
        for key in sorted(household.subscription_ids):
            subscription = db.session.get(Subscription, household.subscription_ids[key])
            if subscription.status == "active":
                # The eggs contract is a season commitment: the household is refused.
                sim.act(
                    f"résiliation ({key})",
                    cancellation.cancel_by_household,
                    subscription,
                    sim.now(),
                )


def renewals(sim: Simulation) -> None:
    """Households invited to the next season sign up again with last season's choices."""
    for household in sim.territory.households:
        if not household.renews or "veg-next" in household.subscription_ids:
            continue
        group = sim.territory.groups[household.group_index]
        ref = group.offers.get("veg-next")
        if ref is None or "veg" not in household.subscription_ids:
            continue
        if sim.rng.random() > 0.25:
            continue
        offer = _offer(ref)
        user = _user(household.user_id)
        choices = renewal.prefill(offer, user)
        if not choices:
            continue
        subscription = sim.act(
            "réinscription",
            subscribing.subscribe,
            offer,
            user,
            db.session.get(BasketSize, choices.get("size_id")),
            db.session.get(PickupPoint, choices["pickup_point_id"]),
            db.session.get(PriceTier, choices.get("tier_id")),
            choices.get("plan", household.plan),
            choices.get("method", household.method),
            sim.now(),
        )
        if subscription is not None:
            household.subscription_ids["veg-next"] = subscription.id


def extras(sim: Simulation, today: date) -> None:
    """Households order extras for their next distribution, and sometimes cancel."""
    now = sim.now()
    for group in sim.territory.groups:
        day = db.session.scalar(
            select(DistributionDay)
            .where(
                DistributionDay.group_id == group.group_id,
                DistributionDay.status == "scheduled",
                DistributionDay.order_opens_at <= now,
                DistributionDay.order_closes_at > now,
            )
            .order_by(DistributionDay.starts_at)
            .limit(1)
        )
        if day is None:
            continue
        from marketplace.catalogue.models import Availability

        offers = (
            db.session.execute(
                select(Availability.id)
                .where(Availability.group_id == group.group_id, Availability.day == day.day)
                .order_by(Availability.id)
            )
            .scalars()
            .all()
        )
        if not offers:
            continue
        for household in sim.households_of(group):
            if sim.rng.random() >= household.order_rate / 5:
                continue
            user = _user(household.user_id)
            order = ordering.live_order(user.id, day.id)
            if order is not None:
                if sim.rng.random() < 0.3:
                    sim.act("commande annulée", ordering.cancel_order, order, now=now)
                continue
            quantities = {
                availability_id: sim.rng.choice([500, 1000, 2000])
                for availability_id in offers
                if sim.rng.random() < 0.6
            }
            if quantities:
                sim.act("commande", ordering.place_order, user, day, quantities, now=now)


# --- Producers -----------------------------------------------------------------------------------


def publish_availability(sim: Simulation, today: date) -> None:
    """Each market gardener offers its products for the group's distributions of the next
    ten days, with a limited quantity (so stock runs out now and then)."""
    now = sim.now()
    for group in sim.territory.groups:
        days = db.session.scalars(
            select(DistributionDay.day)
            .where(
                DistributionDay.group_id == group.group_id,
                DistributionDay.status == "scheduled",
                DistributionDay.order_closes_at > now,
                DistributionDay.day <= today + timedelta(days=10),
            )
            .order_by(DistributionDay.day)
        ).all()
        changes = []
        for day in days:
            if (group.index, day) in sim.published:
                continue
            sim.published.add((group.index, day))
            for product_id in group.product_ids:
                changes.append(
                    CellChange(
                        product_id=product_id,
                        day=day,
                        offered=True,
                        quantity_milli=sim.rng.choice([5_000, 10_000, 20_000]),
                    )
                )
        if changes:
            sim.act(
                "disponibilités publiées",
                publish_cells,
                db.session.get(Producer, group.veg_producer_id),
                db.session.get(Group, group.group_id),
                changes,
                now,
            )


# --- Coordinators --------------------------------------------------------------------------------


def tier_decisions(sim: Simulation) -> None:
    """Pending solidarity prices are granted (most) or refused a few days after sign-up."""
    now = sim.now()
    for group in sim.territory.groups:
        model = db.session.get(Group, group.group_id)
        for request in tiers.pending_requests(model, now):
            subscription = request.subscription
            if (now - subscription.created_at) < timedelta(days=3):
                continue
            if sim.rng.random() < 0.8:
                sim.act("tarif solidaire accordé", tiers.approve, model, subscription.id, now)
            else:
                sim.act("tarif solidaire refusé", tiers.refuse, model, subscription.id)


def gifts_to_fund(sim: Simulation, day_number: int) -> None:
    """A generous household gives once to each group's fund at the start of the season."""
    if day_number != 0:
        return
    for group in sim.territory.groups:
        giver = sim.households_of(group)[0]
        sim.act(
            "don au fonds",
            fund.give_once,
            db.session.get(Group, group.group_id),
            _user(giver.user_id),
            sim.rng.choice([5_000, 10_000, 20_000]),
            sim.today(),
            f"sim-{group.index}",
        )


def cheques_and_transfers(sim: Simulation, today: date) -> None:
    """Cheque households hand all their cheques over a few days after signing (cashed month by
    month); transfers arrive on their due date. The coordinator records them and, on the
    cashing date, marks them received."""
    now = sim.now()
    rows = db.session.execute(
        select(
            Installment.id,
            Installment.amount_cents,
            Installment.due_on,
            Installment.created_at,
            Subscription.user_id,
            Subscription.group_id,
            Subscription.payment_method,
        )
        .join(Subscription, Subscription.id == Installment.subscription_id)
        .where(
            Subscription.status == "active",
            Subscription.payment_method.in_(("cheque", "transfer")),
            Installment.state.in_(("planned", "failed")),
        )
        .order_by(Subscription.user_id, Installment.id)
    ).all()
    by_household: dict[tuple[int, int], list] = {}
    for row in rows:
        if row.payment_method == "cheque" and now - row.created_at < timedelta(days=3):
            continue
        if row.payment_method == "transfer" and row.due_on > today:
            continue
        by_household.setdefault((row.user_id, row.group_id), []).append(row)
    for (user_id, group_id), items in by_household.items():
        coordinator = sim.coordinator_of_group[group_id]
        lines = []
        for position, row in enumerate(items):
            sim.cheque_counter += 1
            is_cheque = row.payment_method == "cheque"
            lines.append(
                offline.PaymentLine(
                    position=position,
                    installment_id=row.id,
                    method="cheque" if is_cheque else "transfer",
                    amount_cents=row.amount_cents,
                    bank="Crédit Coopératif" if is_cheque else "",
                    cheque_number=f"{sim.cheque_counter:07d}" if is_cheque else "",
                    cash_on=max(row.due_on, today) if is_cheque else None,
                )
            )
        sim.act(
            "paiements hors ligne enregistrés",
            offline.record_payments,
            group_id=group_id,
            user_id=user_id,
            lines=lines,
            recorded_by_id=coordinator,
        )
    for group in sim.territory.groups:
        due = db.session.scalars(
            select(OfflinePayment.id)
            .where(
                OfflinePayment.group_id == group.group_id,
                OfflinePayment.state == "recorded",
                (OfflinePayment.cash_on.is_(None)) | (OfflinePayment.cash_on <= today),
            )
            .order_by(OfflinePayment.id)
        ).all()
        if due:
            sim.act(
                "paiements encaissés",
                offline.mark_received,
                group_id=group.group_id,
                payment_ids=due,
                now=now,
                today=today,
            )


def volunteer_shifts(sim: Simulation, today: date) -> None:
    now = sim.now()
    for group in sim.territory.groups:
        days = db.session.scalars(
            select(DistributionDay)
            .where(
                DistributionDay.group_id == group.group_id,
                DistributionDay.status == "scheduled",
                DistributionDay.starts_at > now,
                DistributionDay.day <= today + timedelta(days=7),
            )
            .order_by(DistributionDay.starts_at)
        ).all()
        for day in days:
            if (group.index, day.id) in sim.shifts:
                continue
            sim.shifts.add((group.index, day.id))
            sim.act(
                "permanence",
                signups.sign_up,
                day,
                db.session.get(VolunteerRole, group.role_id),
                _user(group.volunteer_id),
                now,
            )


def calendar_changes(sim: Simulation, day_number: int, today: date) -> None:
    """At dawn, before the scheduler: one group's calendar skips the season's public holiday
    from week 3 on; another distribution is cancelled three weeks ahead (the hall is closed)."""
    territory = sim.territory
    horizon = sim.app.config["DISTRIBUTION_HORIZON_WEEKS"]
    if day_number == 21 and territory.holiday:
        schedule = db.session.get(DistributionSchedule, territory.groups[0].schedule_id)
        sim.notes.append(f"jour férié {territory.holiday} retiré du calendrier (jour {day_number})")

        def skip_holidays():
            if hasattr(schedule, "skip_public_holidays"):
                schedule.skip_public_holidays = True
            else:  # today's code: the coordinator cancels that date by hand
                delivery_services.add_exception(
                    schedule,
                    occurrence_date=territory.holiday,
                    kind="cancelled",
                    today=today,
                    reason="Jour férié",
                )
            return delivery_days.materialise_schedule(schedule, today, horizon)

        sim.act("jour férié", skip_holidays)
    if day_number == 35:
        group = territory.groups[-1]
        schedule = db.session.get(DistributionSchedule, group.schedule_id)
        target = today + timedelta(days=21)
        while target.weekday() != group.weekday:
            target += timedelta(days=1)
        if territory.holiday and target == territory.holiday:
            target += timedelta(days=7)
        sim.notes.append(f"distribution du {target} annulée (jour {day_number})")

        def cancel_day():
            delivery_services.add_exception(
                schedule,
                occurrence_date=target,
                kind="cancelled",
                today=today,
                reason="Salle fermée",
            )
            return delivery_days.materialise_schedule(schedule, today, horizon)

        sim.act("distribution annulée", cancel_day)


def renew_offers(sim: Simulation, day_number: int) -> None:
    """Six weeks before the end, each group publishes next season's vegetable contract, which
    renews this one (its households are invited)."""
    territory = sim.territory
    if day_number != territory.spec.weeks * 7 - 42:
        return
    starts = territory.season_ends_on + timedelta(days=1)
    ends = starts + timedelta(weeks=territory.spec.weeks) - timedelta(days=1)
    for group in territory.groups:
        previous = group.offers["veg"]
        offer = _offer(previous)

        def publish(group=group, offer=offer):
            return create_offer(
                territory,
                db.session.get(Group, group.group_id),
                key="veg-next",
                producer_id=group.veg_producer_id,
                name="Contrat légumes (saison suivante)",
                weekly=True,
                absence_policy=offer.absence_policy,
                cancellation_policy="with_notice",
                sizes=[(size.name, size.price_cents + 50, size.capacity) for size in offer.sizes],
                cancelled_day_policy="credit",
                starts=starts,
                ends=ends,
                previous_offer_id=offer.id,
            )

        ref = sim.act("contrat renouvelé", publish)
        if ref is not None:
            group.offers["veg-next"] = ref
            renewal.send_invitations(_offer(ref))


# --- Pickup days ---------------------------------------------------------------------------------


def todays_days(today: date) -> list[DistributionDay]:
    return list(
        db.session.scalars(
            select(DistributionDay)
            .where(DistributionDay.day == today, DistributionDay.status == "scheduled")
            .order_by(DistributionDay.starts_at, DistributionDay.id)
        )
    )


def tick_checklist(sim: Simulation, day: DistributionDay) -> None:
    """The volunteer on duty ticks every line: most collected, a few not."""
    group = sim.group_by_id[day.group_id]
    volunteer = _user(group.volunteer_id)
    now = sim.now()
    taps = []
    for line in roster.household_lines(day.id):
        for basket in line.baskets:
            action = "collected" if sim.rng.random() < 0.93 else "not_collected"
            taps.append(_tap(day, "delivery", basket.delivery_id, action, now))
        if line.order_id is not None:
            action = "collected" if sim.rng.random() < 0.9 else "not_collected"
            taps.append(_tap(day, "order", line.order_id, action, now))
    if taps:
        results = sim.act("émargement", apply_taps, day, volunteer, taps, now)
        for result in results or []:
            sim.stats[f"taps {result.status}"] += 1


def _tap(day: DistributionDay, kind: str, target_id: int, action: str, now) -> TapIn:
    return TapIn(
        tap_id=f"sim-{day.id}-{kind}-{target_id}",
        target_kind=kind,
        target_id=target_id,
        action=action,
        tapped_at=now,
        device_id="phone-sim",
    )


def close_day(sim: Simulation, day: DistributionDay) -> None:
    group = sim.group_by_id[day.group_id]
    sim.act(
        "distribution clôturée",
        closing.close_day,
        day,
        now=sim.now(),
        closed_by_id=group.volunteer_id,
        may_close_early=False,
        grocery_id=sim.territory.grocery_id,
    )


def settle_unticked(sim: Simulation) -> None:
    """The coordinator confirms from the paper sheet that everything was collected on the day
    nobody ticked (when the application offers it)."""
    try:
        from marketplace.pickup import unticked
    except ImportError:
        return
    if not hasattr(unticked, "mark_all_collected"):
        return
    for day_id in sorted(sim.unticked_day_ids):
        if day_id in sim.unticked_settled:
            continue
        day = db.session.get(DistributionDay, day_id)
        if sim.now() < day.ends_at + timedelta(hours=12):
            continue
        if unticked.flag_of(day_id) is None:
            continue
        coordinator = _user(sim.group_by_id[day.group_id].coordinator_id)
        sim.unticked_settled.add(day_id)
        sim.act(
            "tout retiré (feuille papier)", unticked.mark_all_collected, day, coordinator, sim.now()
        )


def evening_instant(day: DistributionDay, minutes_after_start: int):
    return day.starts_at + timedelta(minutes=minutes_after_start)


def morning(today: date, hour: int, minute: int = 0):
    return local_instant(today, time(hour, minute))
