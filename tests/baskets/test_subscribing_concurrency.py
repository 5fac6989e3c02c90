"""Eight households sign up for the last places at the same instant: exactly the capacity wins."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.baskets.models import BasketOffer, BasketSize, Delivery, PriceTier, Subscription
from marketplace.baskets.subscribing import subscribe
from marketplace.delivery.models import PickupPoint
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry
from tests.baskets.test_subscribing import NOW, build_scenario, new_member

THREADS = 8
CAPACITY = 3


def test_concurrent_sign_ups_never_exceed_the_capacity(app):
    scenario = build_scenario(capacity=CAPACITY)
    members = [scenario.member] + [new_member(scenario) for _ in range(THREADS - 1)]
    ids = dict(
        offer=scenario.offer.id,
        size=scenario.small.id,
        point=scenario.point.id,
        tier=scenario.standard.id,
    )
    member_ids = [member.id for member in members]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def sign_up(user_id: int) -> None:
        try:
            with app.app_context():  # its own context, so its own session and connection
                session = db.session
                offer = session.get(BasketOffer, ids["offer"])
                user = session.get(User, user_id)
                size = session.get(BasketSize, ids["size"])
                point = session.get(PickupPoint, ids["point"])
                tier = session.get(PriceTier, ids["tier"])
                barrier.wait(timeout=30)
                try:
                    subscribe(offer, user, size, point, tier, "monthly", "cheque", NOW)
                    session.commit()
                    outcomes.append("subscribed")
                except DomainError as refused:
                    session.rollback()
                    outcomes.append(refused.message)
                finally:
                    session.remove()
        except BaseException as error:  # surfaced by the assertions below
            errors.append(error)

    threads = [threading.Thread(target=sign_up, args=(user_id,)) for user_id in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    assert (
        sorted(outcomes)
        == ["Ce panier est complet."] * (THREADS - CAPACITY) + ["subscribed"] * CAPACITY
    )
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == CAPACITY
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == CAPACITY
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == CAPACITY * 10
