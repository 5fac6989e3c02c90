"""The households' day-before email: when and where to collect, and what their baskets hold
this week (the basket of the week, when the producer announced it).

Each email is claimed by a PickupReminder row (unique per person and day) before it is sent; a
failed send gives the claim back for the next run. The job works from the present state: a run
after downtime reminds of every day up to tomorrow that has not started yet, a second run finds
nothing left. One person's failure never stops the others.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionStatus,
)
from marketplace.catalogue.week_baskets import Announced, announced
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email
from marketplace.pickup.models import PickupReminder

logger = logging.getLogger(__name__)


@dataclass
class RemindedBasket:
    size_name: str
    offer_name: str
    quantity: int
    size_id: int
    contents: Announced | None = None


@dataclass
class Reminder:
    user: User
    day: DistributionDay
    baskets: list[RemindedBasket] = field(default_factory=list)


def due_reminders(today: date, now: datetime) -> list[Reminder]:
    """Households with a basket on a day up to tomorrow not started yet, not yet reminded
    (four queries whatever the number of households)."""
    already = exists().where(
        PickupReminder.user_id == Subscription.user_id,
        PickupReminder.distribution_day_id == DistributionDay.id,
    )
    rows = db.session.execute(
        select(Delivery, Subscription.user_id, BasketSize.name, BasketOffer, DistributionDay)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(BasketSize, BasketSize.id == Delivery.size_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .join(DistributionDay, DistributionDay.id == Delivery.distribution_day_id)
        .where(
            Delivery.state == DeliveryState.PLANNED.value,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
            DistributionDay.status == DayStatus.SCHEDULED.value,
            DistributionDay.day <= today + timedelta(days=1),
            DistributionDay.starts_at > now,
            ~already,
        )
        .options(joinedload(DistributionDay.pickup_point))
        .order_by(Subscription.user_id, DistributionDay.starts_at, BasketOffer.name)
    ).all()
    if not rows:
        return []
    users = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_({row.user_id for row in rows}))
        )
    }
    contents = {
        (item.distribution_day_id, item.offer_id): item
        for item in announced(list({row.DistributionDay.id for row in rows}))
    }
    reminders: dict[tuple[int, int], Reminder] = {}
    for delivery, user_id, size_name, offer, day in rows:
        reminder = reminders.get((user_id, day.id))
        if reminder is None:
            reminder = reminders[(user_id, day.id)] = Reminder(users[user_id], day)
        reminder.baskets.append(
            RemindedBasket(
                size_name,
                offer.name,
                delivery.quantity,
                delivery.size_id,
                contents.get((day.id, offer.id)),
            )
        )
    return list(reminders.values())


def send_pickup_reminders(today: date, now: datetime) -> int:
    """Send each due reminder once; returns how many were sent."""
    sent = 0
    for reminder in due_reminders(today, now):
        if not _claim(reminder, now):
            continue
        if _send(reminder):
            sent += 1
        else:  # give the claim back: the next run tries again
            db.session.execute(
                delete(PickupReminder).where(
                    PickupReminder.user_id == reminder.user.id,
                    PickupReminder.distribution_day_id == reminder.day.id,
                )
            )
    db.session.flush()
    return sent


def _claim(reminder: Reminder, now: datetime) -> bool:
    try:
        with db.session.begin_nested():
            db.session.add(
                PickupReminder(
                    user_id=reminder.user.id, distribution_day_id=reminder.day.id, sent_at=now
                )
            )
    except IntegrityError:  # another run claimed it at the same moment
        return False
    return True


def _send(reminder: Reminder) -> bool:
    user = reminder.user
    try:
        with force_locale(user.language):
            send_email(
                user.email,
                _(
                    "Demain, votre panier : distribution du %(day)s",
                    day=format_date(reminder.day.day, "long"),
                ),
                "email/pickup_reminder",
                user=user,
                day=reminder.day,
                baskets=reminder.baskets,
                link=absolute_url("territory.dashboard"),
            )
    except (smtplib.SMTPException, OSError):
        logger.exception("Pickup reminder to user %s failed", user.id)
        return False
    return True
