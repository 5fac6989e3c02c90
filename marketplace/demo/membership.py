"""The demo group's yearly membership, made through the real services: a season from
September, a sliding scale, most households members for the current period (the fee received
by cheque, cash or transfer, a few still to pay), and one household whose membership lapsed
(Foyer Martin: a member last season, not this one, so the members page and the sign-up
pages show it)."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.demo.territory import demo_email
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.membership import services
from marketplace.membership.models import YearlyMembership
from marketplace.organisations.models import Membership, Role
from marketplace.timezones import local_instant

DEMO_GROUP = "amap-croix-rousse"
LAPSED_EMAIL = demo_email("foyer.martin")
COORDINATOR_EMAIL = demo_email("claire.coordination")
LEVELS = (
    services.Level("Solidaire", 500),
    services.Level("Standard", 1500),
    services.Level("Soutien", 3000),
)


def seed_demo_membership(today: date) -> int:
    """Set the demo group's membership up once (left alone if its coordinators did); returns
    the rows created."""
    group = db.session.scalar(select(Group).where(Group.slug == DEMO_GROUP))
    if group is None or services.settings_of(group) is not None:
        return 0
    settings = services.save_settings(
        group,
        start_month=9,
        pricing="sliding",
        amount_cents=None,
        levels=list(LEVELS),
        required=False,
        remind_days_before=30,
        today=today,
    )
    coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
    households = list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == group.id, Membership.role == Role.MEMBER.value)
            .order_by(User.id)
        )
    )
    period = services.current_period(settings, today)
    last_season = period.previous().starts_on
    for index, user in enumerate(households):
        # Mostly « Standard », some « Solidaire », a few « Soutien ».
        level = settings.levels[0 if index % 5 == 0 else 2 if index % 11 == 0 else 1]
        if user.email == LAPSED_EMAIL:
            _paid(group, user, level.id, last_season, coordinator or user, "cash")
        elif index % 7 == 3:
            services.join(group, user, level_id=level.id, today=today)  # the fee still due
        else:
            method = ("cheque", "transfer", "cash")[index % 3]
            paid_on = min(today, period.starts_on + timedelta(days=index % 40))
            _paid(group, user, level.id, paid_on, coordinator or user, method)
    return (
        1
        + len(LEVELS)
        + int(
            db.session.scalar(
                select(func.count(YearlyMembership.id)).where(YearlyMembership.group_id == group.id)
            )
        )
    )


def _paid(group, user, level_id, on: date, coordinator, method) -> None:
    membership = services.join(group, user, level_id=level_id, today=on)
    services.record_payment(
        membership,
        method=method,
        bank="Crédit Mutuel" if method == "cheque" else "",
        cheque_number=f"{4_200_000 + membership.id}" if method == "cheque" else "",
        recorded_by=coordinator,
        today=on,
        now=local_instant(on, time(19, 0)),
    )
