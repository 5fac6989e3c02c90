"""The demo grocery's purchases from the producers' weekly availability, placed through the
real ordering service by its staff member: one on a coming distribution, still open to changes,
and one already ticked collected on its day's checklist, waiting to enter the stock.

Everything is computed from the seed's `today` (the shop's clock is noon that day), so the
demo works whatever the date. Once the grocery has any purchase, nothing is added.
"""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalogue.models import MILLI
from marketplace.delivery.models import DistributionDay
from marketplace.demo.territory import GROCERY, demo_email
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop.purchases import day_for_purchase, open_days
from marketplace.shop import ordering
from marketplace.shop.models import Order, PickupState
from marketplace.shop.queries import shop_rows
from marketplace.timezones import local_instant

STAFF_EMAIL = demo_email("epicerie.passerelle")
PRODUCTS_PER_PURCHASE = 4
UNITS_WANTED = 4  # of each product, within the maximum per household and what is left


def seed_demo_grocery_purchases(today: date) -> int:
    """Two purchases of the demo grocery, once; returns how many orders were placed."""
    grocery = db.session.scalar(select(Grocery).where(Grocery.slug == GROCERY["slug"]))
    staff = db.session.scalar(select(User).where(User.email == STAFF_EMAIL))
    if grocery is None or staff is None:
        return 0
    if db.session.scalar(select(Order.id).where(Order.grocery_id == grocery.id).limit(1)):
        return 0
    now = local_instant(today, time(12, 0))
    # Two different group dates: the stock and the maximum are per group and date.
    chosen = {}
    for open_day in open_days(grocery.id, now):
        chosen.setdefault((open_day.group_name, open_day.day), open_day.distribution_day_id)
    placed = 0
    for index, day_id in enumerate(list(chosen.values())[:2]):
        day = day_for_purchase(day_id)
        quantities = _basket(day)
        if not quantities:
            continue
        order = ordering.place_order(staff, day, quantities, now=now, grocery=grocery)
        if index == 0:
            # The soonest one was ticked collected on its checklist: it waits for the stock.
            order.pickup_state = PickupState.COLLECTED.value
        placed += 1
    db.session.flush()
    return placed


def _basket(day: DistributionDay) -> dict[int, int]:
    """A few products of the day, in whole units the stock and the maximum allow."""
    quantities = {}
    for row in shop_rows(day):
        wanted = UNITS_WANTED * MILLI
        if row.max_per_household_milli:
            wanted = min(wanted, row.max_per_household_milli)
        if row.quantity_milli is not None:
            wanted = min(wanted, row.quantity_milli - row.reserved_milli)
        wanted -= wanted % MILLI
        if wanted > 0:
            quantities[row.availability_id] = wanted
        if len(quantities) == PRODUCTS_PER_PURCHASE:
            break
    return quantities
