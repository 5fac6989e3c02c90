"""The demo van's next round already has pre-orders: a few households of the demo grocery
(Foyer Martin first), taken by its staff through the real service. When the round's pre-orders
are already closed (the seed runs the evening before), they were taken just before closing.
Idempotent: once the round has a pre-order, nothing is added."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.demo.territory import GROCERY, demo_email
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop.beneficiaries import eligibility
from marketplace.grocery_shop.models import Beneficiary, PreOrder, StockItem
from marketplace.grocery_shop.preorders import cutoff_at, place_preorder
from marketplace.routes.models import Route, RouteRun, RunStatus, RunStop

STAFF_EMAIL = demo_email("epicerie.passerelle")
HOUSEHOLDS = 4
ITEMS_EACH = 2


def seed_demo_preorders(today: date) -> int:
    grocery = db.session.scalar(select(Grocery).where(Grocery.slug == GROCERY["slug"]))
    staff = db.session.scalar(select(User).where(User.email == STAFF_EMAIL))
    if grocery is None or staff is None:
        return 0
    run = db.session.scalar(
        select(RouteRun)
        .join(Route, Route.id == RouteRun.route_id)
        .where(
            Route.grocery_id == grocery.id,
            RouteRun.day >= today,
            RouteRun.status == RunStatus.SCHEDULED,
            # Today's round gets no stops once the van has left (a Tuesday afternoon).
            RouteRun.id.in_(select(RunStop.run_id)),
        )
        .order_by(RouteRun.day, RouteRun.id)
        .limit(1)
    )
    if run is None:
        return 0
    stops = db.session.scalars(
        select(RunStop).where(RunStop.run_id == run.id).order_by(RunStop.position)
    ).all()
    taken = select(PreOrder.id).where(PreOrder.run_stop_id.in_([stop.id for stop in stops]))
    if not stops or db.session.scalar(taken.limit(1)) is not None:
        return 0
    now = min(utcnow(), cutoff_at(run) - timedelta(hours=1))
    items = db.session.scalars(
        select(StockItem)
        .where(StockItem.grocery_id == grocery.id, StockItem.quantity_milli >= 5000)
        .order_by(StockItem.id)
    ).all()
    households = [
        beneficiary
        for beneficiary in db.session.scalars(
            select(Beneficiary)
            .where(Beneficiary.grocery_id == grocery.id, Beneficiary.archived.is_(False))
            .order_by(Beneficiary.user_id.is_(None), Beneficiary.id)
        )
        if eligibility(beneficiary, run.day)[0]
    ][:HOUSEHOLDS]
    placed = 0
    for index, beneficiary in enumerate(households):
        chosen = items[index * ITEMS_EACH : (index + 1) * ITEMS_EACH]
        if not chosen:
            break
        quantities = {item.id: 1000 for item in chosen}
        try:
            place_preorder(beneficiary, stops[index % len(stops)], quantities, by=staff, now=now)
        except DomainError:
            continue  # the van is full or the stock ran out: the others are enough
        placed += 1
    return placed
