"""The scheduled closing of days nobody closed: once, with a notice to the coordinators. A day
with something ticked closes as before; a day with nothing ticked is flagged instead
(tests/pickup/test_unticked.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from marketplace.baskets.models import Delivery
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry
from marketplace.pickup.jobs import close_finished_pickup_days
from marketplace.pickup.models import DayClosing, DonatedItem
from marketplace.scheduler.registry import Hourly
from tests import factories
from tests.helpers import message_text
from tests.pickup.test_closing import make_scene


def run_job() -> str:
    summary = close_finished_pickup_days(Hourly(minute=20).period_of(utcnow()))
    db.session.commit()
    return summary


def tick_one_collected(scene) -> Delivery:
    """A household ticked "collected" on the phone: the checklist was used that day."""
    delivery = scene.basket(scene.offer("credit", price_cents=900), state="collected")
    factories.ChecklistTapFactory(distribution_day=scene.day, target_id=delivery.id)
    return delivery


def test_the_job_closes_a_finished_day_once_and_tells_the_coordinators(outbox):
    scene = make_scene(ends_in=timedelta(hours=-4))
    credited = scene.basket(scene.offer("credit", price_cents=1500))
    tick_one_collected(scene)
    donated = scene.basket(scene.offer("donate"))
    grocery = factories.GroceryFactory()  # the territory's only grocery
    coordinator = scene.coordinator()
    scene.coordinator().is_active_account = False  # an inactive account gets nothing
    db.session.commit()

    assert run_job() == "1 distribution(s) clôturée(s)"
    closing = db.session.scalar(select(DayClosing))
    assert closing.closed_by_id is None and closing.grocery_id == grocery.id
    assert db.session.get(Delivery, credited.id).state == "not_collected"
    assert db.session.get(Delivery, donated.id).state == "donated"
    assert [m["To"] for m in outbox] == [coordinator.email]
    body = message_text(outbox[0])
    assert "clôturée automatiquement" in body
    assert f"/distributions/{scene.day.id}/bilan" in body

    assert run_job() == "0 distribution(s) clôturée(s)"
    assert db.session.scalar(select(func.count(DayClosing.id))) == 1
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 1
    assert db.session.scalar(select(func.count(DonatedItem.id))) == 1
    assert len(outbox) == 1


def test_without_a_known_grocery_the_job_keeps_baskets_for_the_producer(outbox):
    scene = make_scene(ends_in=timedelta(hours=-4))
    donated = scene.basket(scene.offer("donate"))
    tick_one_collected(scene)
    factories.GroceryFactory()
    factories.GroceryFactory()  # two groceries and no earlier choice: no guess
    scene.coordinator()
    db.session.commit()

    run_job()
    assert db.session.get(Delivery, donated.id).state == "not_collected"
    assert db.session.scalar(select(func.count(DonatedItem.id))) == 0
    assert "gardés pour le·la producteur·rice" in message_text(outbox[0])


def test_the_job_leaves_recent_open_and_already_closed_days_alone():
    running = make_scene(ends_in=timedelta(hours=-1))  # ended less than 3 hours ago
    closed = make_scene(ends_in=timedelta(hours=-5))
    factories.DayClosingFactory(distribution_day=closed.day)
    too_old = make_scene(ends_in=timedelta(days=-30))
    for scene in (running, closed, too_old):
        scene.basket(scene.offer("credit"))
    db.session.commit()

    assert run_job() == "0 distribution(s) clôturée(s)"
    assert db.session.scalar(select(func.count(DayClosing.id))) == 1
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 0
