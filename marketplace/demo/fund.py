"""The demo group's solidarity fund has money in it: a few households gave to it last month,
through the real service (a ledger entry each, and the fund's movement). Idempotent: once the
group's fund has a donation, nothing is added."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Role
from marketplace.payments.entry_words import words
from marketplace.payments.fund import record_donation
from marketplace.payments.models import FundMovement, FundMovementKind

DEMO_GROUP = "amap-croix-rousse"
GIFTS_CENTS = (5000, 2000, 3000)


def seed_demo_fund(today: date) -> int:
    group = db.session.scalar(select(Group).where(Group.slug == DEMO_GROUP))
    if group is None:
        return 0
    given = db.session.scalar(
        select(FundMovement.id).where(
            FundMovement.group_id == group.id, FundMovement.kind == FundMovementKind.DONATION
        )
    )
    if given is not None:
        return 0
    givers = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == group.id, Membership.role == Role.MEMBER)
        .order_by(User.id)
        .limit(len(GIFTS_CENTS))
    ).all()
    for index, (user, cents) in enumerate(zip(givers, GIFTS_CENTS, strict=False)):
        record_donation(
            group,
            user,
            cents,
            today - timedelta(days=30 - 7 * index),
            words("donation_gift"),
        )
    db.session.flush()
    return len(givers)
