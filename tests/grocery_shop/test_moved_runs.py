"""A run moved to another day: its households are told once, in their language, and again if
it moves again; the staff get the ones to phone; the pre-order pages say the run moved."""

from __future__ import annotations

from datetime import date, timedelta
from email.header import decode_header, make_header

from flask_babel import force_locale, format_date, format_time
from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.grocery_shop import jobs
from marketplace.grocery_shop.models import PreOrder
from marketplace.grocery_shop.moved_runs import preorders_of_moved_runs
from marketplace.grocery_shop.preorders import place_preorder
from marketplace.organisations.models import Role
from marketplace.routes.models import RouteException
from marketplace.routes.routes import ExceptionData, add_exception, remove_exception
from marketplace.scheduler.registry import Hourly, registry
from marketplace.timezones import paris_today
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run
from tests.grocery_shop.test_run_closing import order
from tests.helpers import count_queries, message_text

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def run_job() -> str:
    summary = jobs.tell_households_of_moved_runs(Hourly(minute=45).period_of(utcnow()))
    db.session.commit()
    return summary


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def weekly_run(**values):
    """make_run's run, on a route whose rule gives its date (so the staff can move it)."""
    van = make_run(**values)
    van.route.rrule = f"FREQ=WEEKLY;BYDAY={WEEKDAYS[van.run.occurrence_date.weekday()]}"
    db.session.commit()
    return van


def move(van, to: date | None) -> None:
    """What the staff do on the route's page: drop the date's exception, then move it."""
    existing = db.session.scalar(
        select(RouteException).where(
            RouteException.route_id == van.route.id,
            RouteException.occurrence_date == van.run.occurrence_date,
        )
    )
    if existing is not None:
        remove_exception(existing, today=paris_today(), now=utcnow())
    if to is not None:
        data = ExceptionData(occurrence_date=van.run.occurrence_date, kind="moved", moved_to=to)
        add_exception(van.route, data, today=paris_today(), now=utcnow())
    db.session.commit()
    db.session.refresh(van.run)


def told_days() -> set[date | None]:
    db.session.expire_all()
    return set(db.session.scalars(select(PreOrder.moved_notice_for)))


def moved_scene():
    van = weekly_run(days_ahead=7, stops=2)
    van.stops[0].stop.village, van.stops[0].stop.place = "Saint-Genis", "Place de l'église"
    staff = factories.UserFactory(name="Inès", email="ines@example.org")
    factories.MembershipFactory(user=staff, organisation=van.grocery, role=Role.GROCERY_STAFF)
    potatoes = item(van.grocery, quantity_milli=10_000)
    english = factories.UserFactory(name="Ann", email="ann@example.org", language="en")
    french = factories.UserFactory(name="Léa", email="lea@example.org")
    inactive = factories.UserFactory(email="gone@example.org", is_active_account=False)
    order(van, 0, {potatoes: 1_000}, name="Foyer Ann", user=english)
    order(van, 0, {potatoes: 1_000}, name="Foyer Léa", user=french)
    order(van, 1, {potatoes: 500}, name="Foyer Sans Compte").beneficiary.phone = "06 12 34 56 78"
    order(van, 1, {potatoes: 500}, name="Foyer Parti", user=inactive)
    db.session.commit()
    return van


def test_the_households_of_a_moved_run_are_told_once_in_their_language(outbox):
    van = moved_scene()
    old_day, new_day = van.run.day, van.run.day + timedelta(days=2)

    move(van, new_day)
    assert run_job() == "4 foyer(s) prévenu(s) d'un changement de jour"

    by_recipient = {message["To"]: message for message in outbox}
    assert sorted(by_recipient) == ["ann@example.org", "ines@example.org", "lea@example.org"]
    first_stop = van.run.stops[0]
    french = message_text(by_recipient["lea@example.org"])
    assert format_date(old_day, "full") in french
    assert (
        f"Le camion passera le {format_date(new_day, 'full')} à Saint-Genis (Place de l'église), "
        f"de {format_time(first_stop.arrives_at, 'short')} "
        f"à {format_time(first_stop.departs_at, 'short')}."
    ) in french
    assert "Votre précommande est gardée pour ce nouveau jour." in french
    assert "vous pouvez la modifier ou l'annuler jusqu'au" in french
    assert f"/epicerie-mobile/{van.grocery.slug}/arrets/{first_stop.id}" in french
    assert subject(by_recipient["lea@example.org"]) == (
        f"Tournée déplacée : votre précommande passe au {format_date(new_day, 'long')}"
    )
    with force_locale("en"):
        english_day = format_date(new_day, "full")
    assert english_day in message_text(by_recipient["ann@example.org"])  # her language

    summary = message_text(by_recipient["ines@example.org"])
    assert format_date(new_day, "full") in summary
    assert "Prévenez ces foyers par téléphone du nouveau jour" in summary
    assert "Foyer Sans Compte (Village B, 10:00) : 06 12 34 56 78" in summary
    assert "Foyer Parti (Village B, 10:00) : pas de numéro enregistré" in summary
    assert "Foyer Ann" not in summary and "Foyer Léa" not in summary
    assert f"/feuille-de-route/{van.run.id}" in summary
    assert "2 foyers à prévenir par téléphone" in subject(by_recipient["ines@example.org"])
    assert told_days() == {new_day}

    assert run_job() == "0 foyer(s) prévenu(s) d'un changement de jour"
    assert len(outbox) == 3


def test_a_run_moved_again_is_told_again_and_so_is_a_run_moved_back(outbox):
    van = weekly_run(days_ahead=7, stops=1)
    potatoes = item(van.grocery, quantity_milli=10_000)
    order(van, 0, {potatoes: 1_000}, user=factories.UserFactory(email="lea@example.org"))
    db.session.commit()
    rule_day = van.run.day

    move(van, rule_day + timedelta(days=2))
    run_job()
    move(van, rule_day + timedelta(days=3))
    assert run_job() == "1 foyer(s) prévenu(s) d'un changement de jour"
    again = message_text(outbox[-1])
    assert format_date(rule_day + timedelta(days=2), "full") in again  # the day she knew
    assert f"Le camion passera le {format_date(rule_day + timedelta(days=3), 'full')}" in again
    assert told_days() == {rule_day + timedelta(days=3)}

    move(van, None)  # back on the rule's date: she was told another day, she is told again
    assert run_job() == "1 foyer(s) prévenu(s) d'un changement de jour"
    assert f"Le camion passera le {format_date(rule_day, 'full')}" in message_text(outbox[-1])
    assert told_days() == {rule_day}
    assert run_job() == "0 foyer(s) prévenu(s) d'un changement de jour"
    assert len(outbox) == 3


def test_a_run_moved_and_back_before_anyone_was_told_sends_nothing(outbox):
    van = weekly_run(days_ahead=7, stops=1)
    potatoes = item(van.grocery, quantity_milli=10_000)
    order(van, 0, {potatoes: 1_000}, user=factories.UserFactory())
    db.session.commit()

    move(van, van.run.day + timedelta(days=1))
    move(van, None)

    assert run_job() == "0 foyer(s) prévenu(s) d'un changement de jour"
    assert outbox == []
    assert told_days() == {None}


def test_a_pre_order_placed_after_the_move_is_not_told_but_a_later_move_is(outbox):
    van = weekly_run(days_ahead=7, stops=1)
    potatoes = item(van.grocery, quantity_milli=10_000)
    move(van, van.run.day + timedelta(days=1))
    order(van, 0, {potatoes: 1_000}, user=factories.UserFactory(email="new@example.org"))
    db.session.commit()

    assert run_job() == "0 foyer(s) prévenu(s) d'un changement de jour"
    assert outbox == []
    assert told_days() == {van.run.day}  # she chose that day: remembered for a later move

    later = van.run.occurrence_date + timedelta(days=2)
    move(van, later)
    assert run_job() == "1 foyer(s) prévenu(s) d'un changement de jour"
    assert [message["To"] for message in outbox] == ["new@example.org"]


def test_a_pre_order_placed_on_a_moved_run_is_told_when_the_move_is_undone(outbox):
    van = weekly_run(days_ahead=7, stops=1)
    potatoes = item(van.grocery, quantity_milli=10_000)
    move(van, van.run.day + timedelta(days=1))
    order(van, 0, {potatoes: 1_000}, user=factories.UserFactory(email="chose@example.org"))
    db.session.commit()

    move(van, None)  # back to its own date before the job ran

    assert run_job() == "1 foyer(s) prévenu(s) d'un changement de jour"
    assert [message["To"] for message in outbox] == ["chose@example.org"]
    assert told_days() == {van.run.occurrence_date}


def test_a_move_after_the_cut_off_says_the_pre_order_can_no_longer_change(app, monkeypatch, outbox):
    van = weekly_run(days_ahead=7, stops=1)
    potatoes = item(van.grocery, quantity_milli=10_000)
    order(van, 0, {potatoes: 1_000}, user=factories.UserFactory(email="lea@example.org"))
    db.session.commit()

    move(van, paris_today() + timedelta(days=2))
    monkeypatch.setitem(app.config, "PREORDER_CUTOFF_HOURS", 24 * 4)  # closed two days before
    run_job()

    text = message_text(outbox[0])
    assert "Les précommandes de cette tournée sont closes" in text
    assert "jusqu'au" not in text


def test_cancelled_closed_started_or_unmoved_runs_are_not_told(outbox):
    grocery = factories.GroceryFactory()
    potatoes = item(grocery, quantity_milli=100_000)
    runs = {
        name: make_run(grocery, days_ahead=days, stops=1)
        for name, days in [("cancelled", 6), ("closed", 7), ("started", 0), ("unmoved", 8)]
    }
    for van in runs.values():
        order(van, 0, {potatoes: 1_000}, user=factories.UserFactory())
    for name in ("cancelled", "closed", "started"):
        runs[name].run.day += timedelta(days=1)  # each one moved
    runs["cancelled"].run.status = "cancelled"
    factories.RunClosingFactory(run=runs["closed"].run)
    runs["started"].run.departs_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    assert preorders_of_moved_runs(utcnow()) == []
    assert run_job() == "0 foyer(s) prévenu(s) d'un changement de jour"
    assert outbox == []


def test_the_job_is_registered_hourly():
    assert isinstance(registry.get("tell_households_of_moved_runs").cadence, Hourly)


# --- the pages --------------------------------------------------------------------------------


def test_the_household_and_the_staff_see_that_the_run_moved(client, login, user_with_role):
    van = weekly_run(days_ahead=7, stops=1)
    person = factories.UserFactory()
    potatoes = item(van.grocery, quantity_milli=10_000)
    order(van, 0, {potatoes: 1_000}, name="Foyer Durand", user=person)
    db.session.commit()
    new_day = van.run.day + timedelta(days=2)
    move(van, new_day)

    login(person)
    page = client.get(f"/epicerie-mobile/{van.grocery.slug}").get_data(as_text=True)
    assert f"Tournée déplacée au {format_date(new_day, 'full')}" in page
    assert "votre précommande est gardée pour ce nouveau jour" in page

    user_with_role(Role.GROCERY_STAFF, van.grocery)
    page = client.get(f"/epiceries/{van.grocery.slug}/precommandes").get_data(as_text=True)
    assert f"Tournée déplacée au {format_date(new_day, 'medium')}" in page
    assert f"déplacée, prévue le {format_date(van.run.occurrence_date, 'medium')}" in page


def test_an_unmoved_run_shows_no_banner(client, login):
    van = make_run(days_ahead=7, stops=1)
    person = factories.UserFactory()
    order(van, 0, {item(van.grocery, quantity_milli=10_000): 1_000}, user=person)
    db.session.commit()
    login(person)
    assert "Tournée déplacée" not in client.get(f"/epicerie-mobile/{van.grocery.slug}").text


def moved_runs_with_orders(grocery, size: int, person) -> None:
    """`size` pre-orders of one household, each on its own moved run."""
    family = household(grocery, person)
    potatoes = item(grocery, quantity_milli=1_000_000)
    for index in range(size):
        van = make_run(grocery, days_ahead=7 + index, stops=1)
        van.run.day += timedelta(days=1)
        place_preorder(
            family,
            van.stops[0],
            {potatoes.id: 1_000},
            by=person,
            now=van.run.departs_at - timedelta(days=3),
        )
    db.session.commit()


def test_the_banners_take_no_query_per_pre_order(client, login, user_with_role):
    staff_counts, household_counts = [], []
    for size in (2, 12):
        grocery = factories.GroceryFactory()
        person = factories.UserFactory()
        moved_runs_with_orders(grocery, size, person)
        staff = user_with_role(Role.GROCERY_STAFF, grocery, log_in=False)

        login(staff)
        with count_queries() as counter:
            page = client.get(f"/epiceries/{grocery.slug}/precommandes").text
        assert page.count("Tournée déplacée au") == size
        staff_counts.append(counter.count)

        login(person)
        with count_queries() as counter:
            page = client.get(f"/epicerie-mobile/{grocery.slug}").text
        assert page.count("Tournée déplacée au") == size
        household_counts.append(counter.count)
    assert staff_counts[0] == staff_counts[1]
    assert household_counts[0] == household_counts[1]
