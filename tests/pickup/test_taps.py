"""The sync protocol: each tap applied exactly once; phones converge whatever the order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from marketplace.baskets.models import Delivery
from marketplace.extensions import db
from marketplace.pickup.models import ChecklistTap
from marketplace.pickup.roster import household_lines
from marketplace.pickup.taps import TapIn, TapStatus, apply_taps
from marketplace.shop.models import Order
from tests import factories
from tests.pickup import scenario

T0 = datetime(2026, 5, 12, 16, 0, tzinfo=UTC)


def tap(tap_id, target, action="collected", minutes=0, note="", kind="delivery", device="a"):
    return TapIn(
        tap_id=tap_id,
        target_kind=kind,
        target_id=target.id,
        action=action,
        tapped_at=T0 + timedelta(minutes=minutes),
        note=note,
        device_id=device,
    )


def statuses(results):
    return [result.status for result in results]


def stored_taps() -> int:
    return db.session.scalar(select(func.count(ChecklistTap.id)))


def state_of(delivery: Delivery) -> str:
    db.session.expire_all()
    return db.session.get(Delivery, delivery.id).state


def test_collected_not_collected_and_undo_change_the_delivery(app):
    setup = scenario.make_day()
    delivery = scenario.add_basket(setup)
    volunteer = scenario.volunteer(setup)

    apply_taps(setup.day, volunteer, [tap("t1", delivery)])
    assert state_of(delivery) == "collected"
    apply_taps(setup.day, volunteer, [tap("t2", delivery, "not_collected", minutes=1)])
    assert state_of(delivery) == "not_collected"
    apply_taps(setup.day, volunteer, [tap("t3", delivery, "pending", minutes=2)])
    assert state_of(delivery) == "planned"


def test_order_state_and_note(app):
    setup = scenario.make_day()
    order = scenario.add_order(setup)
    volunteer = scenario.volunteer(setup)

    results = apply_taps(
        setup.day,
        volunteer,
        [
            tap("o1", order, kind="order"),
            tap("o2", order, "note", minutes=1, note="Reviendra pour la tomme", kind="order"),
        ],
    )

    assert statuses(results) == [TapStatus.APPLIED, TapStatus.APPLIED]
    db.session.expire_all()
    stored = db.session.get(Order, order.id)
    assert (stored.pickup_state, stored.pickup_note) == ("collected", "Reviendra pour la tomme")
    assert household_lines(setup.day.id)[0].note == "Reviendra pour la tomme"


def test_replay_changes_nothing_and_answers_already_applied(app):
    setup = scenario.make_day()
    delivery = scenario.add_basket(setup)
    volunteer = scenario.volunteer(setup)
    batch = [tap("t1", delivery), tap("t2", delivery, "pending", minutes=1)]
    apply_taps(setup.day, volunteer, batch)

    results = apply_taps(setup.day, volunteer, batch)

    assert statuses(results) == [TapStatus.ALREADY_APPLIED] * 2
    assert stored_taps() == 2
    assert state_of(delivery) == "planned"


def test_duplicate_in_one_batch_is_stored_once(app):
    setup = scenario.make_day()
    delivery = scenario.add_basket(setup)
    volunteer = scenario.volunteer(setup)

    results = apply_taps(setup.day, volunteer, [tap("t1", delivery), tap("t1", delivery)])

    assert statuses(results) == [TapStatus.APPLIED, TapStatus.ALREADY_APPLIED]
    assert stored_taps() == 1


def test_reordered_batches_converge_on_the_latest_tap(app):
    setup = scenario.make_day()
    delivery = scenario.add_basket(setup)
    volunteer = scenario.volunteer(setup)
    later = tap("b", delivery, "not_collected", minutes=5)
    earlier = tap("a", delivery, "collected", minutes=1)

    apply_taps(setup.day, volunteer, [later])
    apply_taps(setup.day, volunteer, [earlier])  # arrives last, happened first

    assert state_of(delivery) == "not_collected"


def test_two_devices_converge_whatever_the_arrival_order(app):
    setup = scenario.make_day()
    first = scenario.add_basket(setup)
    second = scenario.add_basket(setup)
    alice = scenario.volunteer(setup)
    bob = scenario.volunteer(setup)
    phone_a = [tap("a1", first, minutes=1, device="a"), tap("a2", second, minutes=4, device="a")]
    phone_b = [
        tap("b1", first, "not_collected", minutes=3, device="b"),
        tap("b2", second, "not_collected", minutes=2, device="b"),
    ]

    apply_taps(setup.day, bob, phone_b)
    apply_taps(setup.day, alice, phone_a)
    one_order = (state_of(first), state_of(second))
    # The same taps in the other order, on a fresh pair of deliveries.
    other = scenario.make_day()
    third, fourth = scenario.add_basket(other), scenario.add_basket(other)
    carol = scenario.volunteer(other)
    apply_taps(other.day, carol, [tap("c1", third, minutes=1), tap("c2", fourth, minutes=4)])
    apply_taps(
        other.day,
        carol,
        [
            tap("d1", third, "not_collected", minutes=3),
            tap("d2", fourth, "not_collected", minutes=2),
        ],
    )

    assert one_order == ("not_collected", "collected")
    assert (state_of(third), state_of(fourth)) == one_order


def test_tap_for_another_pickup_point_or_day_is_refused(app):
    setup = scenario.make_day()
    mine = scenario.add_basket(setup)
    elsewhere = scenario.make_day()  # another group's pickup point
    theirs = scenario.add_basket(elsewhere)
    their_order = scenario.add_order(elsewhere)
    volunteer = scenario.volunteer(setup)

    results = apply_taps(
        setup.day,
        volunteer,
        [tap("t1", theirs), tap("t2", their_order, kind="order"), tap("t3", mine)],
    )

    assert statuses(results) == [TapStatus.REFUSED, TapStatus.REFUSED, TapStatus.APPLIED]
    assert "pas sur la liste" in results[0].message
    assert state_of(theirs) == "planned"
    assert stored_taps() == 1


def test_absent_delivery_is_not_on_the_list(app):
    setup = scenario.make_day()
    absent = scenario.add_basket(setup, state="absent")
    volunteer = scenario.volunteer(setup)

    results = apply_taps(setup.day, volunteer, [tap("t1", absent)])

    assert statuses(results) == [TapStatus.REFUSED]
    assert state_of(absent) == "absent"


def test_someone_not_on_the_roster_is_refused(app):
    setup = scenario.make_day()
    delivery = scenario.add_basket(setup)
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=setup.day.group, role="member")
    cancelled = scenario.volunteer(scenario.make_day())  # on another day's roster

    for person in (member, cancelled):
        results = apply_taps(setup.day, person, [tap(f"t{person.id}", delivery)])
        assert statuses(results) == [TapStatus.REFUSED]
        assert "bénévoles" in results[0].message
    assert stored_taps() == 0
    assert state_of(delivery) == "planned"


def test_coordinator_may_tick(app):
    setup = scenario.make_day()
    delivery = scenario.add_basket(setup)
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=setup.day.group, role="coordinator")

    assert statuses(apply_taps(setup.day, coordinator, [tap("t1", delivery)])) == [
        TapStatus.APPLIED
    ]


def test_closed_day_refuses_every_tap(app):
    setup = scenario.make_day()
    delivery = scenario.add_basket(setup)
    volunteer = scenario.volunteer(setup)
    factories.DayClosingFactory(distribution_day=setup.day)

    results = apply_taps(setup.day, volunteer, [tap("t1", delivery)])

    assert statuses(results) == [TapStatus.REFUSED]
    assert "clôturée" in results[0].message
    assert state_of(delivery) == "planned"


def test_given_delivery_keeps_its_friend_and_shows_collected(app):
    setup = scenario.make_day()
    given = scenario.add_basket(setup, state="given", given_to_name="Awa Diallo")
    volunteer = scenario.volunteer(setup)

    apply_taps(setup.day, volunteer, [tap("t1", given)])

    db.session.expire_all()
    stored = db.session.get(Delivery, given.id)
    assert (stored.state, stored.given_to_name) == ("given", "Awa Diallo")
    line = household_lines(setup.day.id)[0]
    assert (line.name, line.state) == (
        f"Awa Diallo, pour {given.subscription.user.name}",
        "collected",
    )


def test_a_fast_phone_clock_does_not_win_forever(app):
    setup = scenario.make_day()
    delivery = scenario.add_basket(setup)
    volunteer = scenario.volunteer(setup)
    now = T0 + timedelta(minutes=10)
    apply_taps(setup.day, volunteer, [tap("far", delivery, minutes=60 * 24 * 30)], now=now)

    apply_taps(
        setup.day,
        volunteer,
        [tap("fix", delivery, "not_collected", minutes=20)],
        now=now + timedelta(minutes=10),
    )

    assert state_of(delivery) == "not_collected"
