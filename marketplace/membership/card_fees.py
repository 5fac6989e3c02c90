"""A household pays its membership fee by card: what cards (a layer below) borrows from here.

Registered once per process by the app factory (cards/fees.py). The membership's row is locked
before an attempt (its amount is the one charged) and when the money comes in: the first
settlement wins, by card or by a coordinator's cheque, and the ledger's reference (the same
`adhesion-<id>-paid` both ways) is the last guard.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.cards.fees import FeeHooks, FeeToPay, register
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.membership.models import FeeMethod, YearlyMembership
from marketplace.membership.periods import Period
from marketplace.membership.services import fee_label, fee_words


def _locked(membership_id: int) -> YearlyMembership:
    return db.session.scalars(
        select(YearlyMembership)
        .where(YearlyMembership.id == membership_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _label(membership: YearlyMembership) -> str:
    group = db.session.get(Group, membership.group_id)
    assert group is not None
    return fee_label(group, Period(membership.period_starts_on, membership.period_ends_on))


def describe(membership_id: int) -> FeeToPay | None:
    membership = db.session.get(YearlyMembership, membership_id)
    if membership is None:
        return None
    group = db.session.get(Group, membership.group_id)
    assert group is not None
    return FeeToPay(
        id=membership.id,
        user_id=membership.user_id,
        group_id=membership.group_id,
        amount_cents=membership.amount_cents,
        paid=membership.is_paid,
        title=_label(membership),
        back=url_for("membership.join", slug=group.slug),
    )


def lock_unpaid(membership_id: int) -> int:
    membership = _locked(membership_id)
    if membership.is_paid:
        raise DomainError(_("Cette adhésion est déjà réglée."))
    return membership.amount_cents


def settle(membership_id: int) -> tuple[str, str] | None:
    membership = _locked(membership_id)
    if membership.is_paid:
        return None
    with db.session.no_autoflush:
        membership.method, membership.paid_at = FeeMethod.CARD.value, utcnow()
    db.session.flush()
    group = db.session.get(Group, membership.group_id)
    assert group is not None
    period = Period(membership.period_starts_on, membership.period_ends_on)
    return membership.payment_reference, fee_words(group, period)


def register_hooks() -> None:
    register(FeeHooks(describe=describe, lock_unpaid=lock_unpaid, settle=settle))
