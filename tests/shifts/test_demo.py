"""The demo roles and sign-ups: a lead, a staffed day, an understaffed day; safe to rerun.

(The whole `flask demo seed` is exercised by tests/demo; this checks the shifts part alone.)
"""

from datetime import timedelta

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.demo.shifts import LEAD_EMAIL, seed_demo_shifts
from marketplace.extensions import db
from marketplace.shifts import queries
from marketplace.shifts.models import ShiftSignup
from tests.shifts.support import day_in, member_of, today


def test_demo_shifts():
    first = day_in(1)
    for offset in (8, 15, 22):
        day_in(offset, schedule=first.schedule)
    member_of(first.group, role="volunteer", email=LEAD_EMAIL)
    for _ in range(6):
        member_of(first.group)
    db.session.commit()

    assert seed_demo_shifts(today()) > 0
    db.session.commit()
    lead = db.session.scalar(select(ShiftSignup).where(ShiftSignup.is_lead.is_(True)))
    assert lead.user.email == LEAD_EMAIL and lead.distribution_day_id == first.id
    days = queries.coming_days(first.group_id, utcnow(), today() + timedelta(weeks=4))
    staffing = queries.staffing_of(days)
    assert [item.understaffed for item in staffing] == [False, True, False, True]
    assert seed_demo_shifts(today()) == 0
