"""A paid membership fee gets its numbered receipt from the group: issued by the hourly pass
once the fee is recorded, never twice, emailed with its PDF, listed among the household's
documents; an unpaid fee gets none."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.invoicing import memberships, sending
from marketplace.invoicing.models import Document
from marketplace.membership import services
from tests import factories
from tests.helpers import count_queries
from tests.membership.helpers import group_with_membership, member_of


def _documents() -> int:
    return db.session.scalar(select(func.count(Document.id)))


def test_a_paid_fee_gets_one_numbered_receipt_from_the_group(app, outbox):
    group = group_with_membership()
    household = member_of(group)
    unpaid = member_of(group)
    membership = services.join(group, household, today=date(2026, 12, 7))
    services.join(group, unpaid, today=date(2026, 12, 7))
    services.record_payment(
        membership,
        method="cash",
        recorded_by=factories.UserFactory(),
        today=date(2026, 12, 8),
        now=utcnow(),
    )
    db.session.commit()

    outcome = sending.issue_missing(date(2026, 12, 8), utcnow())
    db.session.commit()
    sending.send_all(outcome.issued)
    db.session.commit()  # the email waits in the outbox until committed

    (receipt,) = outcome.issued
    assert receipt.seller_id == group.id and receipt.issuer_id == group.id
    assert receipt.buyer_id == household.id and receipt.total_cents == 1500
    assert receipt.vat_cents == 0 and receipt.source_key == memberships.membership_key(
        membership.id
    )
    assert "Adhésion" in receipt.lines[0].label
    assert outbox[-1]["To"] == household.email
    assert any(part.get_filename() for part in outbox[-1].walk())

    again = sending.issue_missing(date(2026, 12, 9), utcnow())
    db.session.commit()
    assert again.issued == [] and _documents() == 1  # never twice; the unpaid fee has none


def test_finding_the_fees_to_receipt_is_one_query(app):
    group = group_with_membership()
    for _ in range(5):
        membership = services.join(group, member_of(group), today=date(2026, 12, 7))
        services.record_payment(
            membership,
            method="cash",
            recorded_by=factories.UserFactory(),
            today=date(2026, 12, 8),
            now=utcnow(),
        )
    db.session.commit()
    with count_queries() as counter:
        found = memberships.paid_without_receipt()
    assert len(found) == 5 and counter.count == 1
