"""Two documents issued at the same instant, on two connections: never the same number, never
a gap (PostgreSQL: SQLite serialises writers itself, so the race cannot happen there)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.invoicing import issuing
from marketplace.invoicing.models import Document
from marketplace.organisations.models import Organisation
from tests.invoicing.test_issuing import DAY, parties


@pytest.fixture(autouse=True)
def postgresql_only(app) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("Two connections issuing at once: PostgreSQL only (scripts/with-postgres).")


def issue_at_once(app, monkeypatch, ids: tuple[int, int, int], times: int) -> None:
    barrier = threading.Barrier(2, timeout=5)
    original = issuing.next_number

    def synchronised(issuer_id: int, year: int) -> int:
        with suppress(threading.BrokenBarrierError):
            barrier.wait()  # both transactions reach the counter together
        return original(issuer_id, year)

    monkeypatch.setattr(issuing, "next_number", synchronised)
    group_id, producer_id, buyer_id = ids

    def run(_worker: int) -> None:
        with app.app_context():  # this thread's own session and connection
            try:
                for _ in range(times):
                    issuing.issue_document(
                        seller=db.session.get(Organisation, producer_id),
                        group=db.session.get(Organisation, group_id),
                        buyer=db.session.get(User, buyer_id),
                        lines=[issuing.LineData("Panier", 1_000, 550)],
                        issued_on=DAY,
                    )
                    db.session.commit()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, range(2)))


@pytest.mark.parametrize("times", [1, 10])
def test_documents_issued_at_once_take_consecutive_numbers(app, monkeypatch, times):
    group, producer, buyer = parties()
    ids = (group.id, producer.id, buyer.id)
    db.session.commit()
    issue_at_once(app, monkeypatch, ids, times)
    db.session.expire_all()
    numbers = db.session.scalars(select(Document.number).order_by(Document.number)).all()
    assert numbers == list(range(1, 2 * times + 1))
