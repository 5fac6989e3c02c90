"""A short message history in the Croix-Rousse AMAP: what its coordination wrote to the
whole group and to one contract's subscribers, each recipient with its email's status.

Written through the messages service (so recipients and emails are real rows), then the
emails are marked sent as they were on their day: seeding sends nothing. Idempotent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from marketplace.baskets.models import BasketOffer
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.messages.models import GroupMessage, MessageRecipient
from marketplace.messages.services import send_message
from marketplace.organisations.models import Membership, Role
from marketplace.outbox.models import OutboxMessage, OutboxStatus

GROUP_SLUG = "amap-croix-rousse"
HISTORY = (
    (
        12,
        "group",
        "Assemblée générale le 14 janvier",
        "Bonjour à toutes et à tous,\n\nnotre assemblée générale aura lieu le 14 janvier à "
        "19 h à la Maison des associations. Nous y parlerons des contrats de la saison "
        "prochaine et du fonds de solidarité.\n\nÀ bientôt !",
        False,
    ),
    (
        3,
        "contract",
        "Paniers plus légers cette semaine",
        "Bonjour,\n\nle gel de la semaine dernière a abîmé les salades : vos paniers seront un "
        "peu plus légers jeudi, la différence sera compensée au printemps.\n\nMerci de votre "
        "compréhension.",
        False,
    ),
)


def seed_demo_messages() -> int:
    group = db.session.scalar(select(Group).where(Group.slug == GROUP_SLUG))
    if group is None or db.session.scalar(
        select(GroupMessage.id).where(GroupMessage.group_id == group.id).limit(1)
    ):
        return 0
    author = db.session.scalar(
        select(Membership)
        .where(Membership.organisation_id == group.id, Membership.role == Role.COORDINATOR.value)
        .order_by(Membership.id)
        .limit(1)
    )
    offer_id = db.session.scalar(
        select(BasketOffer.id).where(BasketOffer.group_id == group.id).order_by(BasketOffer.id)
    )
    if author is None:
        return 0
    created = 0
    for days_ago, segment, subject, body, essential in HISTORY:
        if segment == "contract" and offer_id is None:
            continue
        target = segment if segment == "group" else f"{segment}:{offer_id}"
        message = send_message(group, author.user, target, subject, body, essential=essential)
        _as_sent_on(message, utcnow() - timedelta(days=days_ago))
        created += 1
    return created


def _as_sent_on(message: GroupMessage, when: datetime) -> None:
    message.created_at = when
    outbox_ids = select(MessageRecipient.outbox_id).where(
        MessageRecipient.message_id == message.id, MessageRecipient.outbox_id.is_not(None)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(outbox_ids))
        .values(status=OutboxStatus.SENT.value, attempts=1, created_at=when, sent_at=when)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
