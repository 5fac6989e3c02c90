"""« Remettre » and « Préparer les virements » sent twice at the same moment (a double click,
two tabs), on PostgreSQL: one remittance, one payout run; the second request gets the first
one's slip or a clear message, never a server error."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.books import remittances
from marketplace.books.models import Payout, PayoutRun, Remittance, RemittanceItem
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests.books import scene as scenes
from tests.test_double_submissions import (  # noqa: F401 (fixtures)
    at_the_insert,
    postgresql_only,
    statuses,
    twice_at_once,
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_remitting_twice_at_once_remits_once(app, postgresql_only, at_the_insert):  # noqa: F811
    scene = scenes.build()
    url = f"/groupes/{scene.group.slug}/gestion/comptabilite/remettre"
    form = {"kind": "bank", "payment_ids": [str(cheque.id) for cheque in scene.cheques]}

    responses = twice_at_once(app, scene.coordinator, lambda client: client.post(url, data=form))

    assert statuses(responses) == [302, 302]
    remittance = db.session.scalar(select(Remittance))
    assert {response.location for response in responses} == {
        f"/groupes/{scene.group.slug}/gestion/comptabilite/remises/{remittance.id}"
    }
    assert count(Remittance) == 1 and count(RemittanceItem) == 3


def test_a_payout_run_sent_twice_at_once_pays_once(app, postgresql_only, at_the_insert):  # noqa: F811
    scene = scenes.build()
    remittances.remit(
        group_id=scene.group.id, kind="bank", payment_ids=[c.id for c in scene.cheques],
        producer_id=None, created_by_id=scene.coordinator.id, today=paris_today(),
        now=scene.cheques[0].created_at,
    )  # fmt: skip
    db.session.commit()
    url = f"/groupes/{scene.group.slug}/gestion/comptabilite/reversements"
    form = {"producer_ids": [str(scene.farm.id), str(scene.baker.id)]}

    responses = twice_at_once(app, scene.coordinator, lambda client: client.post(url, data=form))

    assert statuses(responses) == [302, 302]
    assert count(PayoutRun) == 1 and count(Payout) == 2
