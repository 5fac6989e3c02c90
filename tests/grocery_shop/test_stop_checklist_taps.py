"""A stop's checklist uses the pickup day's sync: taps on pre-orders applied exactly once,
phones converge, only the stop's placed pre-orders may be ticked, a closed or cancelled run
refuses every tap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder
from marketplace.grocery_shop.stop_checklist import STOPS
from marketplace.pickup.models import ChecklistTap
from marketplace.pickup.taps import TapIn, TapStatus, apply_taps
from tests import factories
from tests.grocery_shop import stop_checklist_support as support

T0 = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)


def tap(tap_id, pre_order, action="collected", minutes=0, note="", kind="pre_order", device="a"):
    return TapIn(
        tap_id=tap_id,
        target_kind=kind,
        target_id=pre_order.id,
        action=action,
        tapped_at=T0 + timedelta(minutes=minutes),
        note=note,
        device_id=device,
    )


def apply(stop, user, taps, **options):
    return [r.status for r in apply_taps(stop.run_stop, user, taps, source=STOPS, **options)]


def stored(pre_order) -> PreOrder:
    db.session.expire_all()
    return db.session.get(PreOrder, pre_order.id)


def test_collected_not_collected_undo_and_note(app):
    stop = support.make_stop()
    pre_order = support.add_pre_order(stop)
    staff = support.staff(stop)

    assert apply(stop, staff, [tap("t1", pre_order)]) == [TapStatus.APPLIED]
    assert stored(pre_order).pickup_state == "collected"
    apply(stop, staff, [tap("t2", pre_order, "not_collected", minutes=1)])
    assert stored(pre_order).pickup_state == "not_collected"
    apply(
        stop,
        staff,
        [
            tap("t3", pre_order, "pending", minutes=2),
            tap("t4", pre_order, "note", minutes=3, note="  Passera à 11 h  "),
        ],
    )
    assert (stored(pre_order).pickup_state, stored(pre_order).pickup_note) == (
        "pending",
        "Passera à 11 h",
    )
    taps = db.session.scalars(select(ChecklistTap)).all()
    assert {(t.run_stop_id, t.distribution_day_id) for t in taps} == {(stop.run_stop.id, None)}


def test_replay_is_already_applied_and_changes_nothing(app):
    stop = support.make_stop()
    pre_order = support.add_pre_order(stop)
    staff = support.staff(stop)
    batch = [tap("t1", pre_order), tap("t2", pre_order, "not_collected", minutes=1)]
    apply(stop, staff, batch)

    assert apply(stop, staff, batch) == [TapStatus.ALREADY_APPLIED] * 2
    assert db.session.scalar(select(func.count(ChecklistTap.id))) == 2
    assert stored(pre_order).pickup_state == "not_collected"


def test_two_phones_converge_whatever_the_arrival_order(app):
    results = []
    for order in ("a_first", "b_first"):
        stop = support.make_stop()
        first, second = support.add_pre_order(stop), support.add_pre_order(stop)
        alice, bob = support.staff(stop), support.staff(stop)
        phone_a = [
            tap(f"{order}-a1", first, minutes=1, device="a"),
            tap(f"{order}-a2", second, minutes=4, device="a"),
        ]
        phone_b = [
            tap(f"{order}-b1", first, "not_collected", minutes=3, device="b"),
            tap(f"{order}-b2", second, "not_collected", minutes=2, device="b"),
        ]
        batches = [(alice, phone_a), (bob, phone_b)]
        if order == "b_first":
            batches.reverse()
        for person, batch in batches:
            apply(stop, person, batch)
        results.append((stored(first).pickup_state, stored(second).pickup_state))

    assert results == [("not_collected", "collected")] * 2


def test_pre_order_of_another_stop_or_cancelled_is_refused(app):
    stop = support.make_stop()
    mine = support.add_pre_order(stop)
    other_stop = support.add_pre_order(stop, run_stop=stop.van_run.stops[1])
    cancelled = support.add_pre_order(stop, status="cancelled", cancelled_at=T0)
    staff = support.staff(stop)

    results = apply_taps(
        stop.run_stop,
        staff,
        [
            tap("t1", other_stop),
            tap("t2", cancelled),
            tap("t3", mine, kind="order"),  # the day's kinds are not on a stop's list
            tap("t4", mine),
        ],
        source=STOPS,
    )

    assert [r.status for r in results] == [TapStatus.REFUSED] * 3 + [TapStatus.APPLIED]
    assert "pas sur la liste de cet arrêt" in results[0].message
    assert stored(other_stop).pickup_state == "pending"
    assert stored(cancelled).pickup_state == "pending"
    assert db.session.scalar(select(func.count(ChecklistTap.id))) == 1


def test_closed_or_cancelled_run_refuses_every_tap(app):
    closed = support.make_stop()
    closed_pre_order = support.add_pre_order(closed)
    factories.RunClosingFactory(run=closed.van_run.run)
    cancelled = support.make_stop(status="cancelled")
    cancelled_pre_order = support.add_pre_order(cancelled)

    closed_results = apply_taps(
        closed.run_stop, support.staff(closed), [tap("t1", closed_pre_order)], source=STOPS
    )
    cancelled_results = apply_taps(
        cancelled.run_stop, support.staff(cancelled), [tap("t2", cancelled_pre_order)], source=STOPS
    )

    assert "clôturée" in closed_results[0].message
    assert cancelled_results[0].message == "Cette tournée est annulée."
    assert {closed_results[0].status, cancelled_results[0].status} == {TapStatus.REFUSED}
    assert stored(closed_pre_order).pickup_state == "pending"
    assert db.session.scalar(select(func.count(ChecklistTap.id))) == 0


def test_only_the_grocery_staff_may_tick(app):
    stop = support.make_stop()
    pre_order = support.add_pre_order(stop)
    volunteer = factories.UserFactory()
    factories.MembershipFactory(user=volunteer, organisation=stop.grocery, role="volunteer")
    other_staff = support.staff(support.make_stop())

    for person in (volunteer, other_staff):
        results = apply_taps(stop.run_stop, person, [tap(f"t{person.id}", pre_order)], source=STOPS)
        assert results[0].status == TapStatus.REFUSED
        assert "équipe de l'épicerie" in results[0].message
    assert stored(pre_order).pickup_state == "pending"
