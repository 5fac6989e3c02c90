"""The demo group's membership: set up, most households members, one lapsed, the fees
booked once; seeding again changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.demo.membership import DEMO_GROUP, LAPSED_EMAIL
from marketplace.demo.seed import seed_demo_territory
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.membership import services
from marketplace.membership.queries import Status, all_members, lapsed_members
from marketplace.payments.models import LedgerEntry
from marketplace.timezones import paris_today


def test_the_demo_group_has_members_and_one_lapsed(app):
    today = paris_today()
    seed_demo_territory(today, horizon_weeks=8)
    db.session.commit()
    group = db.session.scalar(select(Group).where(Group.slug == DEMO_GROUP))
    settings = services.settings_of(group)
    assert settings is not None and len(settings.levels) == 3
    rows = all_members(group.id, settings, today)
    statuses = [row.status for row in rows]
    assert statuses.count(Status.PAID) > len(rows) / 2
    assert Status.UNPAID in statuses
    assert [user.email for user in lapsed_members(group.id, today)] == [LAPSED_EMAIL]
    fees = select(func.count(LedgerEntry.id)).where(
        LedgerEntry.external_reference.like("adhesion-%")
    )
    booked = db.session.scalar(fees)

    seed_demo_territory(today, horizon_weeks=8)
    db.session.commit()
    assert db.session.scalar(fees) == booked
