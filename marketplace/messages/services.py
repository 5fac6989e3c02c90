"""Writing to a segment: the checks, the preview (who will receive it) and the sending.

Services flush, never commit: the message, its recipients and their emails are one
transaction, so a refused message queues nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.mail import absolute_url, send_email
from marketplace.messages.models import BODY_MAX, SUBJECT_MAX, GroupMessage, MessageRecipient
from marketplace.messages.segments import SEGMENTS, Segment, users_of
from marketplace.outbox.models import OutboxMessage

TARGET_MAX = 40


@dataclass(frozen=True)
class Target:
    segment: Segment
    value: int | None
    audience: str  # in words, e.g. "Abonnés d'un contrat : Légumes"


@dataclass(frozen=True)
class Preview:
    target: Target
    recipients: list[User]
    essential: bool

    @property
    def receiving(self) -> list[User]:
        """Who gets the email: all for an essential message, else those who want them."""
        if self.essential:
            return self.recipients
        return [user for user in self.recipients if user.wants_group_messages]

    @property
    def declining(self) -> list[User]:
        receiving = {user.id for user in self.receiving}
        return [user for user in self.recipients if user.id not in receiving]


def targets(
    group: Group, producer_id: int | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The choices of the form, grouped by segment: [(segment label, [(target, label)])]."""
    grouped = []
    for segment in SEGMENTS.values():
        if producer_id is not None and not segment.producers_may_use:
            continue
        options = []
        for value, label in segment.choices(group, producer_id):
            key = segment.key if value is None else f"{segment.key}:{value}"
            options.append((key, label or str(segment.label)))
        if options:
            grouped.append((str(segment.label), options))
    return grouped


def resolve(group: Group, target: str, producer_id: int | None = None) -> Target:
    """The segment and value a form's `target` names, among this group's (and producer's)."""
    key, _sep, raw_value = (target or "").partition(":")
    segment = SEGMENTS.get(key)
    if segment is None or (producer_id is not None and not segment.producers_may_use):
        raise DomainError(
            _("Choisissez à qui écrire parmi les destinataires proposés."), field="target"
        )
    value = int(raw_value) if raw_value.isdigit() and len(raw_value) < 10 else None
    for choice, label in segment.choices(group, producer_id):
        if choice == value:
            audience = str(segment.label) if choice is None else f"{segment.label} : {label}"
            return Target(segment, value, audience[:200])
    raise DomainError(
        _("Choisissez à qui écrire parmi les destinataires proposés."), field="target"
    )


def _checked_text(subject: str, body: str) -> tuple[str, str]:
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise DomainError(_("Indiquez l'objet du message."), field="subject")
    if len(subject) > SUBJECT_MAX:
        raise DomainError(
            _("L'objet ne doit pas dépasser %(max)d caractères.", max=SUBJECT_MAX), field="subject"
        )
    if not body:
        raise DomainError(_("Écrivez le message."), field="body")
    if len(body) > BODY_MAX:
        raise DomainError(
            _("Le message ne doit pas dépasser %(max)d caractères.", max=BODY_MAX), field="body"
        )
    return subject, body


def preview(
    group: Group, target: str, *, essential: bool, producer_id: int | None = None
) -> Preview:
    resolved = resolve(group, target, producer_id)
    recipients = users_of(resolved.segment, group, resolved.value)
    if not recipients:
        raise DomainError(_("Personne ne correspond à ce choix : rien à envoyer."), field="target")
    return Preview(resolved, recipients, essential)


def send_message(
    group: Group,
    author: User,
    target: str,
    subject: str,
    body: str,
    *,
    essential: bool = False,
    producer_id: int | None = None,
    sender_name: str | None = None,
) -> GroupMessage:
    """Store the message and queue one email per household (Reply-To: the author)."""
    subject, body = _checked_text(subject, body)
    seen = preview(group, target, essential=essential, producer_id=producer_id)
    message = GroupMessage(
        group_id=group.id,
        author_id=author.id,
        producer_id=producer_id,
        segment=seen.target.segment.key,
        segment_value=seen.target.value,
        audience=seen.target.audience,
        subject=subject,
        body=body,
        essential=essential,
    )
    db.session.add(message)
    db.session.flush()
    link = absolute_url("messages.received")
    for user in seen.recipients:
        with force_locale(user.language):
            email = send_email(
                user.email,
                f"[{group.name}] {subject}",
                "email/group_message",
                reply_to=author.email,
                essential=essential,
                user=user,
                group=group,
                sender=sender_name or author.name,
                body=body,
                link=link,
                essential_message=essential,
            )
        db.session.add(
            MessageRecipient(
                message_id=message.id, user_id=user.id, outbox_id=email.id if email else None
            )
        )
    db.session.flush()
    return message


@dataclass(frozen=True)
class SentMessage:
    message: GroupMessage
    recipients: int
    by_status: dict[str, int]


def sent_messages(
    group: Group, producer_id: int | None = None, limit: int = 100
) -> list[SentMessage]:
    """The group's messages, newest first, with their counts per email status (two queries)."""
    query = select(GroupMessage).where(GroupMessage.group_id == group.id)
    if producer_id is not None:
        query = query.where(GroupMessage.producer_id == producer_id)
    messages = list(
        db.session.scalars(
            query.order_by(GroupMessage.created_at.desc(), GroupMessage.id.desc()).limit(limit)
        )
    )
    counts: dict[int, dict[str, int]] = {message.id: {} for message in messages}
    if messages:
        status = func.coalesce(OutboxMessage.status, "declined")
        rows = db.session.execute(
            select(MessageRecipient.message_id, status, func.count())
            .outerjoin(OutboxMessage, OutboxMessage.id == MessageRecipient.outbox_id)
            .where(MessageRecipient.message_id.in_(counts))
            .group_by(MessageRecipient.message_id, status)
        )
        for message_id, state, count in rows:
            counts[message_id][state] = count
    return [
        SentMessage(message, sum(counts[message.id].values()), counts[message.id])
        for message in messages
    ]


def recipients_of(message: GroupMessage) -> list[tuple[User, OutboxMessage | None]]:
    """Each household the message was for, with its email's status (one query)."""
    rows = db.session.execute(
        select(User, OutboxMessage)
        .join(MessageRecipient, MessageRecipient.user_id == User.id)
        .outerjoin(OutboxMessage, OutboxMessage.id == MessageRecipient.outbox_id)
        .where(MessageRecipient.message_id == message.id)
        .order_by(User.name, User.id)
    ).all()
    return [(user, email) for user, email in rows]


def received_by(user: User, limit: int = 100) -> list[tuple[GroupMessage, Group]]:
    """The messages a household was sent, newest first, with their group (one query)."""
    rows = db.session.execute(
        select(GroupMessage, Group)
        .join(MessageRecipient, MessageRecipient.message_id == GroupMessage.id)
        .join(Group, Group.id == GroupMessage.group_id)
        .where(MessageRecipient.user_id == user.id)
        .order_by(GroupMessage.created_at.desc(), GroupMessage.id.desc())
        .limit(limit)
    ).all()
    return [(message, group) for message, group in rows]


__all__ = ["TARGET_MAX", "Preview", "SentMessage", "Target"]
