"""The receipt of a paid membership fee: a numbered document of the group itself.

The association sells its own membership (no producer involved), so the group is seller and
issuer; a fee carries no VAT. Issued by the hourly job once the fee is recorded as paid,
idempotent by its `source_key`, and emailed like every document.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.invoicing.issuing import LineData, issue_document
from marketplace.invoicing.models import Document
from marketplace.invoicing.sources import documented
from marketplace.membership.models import YearlyMembership
from marketplace.membership.periods import Period
from marketplace.membership.services import fee_label
from marketplace.organisations.models import Organisation
from marketplace.payments.labels import METHOD_LABELS
from marketplace.timezones import paris_today

KEY_PREFIX = "membership:"


def membership_key(membership_id: int) -> str:
    return f"{KEY_PREFIX}{membership_id}"


def paid_without_receipt() -> list[YearlyMembership]:
    """Paid memberships whose receipt is not issued yet (one query)."""
    receipted = documented(KEY_PREFIX, YearlyMembership.id)
    return list(
        db.session.scalars(
            select(YearlyMembership)
            .where(YearlyMembership.paid_at.is_not(None), ~receipted)
            .order_by(YearlyMembership.id)
        )
    )


def issue_for_membership(membership: YearlyMembership) -> Document:
    group = db.session.get(Organisation, membership.group_id)
    buyer = db.session.get(User, membership.user_id)
    period = Period(membership.period_starts_on, membership.period_ends_on)
    label = fee_label(group, period)
    if membership.level_name:
        label = f"{label} ({membership.level_name})"
    paid_on = paris_today(membership.paid_at)
    return issue_document(
        seller=group,
        group=group,
        buyer=buyer,
        lines=[LineData(label=label, total_cents=membership.amount_cents, vat_rate_bp=0)],
        issued_on=paid_on,
        source_key=membership_key(membership.id),
        payment_terms=_(
            "Cotisation réglée le %(date)s (%(method)s).",
            date=paid_on.strftime("%d/%m/%Y"),
            method=METHOD_LABELS[membership.method],
        ),
    )
