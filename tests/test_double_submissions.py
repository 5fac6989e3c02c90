"""The same form sent twice at the same moment (a double click, two tabs): every create path a
unique constraint guards answers the second request like the first, or with a clear message,
never with a server error (marketplace/unique.py).

Each request is a test client in its own thread, hence its own app context, database session
and connection. Both requests pass every check before either inserts: a barrier holds each one
at the insert (unique.first_one_wins) until the other is there too, so the database's unique
constraint is what refuses the second, as it does one time in three on a real double click.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.baskets.models import BasketOffer, BasketSize, PriceTier, Subscription
from marketplace.baskets.subscribing import subscribe
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay, PickupPoint
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.grocery_shop.models import Beneficiary, PreOrder, StockItem
from marketplace.grocery_shop.preorders import place_preorder
from marketplace.payments.models import LedgerEntry, OfflinePayment
from marketplace.routes.models import Route, RouteStop, RunStop
from marketplace.routes.routes import add_stop
from marketplace.shifts import signups
from marketplace.shifts.models import ShiftSignup, VolunteerRole
from marketplace.shop.models import Order
from tests import factories
from tests.baskets.test_subscribing import NOW as SUBSCRIBING_NOW
from tests.baskets.test_subscribing import build_scenario
from tests.grocery_shop.preorders_support import household, item, make_run
from tests.helpers import login_id
from tests.payments.test_offline_record import form_of, household_with_installments, record_url, row
from tests.routes.test_route_services import NOW as ROUTE_NOW
from tests.routes.test_route_services import stop_data
from tests.shifts import support as shift_support
from tests.shop.helpers import make_shop

pytestmark = pytest.mark.usefixtures("postgresql_only")


@pytest.fixture
def postgresql_only(app) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "Two requests at once on PostgreSQL (scripts/with-postgres): SQLite serialises "
            "writers itself, so the race these tests build cannot happen there."
        )


@pytest.fixture
def at_the_insert(monkeypatch) -> None:
    """Hold each request at its insert until the other one is there too (or 5 s passed: a
    request refused earlier, or held by a row lock until the other commits, never arrives)."""
    barrier = threading.Barrier(2, timeout=5)
    original = unique.first_one_wins

    @contextmanager
    def synchronised(*args, **kwargs) -> Iterator[None]:
        with suppress(threading.BrokenBarrierError):
            barrier.wait()
        with original(*args, **kwargs):
            yield

    monkeypatch.setattr(unique, "first_one_wins", synchronised)


def twice_at_once(app, user: User, send: Callable[[FlaskClient], object]) -> list:
    """`send` by two clients logged in as `user`, at the same moment; their responses."""
    clients = []
    for _ in range(2):
        client = app.test_client()
        cookie_id = login_id(user)  # two devices: two sessions of the same person
        with client.session_transaction() as session:
            session["_user_id"] = cookie_id
            session["_fresh"] = True
        clients.append(client)

    def run(client: FlaskClient):
        with app.app_context():  # this thread's own session and connection
            try:
                return send(client)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(run, clients))
    db.session.expire_all()
    return responses


def statuses(responses) -> list[int]:
    return sorted(response.status_code for response in responses)


def test_an_order_sent_twice_at_once_is_placed_once(app, at_the_insert):
    shop = make_shop()
    carrots = shop.offer(name="Carottes", unit="kg", price_cents=320, quantity_milli=8_000)
    member = shop.member()
    db.session.commit()
    url = f"/boutique/distributions/{shop.day.id}"
    form = {"shown": carrots.id, f"q-{carrots.id}": "1,5", "action": "order"}

    responses = twice_at_once(app, member, lambda client: client.post(url, data=form))

    assert statuses(responses) == [302, 302]
    order = db.session.scalar(select(Order).where(Order.user_id == member.id))
    assert {response.location for response in responses} == {f"/boutique/commandes/{order.id}"}
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert order.total_cents == 480
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    db.session.refresh(carrots)
    assert carrots.reserved_milli == 1500


def twice_in_threads(app, action: Callable[[], object]) -> list[str]:
    """`action` (a service call) in two threads at once, each committing its own work:
    "done", or the DomainError's message. Any other exception fails the test."""

    def run(_: int) -> str:
        with app.app_context():
            try:
                action()
                db.session.commit()
                return "done"
            except DomainError as error:
                db.session.rollback()
                return error.message
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(run, range(2)))
    db.session.expire_all()
    return outcomes


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_shift_sign_up_sent_twice_at_once_is_one_sign_up(app, at_the_insert):
    day, role = shift_support.group_with_day()
    volunteer = shift_support.member_of(day.group)
    db.session.commit()
    ids = (day.id, role.id, volunteer.id)

    def sign_up() -> None:
        day_, role_, user = (
            db.session.get(DistributionDay, ids[0]),
            db.session.get(VolunteerRole, ids[1]),
            db.session.get(User, ids[2]),
        )
        signups.sign_up(day_, role_, user, utcnow())

    outcomes = twice_in_threads(app, sign_up)

    assert outcomes == ["Vous êtes déjà inscrit·e pour ce rôle à cette distribution.", "done"]
    assert count(ShiftSignup) == 1


def test_a_pre_order_sent_twice_at_once_is_one_pre_order(app, at_the_insert):
    van = make_run()
    jars = item(van.grocery, name="Miel", unit="bocal", quantity_milli=5000)
    beneficiary = household(van.grocery)
    staff = factories.UserFactory()
    db.session.commit()
    ids = (beneficiary.id, van.stops[0].id, staff.id)

    def pre_order() -> None:
        place_preorder(
            db.session.get(Beneficiary, ids[0]),
            db.session.get(RunStop, ids[1]),
            {jars.id: 1000},
            by=db.session.get(User, ids[2]),
            now=utcnow(),
        )

    outcomes = twice_in_threads(app, pre_order)

    assert outcomes == ["Ce foyer a déjà une précommande pour cet arrêt : modifiez-la.", "done"]
    assert count(PreOrder) == 1
    assert db.session.get(StockItem, jars.id).reserved_milli == 1000


def test_a_stop_added_twice_at_once_is_one_stop(app, at_the_insert):
    route = factories.RouteFactory(departs_at=time(8, 0))
    db.session.commit()
    route_id = route.id

    def add() -> None:
        add_stop(db.session.get(Route, route_id), stop_data(), now=ROUTE_NOW)

    outcomes = twice_in_threads(app, add)

    assert outcomes == [
        "Quelqu'un vient de modifier les arrêts de cette tournée : rechargez la page "
        "et recommencez.",
        "done",
    ]
    assert count(RouteStop) == 1


def test_a_contract_sign_up_sent_twice_at_once_is_one_subscription(app, at_the_insert):
    scenario = build_scenario()
    db.session.commit()
    ids = (
        scenario.offer.id,
        scenario.member.id,
        scenario.small.id,
        scenario.point.id,
        scenario.standard.id,
    )

    def subscribe_once() -> None:
        subscribe(
            db.session.get(BasketOffer, ids[0]),
            db.session.get(User, ids[1]),
            db.session.get(BasketSize, ids[2]),
            db.session.get(PickupPoint, ids[3]),
            db.session.get(PriceTier, ids[4]),
            "monthly",
            "cheque",
            SUBSCRIBING_NOW,
        )

    outcomes = twice_in_threads(app, subscribe_once)

    assert outcomes == ["Vous êtes déjà inscrit·e à ce contrat.", "done"]
    assert count(Subscription) == 1
    assert count(LedgerEntry) == 1


def test_a_payment_recorded_twice_at_once_is_recorded_once(app, at_the_insert):
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    db.session.commit()
    household_user, installments = household_with_installments(group, "Foyer Martin", [3000])
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    db.session.commit()
    url = record_url(group, household_user)
    form = form_of(row(0, installments[0]))

    responses = twice_at_once(app, coordinator, lambda client: client.post(url, data=form))

    assert 500 not in statuses(responses)
    assert 302 in statuses(responses)
    assert count(OfflinePayment) == 1
