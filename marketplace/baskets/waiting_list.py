"""The waiting list of a full basket size: joining, position, withdrawing, offering freed places.

A place offered to a waiting household is reserved for it until `offer_expires_at`: sign-ups
count offered entries as taken for everyone else. Offering and expiring are conditional
updates under the size's lock, so running them twice (or at once) never offers more places
than are free, nor the same place twice.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    OfferStatus,
    Subscription,
    SubscriptionStatus,
    WaitingListEntry,
    WaitingState,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.mail import absolute_url, send_email
from marketplace.organisations.access import has_role
from marketplace.organisations.models import Role

logger = logging.getLogger(__name__)

OFFER_VALIDITY = timedelta(hours=72)
LIVE_STATES = (WaitingState.WAITING.value, WaitingState.OFFERED.value)


@dataclass(frozen=True)
class WaitingPanel:
    """What the subscribe page shows about the waiting list to one household."""

    entry: WaitingListEntry | None
    position: int | None  # 1 for the first waiting household; None while a place is offered
    full_sizes: list[BasketSize]

    @property
    def offer_hours(self) -> int:
        """How long a freed place is kept for the household it is offered to."""
        return int(OFFER_VALIDITY.total_seconds() // 3600)

    @property
    def place_offered(self) -> bool:
        return self.entry is not None and self.entry.state == WaitingState.OFFERED.value


# --- Counting places ---------------------------------------------------------------------------


def lock_size(size_id: int) -> None:
    """Hold the size until commit, so sign-ups and offers count its places one at a time."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks, but a write takes its single write lock until commit.
        db.session.execute(
            update(BasketSize)
            .where(BasketSize.id == size_id)
            .values(capacity=BasketSize.capacity)
            .execution_options(synchronize_session=False)
        )
    else:
        db.session.execute(select(BasketSize.id).where(BasketSize.id == size_id).with_for_update())


def reserved_places(size_id: int, now: datetime, *, except_user_id: int | None = None) -> int:
    """Places of the size held for households who were offered one and may still take it."""
    query = select(func.count(WaitingListEntry.id)).where(
        WaitingListEntry.size_id == size_id,
        WaitingListEntry.state == WaitingState.OFFERED.value,
        WaitingListEntry.offer_expires_at > now,
    )
    if except_user_id is not None:
        query = query.where(WaitingListEntry.user_id != except_user_id)
    return db.session.scalar(query) or 0


def taken_places(size_id: int, now: datetime, *, except_user_id: int | None = None) -> int:
    """Active subscriptions plus places reserved for others."""
    active = db.session.scalar(
        select(func.count(Subscription.id)).where(
            Subscription.size_id == size_id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
        )
    )
    return (active or 0) + reserved_places(size_id, now, except_user_id=except_user_id)


def full_sizes(offer: BasketOffer, user: User, now: datetime) -> list[BasketSize]:
    """The offer's sizes with no place left for this household (three queries in all)."""
    limited = [size for size in offer.sizes if size.capacity is not None]
    if not limited:
        return []
    ids = [size.id for size in limited]
    active = dict(
        db.session.execute(
            select(Subscription.size_id, func.count(Subscription.id))
            .where(
                Subscription.size_id.in_(ids),
                Subscription.status == SubscriptionStatus.ACTIVE.value,
            )
            .group_by(Subscription.size_id)
        ).all()
    )
    reserved = dict(
        db.session.execute(
            select(WaitingListEntry.size_id, func.count(WaitingListEntry.id))
            .where(
                WaitingListEntry.size_id.in_(ids),
                WaitingListEntry.state == WaitingState.OFFERED.value,
                WaitingListEntry.offer_expires_at > now,
                WaitingListEntry.user_id != user.id,
            )
            .group_by(WaitingListEntry.size_id)
        ).all()
    )
    return [
        size
        for size in limited
        if active.get(size.id, 0) + reserved.get(size.id, 0) >= size.capacity
    ]


# --- The household's side ----------------------------------------------------------------------


def live_entry(offer: BasketOffer, user: User) -> WaitingListEntry | None:
    return db.session.scalar(
        select(WaitingListEntry)
        .where(
            WaitingListEntry.offer_id == offer.id,
            WaitingListEntry.user_id == user.id,
            WaitingListEntry.state.in_(LIVE_STATES),
        )
        .options(joinedload(WaitingListEntry.size))
    )


def position(entry: WaitingListEntry) -> int:
    """1 for the first household still waiting for this size, in order of arrival."""
    ahead = db.session.scalar(
        select(func.count(WaitingListEntry.id)).where(
            WaitingListEntry.size_id == entry.size_id,
            WaitingListEntry.state == WaitingState.WAITING.value,
            (WaitingListEntry.created_at < entry.created_at)
            | (
                (WaitingListEntry.created_at == entry.created_at) & (WaitingListEntry.id < entry.id)
            ),
        )
    )
    return (ahead or 0) + 1


def panel(offer: BasketOffer, user: User, now: datetime) -> WaitingPanel:
    entry = live_entry(offer, user)
    if entry is not None and entry.state == WaitingState.OFFERED.value:
        return WaitingPanel(entry, None, full_sizes(offer, user, now))
    return WaitingPanel(entry, position(entry) if entry else None, full_sizes(offer, user, now))


def join(
    offer: BasketOffer, user: User, size: BasketSize | None, now: datetime
) -> WaitingListEntry:
    """Put the household on the waiting list of a full size. The caller commits."""
    if offer.status != OfferStatus.PUBLISHED.value or not (
        offer.signup_opens_at <= now < offer.signup_closes_at
    ):
        raise DomainError(_("Les inscriptions à ce contrat sont fermées."))
    if not has_role(user, offer.group, Role.MEMBER):
        raise DomainError(
            _("Seul·es les adhérent·es de %(group)s peuvent s'inscrire.", group=offer.group.name)
        )
    if size is None or size.offer_id != offer.id:
        raise DomainError(_("Choisissez une taille de panier de ce contrat."), field="size_id")
    if _has_active_subscription(offer, user):
        raise DomainError(_("Vous êtes déjà inscrit·e à ce contrat."))
    if live_entry(offer, user) is not None:
        raise DomainError(_("Vous êtes déjà sur la liste d'attente de ce contrat."))
    lock_size(size.id)
    if size.capacity is None or taken_places(size.id, now, except_user_id=user.id) < size.capacity:
        raise DomainError(
            _("Il reste des places pour ce panier : vous pouvez vous inscrire directement."),
            field="size_id",
        )
    entry = WaitingListEntry(
        offer_id=offer.id, size_id=size.id, user_id=user.id, state=WaitingState.WAITING.value
    )
    # Two clicks at once: the partial unique index keeps one live entry per household.
    return unique.insert_once(entry, _("Vous êtes déjà sur la liste d'attente de ce contrat."))


def withdraw(offer: BasketOffer, user: User) -> None:
    """Leave the waiting list (an offered place is given up, for the next household)."""
    result = db.session.execute(
        update(WaitingListEntry)
        .where(
            WaitingListEntry.offer_id == offer.id,
            WaitingListEntry.user_id == user.id,
            WaitingListEntry.state.in_(LIVE_STATES),
        )
        .values(state=WaitingState.WITHDRAWN.value)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        raise DomainError(_("Vous n'êtes pas sur la liste d'attente de ce contrat."))


def accept(offer: BasketOffer, user: User) -> None:
    """The household subscribed: its live entry, offered or still waiting, is done."""
    db.session.execute(
        update(WaitingListEntry)
        .where(
            WaitingListEntry.offer_id == offer.id,
            WaitingListEntry.user_id == user.id,
            WaitingListEntry.state.in_(LIVE_STATES),
        )
        .values(state=WaitingState.ACCEPTED.value)
        .execution_options(synchronize_session=False)
    )


def _has_active_subscription(offer: BasketOffer, user: User) -> bool:
    return (
        db.session.scalar(
            select(Subscription.id).where(
                Subscription.offer_id == offer.id,
                Subscription.user_id == user.id,
                Subscription.status == SubscriptionStatus.ACTIVE.value,
            )
        )
        is not None
    )


# --- Offering and expiring (the scheduled jobs, or right after a cancellation) -----------------


def offer_free_places(now: datetime, *, offer_id: int | None = None) -> list[WaitingListEntry]:
    """Offer each free place of a full size to the first waiting household, and email it.

    Only offers open for sign-up are served (a place could not be taken otherwise). The
    caller commits; emails that fail are logged: the offer still shows on the household's page.
    """
    sizes = _sizes_with_waiting(now, offer_id)
    offered: list[WaitingListEntry] = []
    for size in sizes:
        lock_size(size.id)
        free = None if size.capacity is None else size.capacity - taken_places(size.id, now)
        if free is not None and free <= 0:
            continue
        waiting = db.session.scalars(
            select(WaitingListEntry.id)
            .where(
                WaitingListEntry.size_id == size.id,
                WaitingListEntry.state == WaitingState.WAITING.value,
            )
            .order_by(WaitingListEntry.created_at, WaitingListEntry.id)
            .limit(free)
        ).all()
        for entry_id in waiting:
            # Conditional: an entry withdrawn or offered meanwhile is left as it is.
            result = db.session.execute(
                update(WaitingListEntry)
                .where(
                    WaitingListEntry.id == entry_id,
                    WaitingListEntry.state == WaitingState.WAITING.value,
                )
                .values(
                    state=WaitingState.OFFERED.value,
                    offered_at=now,
                    offer_expires_at=now + OFFER_VALIDITY,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                offered.append(db.session.get(WaitingListEntry, entry_id, populate_existing=True))
    db.session.flush()
    for entry in offered:
        _notify(
            entry,
            "email/waiting_place_offered",
            lambda offer: _("Une place vous attend : %(offer)s", offer=offer.name),
        )
    return offered


def expire_offers(now: datetime) -> list[WaitingListEntry]:
    """Unanswered offers past their expiry end, so the place goes to the next household."""
    due = db.session.scalars(
        select(WaitingListEntry.id).where(
            WaitingListEntry.state == WaitingState.OFFERED.value,
            WaitingListEntry.offer_expires_at <= now,
        )
    ).all()
    expired: list[WaitingListEntry] = []
    for entry_id in due:
        result = db.session.execute(
            update(WaitingListEntry)
            .where(
                WaitingListEntry.id == entry_id,
                WaitingListEntry.state == WaitingState.OFFERED.value,
            )
            .values(state=WaitingState.EXPIRED.value)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            expired.append(db.session.get(WaitingListEntry, entry_id, populate_existing=True))
    db.session.flush()
    for entry in expired:
        _notify(
            entry,
            "email/waiting_offer_expired",
            lambda offer: _("Place non retenue : %(offer)s", offer=offer.name),
        )
    return expired


def _sizes_with_waiting(now: datetime, offer_id: int | None) -> list[BasketSize]:
    query = (
        select(BasketSize)
        .join(BasketOffer, BasketOffer.id == BasketSize.offer_id)
        .where(
            BasketOffer.status == OfferStatus.PUBLISHED.value,
            BasketOffer.signup_opens_at <= now,
            BasketOffer.signup_closes_at > now,
            select(WaitingListEntry.id)
            .where(
                WaitingListEntry.size_id == BasketSize.id,
                WaitingListEntry.state == WaitingState.WAITING.value,
            )
            .exists(),
        )
        .order_by(BasketSize.id)
    )
    if offer_id is not None:
        query = query.where(BasketSize.offer_id == offer_id)
    return list(db.session.scalars(query))


def _notify(entry: WaitingListEntry, template: str, subject: Callable[[BasketOffer], str]) -> None:
    user, offer = entry.user, entry.offer
    try:
        with force_locale(user.language):
            send_email(
                user.email,
                subject(offer),  # called here, in the household's language
                template,
                user=user,
                offer=offer,
                entry=entry,
                link=absolute_url("subscriptions.new", offer_id=offer.id),
            )
    except (smtplib.SMTPException, OSError):
        logger.exception("Waiting-list email to user %s failed", user.id)
