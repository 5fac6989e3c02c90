"""Deleting an account: the person's data anonymised, the books kept under a pseudonym.

The users row stays (ledger entries, installments, payments and orders point at it and are
legal records): its name, e-mail, phone and password are replaced, the account is closed,
its sessions, sign-in links and calendar token are deleted, its roles end (each group's
coordinators keep a line saying who left), future shifts and waiting-list places are given
up, and names of third parties it recorded (a basket given to a neighbour) are blanked.

An account with open commitments is refused with what to do first: a live subscription with
installments still due, an order for a distribution day not over yet, money owed either way.
Services flush and never commit.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from marketplace.accounts.models import LoginLink, User
from marketplace.accounts.passwords import hash_password
from marketplace.accounts.sessions import end_all_sessions
from marketplace.baskets.models import (
    BasketOffer,
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionStatus,
    WaitingListEntry,
    WaitingState,
)
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.feeds.models import CalendarFeedToken
from marketplace.grocery_shop.models import Beneficiary
from marketplace.organisations.models import Membership, Organisation, OrganisationKind
from marketplace.payments.models import Installment, InstallmentState, LedgerEntry
from marketplace.payments.money import format_money as format_cents
from marketplace.privacy.models import AccountDeletion, DeletionReason
from marketplace.shifts.models import ShiftSignup, ShiftState
from marketplace.shop.models import Order, OrderStatus, PickupState
from marketplace.timezones import to_paris

PSEUDONYM = "Compte supprimé {id}"  # stored, so in the source language
ANONYMOUS_EMAIL = "supprime-{id}@anonyme.invalid"
THIRD_PARTY = "—"
UNPAID = (InstallmentState.PLANNED, InstallmentState.PENDING, InstallmentState.FAILED)


def open_commitments(user: User) -> list[str]:
    """What the person must settle before their account can be deleted, in words (3 queries)."""
    problems: list[str] = []
    contracts = db.session.scalars(
        select(BasketOffer.name)
        .join(Subscription, Subscription.offer_id == BasketOffer.id)
        .join(Installment, Installment.subscription_id == Subscription.id)
        .where(
            Subscription.user_id == user.id,
            Subscription.status == SubscriptionStatus.ACTIVE.value,
            Installment.state.in_([state.value for state in UNPAID]),
        )
        .distinct()
        .order_by(BasketOffer.name)
    ).all()
    problems += [
        _(
            "Votre abonnement « %(contract)s » a encore des échéances à régler : réglez-les ou "
            "résiliez l'abonnement auprès de la coordination d'abord.",
            contract=name,
        )
        for name in contracts
    ]
    days = db.session.scalars(
        select(DistributionDay.starts_at)
        .join(Order, Order.distribution_day_id == DistributionDay.id)
        .where(
            Order.user_id == user.id,
            Order.status == OrderStatus.PLACED.value,
            Order.pickup_state == PickupState.PENDING.value,
            DistributionDay.ends_at > utcnow(),
        )
        .order_by(DistributionDay.starts_at)
    ).all()
    problems += [
        _(
            "Vous avez une commande pour la distribution du %(day)s : annulez-la ou retirez-la "
            "d'abord.",
            day=to_paris(starts_at).strftime("%d/%m/%Y"),
        )
        for starts_at in days
    ]
    balances = db.session.execute(
        select(Organisation.name, func.sum(LedgerEntry.amount_cents))
        .join(Organisation, Organisation.id == LedgerEntry.group_id)
        .where(LedgerEntry.user_id == user.id)
        .group_by(Organisation.id, Organisation.name)
        .order_by(Organisation.name)
    ).all()
    for group, balance in balances:
        if balance < 0:
            problems.append(
                _(
                    "Vous devez encore %(amount)s à %(group)s : réglez ce montant d'abord.",
                    amount=format_cents(-balance),
                    group=group,
                )
            )
        elif balance > 0:
            problems.append(
                _(
                    "%(group)s vous doit %(amount)s : demandez-en le remboursement (ou faites-en "
                    "don) auprès de la coordination d'abord.",
                    amount=format_cents(balance),
                    group=group,
                )
            )
    return problems


def anonymise(user: User, reason: DeletionReason) -> None:
    """Anonymise the account; DomainError (the first thing to do) if commitments are open."""
    problems = open_commitments(user)
    if problems:
        raise DomainError(problems[0])
    if not user.is_active_account and user.email == ANONYMOUS_EMAIL.format(id=user.id):
        return  # done already
    now = utcnow()
    groups = db.session.scalars(
        select(Membership.organisation_id)
        .where(
            Membership.user_id == user.id,
            Membership.organisation_kind == OrganisationKind.GROUP.value,
        )
        .distinct()
    ).all()
    for group_id in groups or [None]:
        db.session.add(
            AccountDeletion(
                user_id=user.id,
                group_id=group_id,
                former_name=user.name,
                reason=reason.value,
                requested_at=now,
            )
        )
    db.session.execute(delete(Membership).where(Membership.user_id == user.id))
    future_days = select(DistributionDay.id).where(DistributionDay.starts_at > now)
    db.session.execute(
        update(ShiftSignup)
        .where(
            ShiftSignup.user_id == user.id,
            ShiftSignup.state == ShiftState.SIGNED_UP.value,
            ShiftSignup.distribution_day_id.in_(future_days),
        )
        .values(state=ShiftState.CANCELLED.value, cancelled_at=now)
    )
    db.session.execute(
        update(WaitingListEntry)
        .where(
            WaitingListEntry.user_id == user.id,
            WaitingListEntry.state.in_([WaitingState.WAITING.value, WaitingState.OFFERED.value]),
        )
        .values(state=WaitingState.WITHDRAWN.value)
    )
    theirs = select(Subscription.id).where(Subscription.user_id == user.id)
    db.session.execute(
        update(Delivery)
        .where(Delivery.subscription_id.in_(theirs), Delivery.state == DeliveryState.GIVEN.value)
        .values(given_to_name=THIRD_PARTY, given_to_email=None)
    )
    db.session.execute(
        update(Delivery)
        .where(Delivery.subscription_id.in_(theirs), Delivery.given_to_email.is_not(None))
        .values(given_to_email=None)
    )
    db.session.execute(
        update(Beneficiary)
        .where(Beneficiary.user_id == user.id)
        .values(household_name=PSEUDONYM.format(id=user.id), phone="", referrer="", notes="")
    )
    db.session.execute(delete(LoginLink).where(LoginLink.user_id == user.id))
    db.session.execute(delete(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id))
    end_all_sessions(user)
    user.name = PSEUDONYM.format(id=user.id)
    user.email = ANONYMOUS_EMAIL.format(id=user.id)
    user.phone = None
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.is_active_account = False
    db.session.flush()


def departures_of(group_id: int) -> list[AccountDeletion]:
    """Who left the group by deleting their account (or was anonymised), newest first."""
    return list(
        db.session.scalars(
            select(AccountDeletion)
            .where(AccountDeletion.group_id == group_id)
            .order_by(AccountDeletion.requested_at.desc(), AccountDeletion.id.desc())
        )
    )
