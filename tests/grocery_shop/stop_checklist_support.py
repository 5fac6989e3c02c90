"""A stop of a van's run with households who pre-ordered, for the stop checklist's tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder, StockItem
from marketplace.organisations.models import Role
from marketplace.routes.models import RunStop
from tests import factories
from tests.grocery_shop import preorders_support
from tests.grocery_shop.preorders_support import VanRun


@dataclass
class Stop:
    van_run: VanRun
    run_stop: RunStop
    carrots: StockItem  # bought from "Ferme du Coteau", by the kilo
    bread: StockItem  # a donation, by the piece
    pre_orders: list[PreOrder] = field(default_factory=list)

    @property
    def grocery(self):
        return self.van_run.grocery


def make_stop(days_ahead: int = 1, status: str = "scheduled") -> Stop:
    van_run = preorders_support.make_run(days_ahead=days_ahead, status=status)
    grocery = van_run.grocery
    producer = factories.ProducerFactory(name="Ferme du Coteau")
    carrots = preorders_support.item(
        grocery, name="Carottes", unit="kg", producer_id=producer.id, source="purchase"
    )
    bread = preorders_support.item(
        grocery, name="Pain de campagne", unit="piece", source="donation", category="pain"
    )
    return Stop(van_run=van_run, run_stop=van_run.stops[0], carrots=carrots, bread=bread)


def add_pre_order(
    stop: Stop, name: str | None = None, run_stop: RunStop | None = None, user=None, **values
) -> PreOrder:
    """A placed pre-order: 1.5 kg of carrots and 2 loaves."""
    beneficiary = preorders_support.household(
        stop.grocery, user=user, **({"household_name": name} if name else {})
    )
    pre_order = factories.PreOrderFactory(
        beneficiary=beneficiary, run_stop=run_stop or stop.run_stop, **values
    )
    factories.PreOrderLineFactory(pre_order=pre_order, stock_item=stop.carrots, quantity_milli=1500)
    factories.PreOrderLineFactory(pre_order=pre_order, stock_item=stop.bread, quantity_milli=2000)
    stop.pre_orders.append(pre_order)
    db.session.flush()
    return pre_order


def add_households(stop: Stop, count: int) -> None:
    for index in range(count):
        add_pre_order(stop, name=f"Foyer {index:04d}")


def staff(stop: Stop, user=None):
    user = user or factories.UserFactory()
    factories.MembershipFactory(user=user, organisation=stop.grocery, role=Role.GROCERY_STAFF.value)
    return user
