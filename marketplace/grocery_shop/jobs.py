"""Scheduled jobs of the mobile grocery's shop: closing finished runs, cancelling the
pre-orders of cancelled runs, and telling households when their run moves to another day
(the households told by email, the staff given the ones to phone).

They work from the present state, not from their period: a run after downtime does everything
still to do, and a second run finds nothing left (one RunClosing per run; a cancelled
pre-order is not placed any more; a told pre-order remembers the day it was told).
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop import moved_runs, run_closing
from marketplace.grocery_shop.moved_runs import MovedPreOrder
from marketplace.grocery_shop.run_closing import CancelledPreOrder
from marketplace.mail import absolute_url, send_email
from marketplace.organisations.models import Membership, Role
from marketplace.scheduler.registry import Hourly, Period, registry

logger = logging.getLogger(__name__)

AUTO_CLOSE_AFTER = timedelta(hours=3)  # after the last stop: the van is back, the crates too
AUTO_CLOSE_LOOKBACK = timedelta(days=14)  # older runs predate the checklist: left alone

Told = TypeVar("Told", CancelledPreOrder, MovedPreOrder)  # what a household is told about


@registry.register(
    "close_finished_runs",
    Hourly(minute=25),
    catch_up="latest",
    description="Clôture les tournées de l'épicerie mobile terminées depuis quelques heures : "
    "les précommandes remises sortent du stock, les autres retournent en rayon.",
)
def close_finished_runs(period: Period) -> str:
    now = utcnow()
    closed = 0
    for run in run_closing.runs_to_close_automatically(now, AUTO_CLOSE_AFTER, AUTO_CLOSE_LOOKBACK):
        try:
            # One savepoint per run: a run that cannot be settled does not stop the others,
            # and the staff closing it by hand at this moment wins.
            with db.session.begin_nested():
                run_closing.close_run(run, by=None, now=now)
        except (DomainError, IntegrityError) as error:
            logger.warning("Run %d not closed automatically: %s", run.id, error)
            continue
        closed += 1
    return f"{closed} tournée(s) clôturée(s)"


@registry.register(
    "cancel_preorders_of_cancelled_runs",
    Hourly(minute=35),
    catch_up="latest",
    description="Annule les précommandes des tournées annulées (le stock revient en rayon), "
    "prévient les foyers par e-mail et l'équipe de l'épicerie pour les foyers sans compte.",
)
def cancel_preorders_of_cancelled_runs(period: Period) -> str:
    cancelled = [
        run_closing.describe(pre_order)
        for pre_order in run_closing.cancel_preorders_of_cancelled_runs(utcnow())
    ]
    # Committed before anyone is told: an email never announces a cancellation that a later
    # error rolled back. An email that fails is logged, not sent again (at most once).
    db.session.commit()
    _tell(cancelled)
    return f"{len(cancelled)} précommande(s) annulée(s)"


def _tell(cancelled: list[CancelledPreOrder]) -> None:
    if not cancelled:
        return
    groceries = _groceries({item.grocery_id for item in cancelled})
    emailed, to_call = _by_account(cancelled)
    for user, item in emailed:
        _tell_household(user, item, groceries[item.grocery_id])
    for households in to_call:
        _ask_staff_to_phone(
            groceries[households[0].grocery_id],
            households,
            "email/run_cancelled_call_households",
            lambda households=households: ngettext(
                "Tournée du %(date)s annulée : %(num)d foyer à prévenir par téléphone",
                "Tournée du %(date)s annulée : %(num)d foyers à prévenir par téléphone",
                len(households),
                date=format_date(households[0].day, "long"),
            ),
        )


def _tell_household(user: User, item: CancelledPreOrder, grocery: Grocery) -> None:
    _send(
        user,
        "email/preorder_run_cancelled",
        lambda: _(
            "Tournée annulée : votre précommande du %(date)s", date=format_date(item.day, "long")
        ),
        item=item,
        grocery=grocery,
        link=absolute_url("preorders.mine", slug=grocery.slug),
    )


# --- runs moved to another day -----------------------------------------------------------------


@registry.register(
    "tell_households_of_moved_runs",
    Hourly(minute=45),
    catch_up="latest",
    description="Prévient par e-mail les foyers dont la tournée précommandée change de jour, "
    "et l'équipe de l'épicerie pour les foyers sans compte.",
)
def tell_households_of_moved_runs(period: Period) -> str:
    now = utcnow()
    moved = moved_runs.mark_told(moved_runs.preorders_of_moved_runs(now))
    # Marked and committed before anyone is told: a second run never sends the same notice
    # again (at most once; a failed email is logged).
    db.session.commit()
    _tell_moved(moved, now)
    return f"{len(moved)} foyer(s) prévenu(s) d'un changement de jour"


def _tell_moved(moved: list[MovedPreOrder], now: datetime) -> None:
    if not moved:
        return
    groceries = _groceries({item.grocery_id for item in moved})
    emailed, to_call = _by_account(moved)
    for user, item in emailed:
        grocery = groceries[item.grocery_id]
        _send(
            user,
            "email/preorder_run_moved",
            lambda item=item: _(
                "Tournée déplacée : votre précommande passe au %(date)s",
                date=format_date(item.new_day, "long"),
            ),
            item=item,
            grocery=grocery,
            can_change=now < item.cutoff_at,
            link=absolute_url(
                "preorders.mine_order", slug=grocery.slug, run_stop_id=item.run_stop_id
            ),
        )
    for households in to_call:
        _ask_staff_to_phone(
            groceries[households[0].grocery_id],
            households,
            "email/preorder_run_moved_staff",
            lambda households=households: ngettext(
                "Tournée déplacée au %(date)s : %(num)d foyer à prévenir par téléphone",
                "Tournée déplacée au %(date)s : %(num)d foyers à prévenir par téléphone",
                len(households),
                date=format_date(households[0].new_day, "long"),
            ),
        )


# --- shared ------------------------------------------------------------------------------------


def _by_account(items: list[Told]) -> tuple[list[tuple[User, Told]], list[list[Told]]]:
    """The households to email (with their active account), and per run the ones to phone."""
    users = _active_users({item.user_id for item in items if item.user_id})
    emailed: list[tuple[User, Told]] = []
    to_call: dict[int, list[Told]] = defaultdict(list)
    for item in items:
        user = users.get(item.user_id) if item.user_id else None
        if user is None:
            to_call[item.run_id].append(item)
        else:
            emailed.append((user, item))
    return emailed, list(to_call.values())


def _ask_staff_to_phone(
    grocery: Grocery,
    households: list[CancelledPreOrder] | list[MovedPreOrder],
    template: str,
    subject: Callable[[], str],
) -> None:
    """One email per staff member listing a run's households without an account, to call."""
    first = households[0]
    link = absolute_url("grocery_loading.driver_sheet", slug=grocery.slug, run_id=first.run_id)
    households = sorted(households, key=lambda item: (item.village, item.household_name))
    for user in _staff_of(grocery):
        _send(
            user,
            template,
            subject,
            first=first,
            households=households,
            grocery=grocery,
            link=link,
        )


def _active_users(user_ids: set[int]) -> dict[int, User]:
    return {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_(user_ids), User.is_active_account.is_(True))
        )
    }


def _groceries(grocery_ids: set[int]) -> dict[int, Grocery]:
    return {
        grocery.id: grocery
        for grocery in db.session.scalars(select(Grocery).where(Grocery.id.in_(grocery_ids)))
    }


def _staff_of(grocery: Grocery) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == grocery.id,
                Membership.role == Role.GROCERY_STAFF.value,
                User.is_active_account.is_(True),
            )
            .order_by(User.id)
        )
    )


def _send(user: User, template: str, subject: Callable[[], str], **context) -> bool:
    """Send in the person's language; a failure is logged, never raised (the work is done)."""
    try:
        with force_locale(user.language):
            send_email(user.email, subject(), template, user=user, **context)
    except (smtplib.SMTPException, OSError):
        logger.exception("Email %s to user %s failed", template, user.id)
        return False
    return True
