"""The scheduled jobs: finished runs closed once; pre-orders of cancelled runs cancelled once,
with the households told in their language and the staff given the ones to call."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

from flask_babel import force_locale, format_date
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.grocery_shop import jobs
from marketplace.grocery_shop.models import PreOrder, RunClosing, StockItem
from marketplace.grocery_shop.run_closing import cancel_preorders_of_cancelled_runs
from marketplace.organisations.models import Role
from marketplace.scheduler.registry import Hourly
from tests import factories
from tests.grocery_shop.preorders_support import item, make_run
from tests.grocery_shop.test_run_closing import order, stock_of
from tests.helpers import message_text


def run(job) -> str:
    summary = job(Hourly(minute=25).period_of(utcnow()))
    db.session.commit()
    return summary


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def closings() -> set[int]:
    return set(db.session.scalars(select(RunClosing.run_id)))


def test_finished_runs_are_closed_once_and_others_left_alone():
    finished = make_run(days_ahead=-1, stops=2)  # yesterday, last stop left at 10:30
    potatoes = item(finished.grocery, quantity_milli=10_000)
    collected = order(finished, 0, {potatoes: 2_000}, name="Foyer Abel")
    collected.pickup_state = "collected"
    order(finished, 1, {potatoes: 1_000}, name="Foyer Bellec")
    coming = make_run(days_ahead=3)
    too_old = make_run(days_ahead=-20)  # before the lookback: predates the checklist
    cancelled = make_run(days_ahead=-1, status="cancelled")
    already = make_run(days_ahead=-2)
    factories.RunClosingFactory(run=already.run)
    just_back = make_run(days_ahead=0, stops=1)  # its last stop left an hour ago
    just_back.run.departs_at = utcnow() - timedelta(hours=3)
    just_back.stops[0].arrives_at = utcnow() - timedelta(hours=2)
    just_back.stops[0].departs_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    assert run(jobs.close_finished_runs) == "1 tournée(s) clôturée(s)"

    assert closings() == {finished.run.id, already.run.id}
    closing = db.session.scalar(select(RunClosing).where(RunClosing.run_id == finished.run.id))
    assert closing.closed_by_id is None
    assert (closing.collected_count, closing.released_count) == (1, 1)
    assert stock_of(potatoes) == (8_000, 0)
    assert {coming.run.id, too_old.run.id, cancelled.run.id, just_back.run.id}.isdisjoint(
        closings()
    )

    assert run(jobs.close_finished_runs) == "0 tournée(s) clôturée(s)"
    assert stock_of(potatoes) == (8_000, 0)


def test_a_run_that_cannot_be_settled_does_not_block_the_others():
    broken = make_run(days_ahead=-2, stops=1)
    beans = item(broken.grocery, quantity_milli=10_000)
    order(broken, 0, {beans: 2_000})
    fine = make_run(days_ahead=-1, stops=1)
    db.session.commit()
    db.session.get(StockItem, beans.id).reserved_milli = 0  # the reservation went missing
    db.session.commit()

    assert run(jobs.close_finished_runs) == "1 tournée(s) clôturée(s)"
    assert closings() == {fine.run.id}
    assert stock_of(beans) == (10_000, 0)


def cancelled_scene():
    """A coming run with pre-orders, then cancelled by the staff."""
    van = make_run(days_ahead=5, stops=2)
    van.stops[0].stop.village = "Saint-Genis"
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
    van.run.status = "cancelled"
    db.session.commit()
    return van, potatoes, staff


def test_the_pre_orders_of_a_cancelled_run_are_cancelled_and_everyone_told_once(outbox):
    van, potatoes, staff = cancelled_scene()
    assert stock_of(potatoes) == (10_000, 3_000)

    assert run(jobs.cancel_preorders_of_cancelled_runs) == "4 précommande(s) annulée(s)"

    assert stock_of(potatoes) == (10_000, 0)
    assert set(db.session.scalars(select(PreOrder.status))) == {"cancelled"}
    by_recipient = {message["To"]: message for message in outbox}
    assert sorted(by_recipient) == ["ann@example.org", "ines@example.org", "lea@example.org"]

    french = message_text(by_recipient["lea@example.org"])
    day = format_date(van.run.day, "full")
    assert day in french and "Saint-Genis" in french
    assert "Votre précommande est annulée, rien ne vous sera demandé." in french
    assert f"/epicerie-mobile/{van.grocery.slug}" in french
    assert subject(by_recipient["lea@example.org"]) == (
        f"Tournée annulée : votre précommande du {format_date(van.run.day, 'long')}"
    )

    with force_locale("en"):
        english_day = format_date(van.run.day, "full")
    assert english_day in message_text(by_recipient["ann@example.org"])  # her language

    summary = message_text(by_recipient["ines@example.org"])
    assert "Prévenez ces foyers par téléphone" in summary
    assert "Foyer Sans Compte (Village B) : 06 12 34 56 78" in summary
    assert "Foyer Parti (Village B) : pas de numéro enregistré" in summary
    assert "Foyer Ann" not in summary and "Foyer Léa" not in summary
    assert f"/feuille-de-route/{van.run.id}" in summary
    assert "2 foyers à prévenir par téléphone" in subject(by_recipient["ines@example.org"])

    assert run(jobs.cancel_preorders_of_cancelled_runs) == "0 précommande(s) annulée(s)"
    assert len(outbox) == 3
    assert stock_of(potatoes) == (10_000, 0)


def test_no_summary_for_the_staff_when_every_household_has_an_account(outbox):
    van = make_run(days_ahead=5, stops=1)
    factories.MembershipFactory(organisation=van.grocery, role=Role.GROCERY_STAFF)
    potatoes = item(van.grocery, quantity_milli=10_000)
    order(van, 0, {potatoes: 1_000}, user=factories.UserFactory(email="solo@example.org"))
    van.run.status = "cancelled"
    db.session.commit()

    run(jobs.cancel_preorders_of_cancelled_runs)

    assert [message["To"] for message in outbox] == ["solo@example.org"]


def test_scheduled_and_closed_runs_keep_their_pre_orders():
    coming = make_run(days_ahead=5, stops=1)
    potatoes = item(coming.grocery, quantity_milli=10_000)
    order(coming, 0, {potatoes: 1_000})
    closed = make_run(coming.grocery, days_ahead=5, stops=1)
    order(closed, 0, {potatoes: 1_000}, name="Foyer Clos")
    factories.RunClosingFactory(run=closed.run)
    closed.run.status = "cancelled"  # settled before: its stock is not released twice
    db.session.commit()

    assert cancel_preorders_of_cancelled_runs(utcnow()) == []
    assert (
        db.session.scalar(select(func.count(PreOrder.id)).where(PreOrder.status == "placed")) == 2
    )
    assert stock_of(potatoes) == (10_000, 2_000)
