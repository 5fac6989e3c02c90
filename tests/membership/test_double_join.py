"""The join form sent twice at the same moment, on PostgreSQL: one membership, one fee booked
(see tests/test_double_submissions.py for the barrier that makes both requests insert)."""

from __future__ import annotations

from marketplace.extensions import db
from tests.membership.helpers import counts, group_with_membership, member_of
from tests.test_double_submissions import (  # noqa: F401 (fixtures)
    at_the_insert,
    postgresql_only,
    statuses,
    twice_at_once,
)


def test_joining_twice_at_once_gives_one_membership(app, postgresql_only, at_the_insert):  # noqa: F811
    group = group_with_membership()
    household = member_of(group)
    db.session.commit()
    url = f"/groupes/{group.slug}/adhesion"

    responses = twice_at_once(app, household, lambda client: client.post(url, data={}))

    assert statuses(responses) == [302, 302]
    assert counts() == {"memberships": 1, "ledger": 1}
