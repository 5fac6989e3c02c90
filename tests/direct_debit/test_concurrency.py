"""Two requests at once on PostgreSQL: the same batch form sent twice builds one file; two
coordinators building at the same moment put each installment in one batch only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.direct_debit import notices
from marketplace.direct_debit.models import DebitBatch, DebitBatchItem
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.direct_debit.scene import debit_household, group_with_settings
from tests.test_double_submissions import (  # noqa: F401 - the fixtures
    at_the_insert,
    postgresql_only,
    statuses,
    twice_at_once,
)

pytestmark = pytest.mark.usefixtures("postgresql_only", "at_the_insert")


def _scene():
    group = group_with_settings(notice_days=2)
    debit_household(group, due_in_days=(1, 2))
    notices.send_notices(paris_today(), utcnow())
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    db.session.commit()
    return group, coordinator


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_same_batch_form_twice_at_once_builds_one_file(app):
    group, coordinator = _scene()
    url = f"/groupes/{group.slug}/gestion/prelevements/lots/nouveau"
    responses = twice_at_once(
        app, coordinator, lambda client: client.post(url, data={"request_key": "one-form"})
    )
    assert statuses(responses) == [302, 302]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    assert _count(DebitBatch) == 1 and _count(DebitBatchItem) == 2


def test_two_batches_at_once_never_share_an_installment(app):
    group, coordinator = _scene()
    url = f"/groupes/{group.slug}/gestion/prelevements/lots/nouveau"
    keys = iter(["first", "second"])
    responses = twice_at_once(
        app, coordinator, lambda client: client.post(url, data={"request_key": next(keys)})
    )
    assert statuses(responses) == [302, 302]
    assert _count(DebitBatch) == 1 and _count(DebitBatchItem) == 2
