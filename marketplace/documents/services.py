"""Adding, removing and reading a group's documents. Who may read one is decided here, and
asked again at every download: a link passed on never opens a document to someone outside its
audience."""

from __future__ import annotations

from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.baskets.models import BasketOffer, Subscription, SubscriptionStatus
from marketplace.documents import files
from marketplace.documents.models import MAX_TITLE, Audience, GroupDocument
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Role


def add_document(
    group: Group,
    user: User,
    *,
    title: str,
    audience: str,
    offer_id: int | None,
    stream: BinaryIO,
    original_filename: str,
    max_bytes: int,
) -> GroupDocument:
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Donnez un titre au document."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_TITLE), field="title")
    if audience not in {item.value for item in Audience}:
        raise DomainError(_("Choisissez qui peut lire le document."), field="audience")
    if audience == Audience.SUBSCRIBERS:
        offer = db.session.get(BasketOffer, offer_id) if offer_id else None
        if offer is None or offer.group_id != group.id:
            raise DomainError(_("Choisissez un contrat de ce groupe."), field="offer_id")
    else:
        offer_id = None
    data = files.read_limited(stream, max_bytes)
    kind = files.sniff(data)
    document = GroupDocument(
        group_id=group.id,
        title=title,
        audience=audience,
        offer_id=offer_id,
        filename=files.safe_filename(original_filename, kind, title),
        content_type=kind.value,
        size_bytes=len(data),
        data=data,
        uploaded_by_id=user.id,
    )
    db.session.add(document)
    db.session.flush()
    return document


def delete_document(group: Group, document_id: int) -> None:
    document = db.session.get(GroupDocument, document_id)
    if document is None or document.group_id != group.id:
        raise DomainError(_("Ce document n'existe pas ou a déjà été retiré."))
    db.session.delete(document)
    db.session.flush()


def _readers(user: User | None, group_id: int) -> tuple[set[str], set[int]]:
    """The person's roles in the group and the contracts of the group they subscribe to
    (two queries)."""
    if user is None or not user.is_authenticated:
        return set(), set()
    roles = set(
        db.session.scalars(
            select(Membership.role).where(
                Membership.organisation_id == group_id, Membership.user_id == user.id
            )
        )
    )
    offers = set(
        db.session.scalars(
            select(Subscription.offer_id).where(
                Subscription.group_id == group_id,
                Subscription.user_id == user.id,
                Subscription.status == SubscriptionStatus.ACTIVE.value,
            )
        )
    )
    return roles, offers


def _allowed(document: GroupDocument, user: User | None, roles: set[str], offers: set[int]) -> bool:
    if document.audience == Audience.PUBLIC:
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin or Role.COORDINATOR.value in roles:
        return True
    if document.audience == Audience.MEMBERS:
        return bool(roles)
    if document.audience == Audience.SUBSCRIBERS:
        return document.offer_id in offers
    return False  # coordinators only


def may_read(user: User | None, document: GroupDocument) -> bool:
    roles, offers = _readers(user, document.group_id)
    return _allowed(document, user, roles, offers)


def visible_documents(group: Group, user: User | None) -> list[GroupDocument]:
    """The group's documents this person may read, newest first (three queries at most)."""
    documents = list(
        db.session.scalars(
            select(GroupDocument)
            .where(GroupDocument.group_id == group.id)
            .order_by(GroupDocument.uploaded_at.desc(), GroupDocument.id.desc())
        )
    )
    if not documents:
        return []
    roles, offers = _readers(user, group.id)
    return [document for document in documents if _allowed(document, user, roles, offers)]


def all_documents(group: Group) -> list[tuple[GroupDocument, str | None]]:
    """Every document of the group with its contract's name, for its coordinators."""
    return list(
        db.session.execute(
            select(GroupDocument, BasketOffer.name)
            .outerjoin(BasketOffer, BasketOffer.id == GroupDocument.offer_id)
            .where(GroupDocument.group_id == group.id)
            .order_by(GroupDocument.uploaded_at.desc(), GroupDocument.id.desc())
        ).all()
    )


def offers_of(group: Group) -> list[BasketOffer]:
    return list(
        db.session.scalars(
            select(BasketOffer)
            .where(BasketOffer.group_id == group.id)
            .order_by(BasketOffer.season_starts_on.desc(), BasketOffer.name)
        )
    )
