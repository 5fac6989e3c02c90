"""The contracts a household holds, a column of the group's members page (membership/columns)."""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.baskets.models import Subscription, SubscriptionStatus
from marketplace.extensions import db
from marketplace.membership.columns import MemberColumn


def contracts_held(group_id: int, user_ids: Collection[int] | None) -> dict[int, int]:
    """Live subscriptions per household of the group, in one query."""
    query = (
        select(Subscription.user_id, func.count(Subscription.id))
        .where(
            Subscription.group_id == group_id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
        )
        .group_by(Subscription.user_id)
    )
    if user_ids is not None:
        query = query.where(Subscription.user_id.in_(user_ids))
    return {user_id: count for user_id, count in db.session.execute(query)}


CONTRACTS_COLUMN = MemberColumn("contracts", lambda: _("Contrats"), contracts_held)
