"""Scheduled jobs of card payments: charging due installments, reminding households.

Both work from the present state, not from the period (catch_up="latest"): a run after
downtime charges and reminds everything still due, and a second run finds nothing left.
"""

from __future__ import annotations

from datetime import time

from marketplace.cards.charging import charge_due_installments
from marketplace.cards.reminders import send_due_reminders
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.scheduler.registry import Daily, Period, registry
from marketplace.timezones import paris_today


class ChargeRunIncomplete(Exception):  # noqa: N818 - reads as the run's outcome
    """Some installments could not be charged in this run (Stripe unreachable, an error)."""


@registry.register(
    "charge_due_installments",
    Daily(time(7, 0)),
    catch_up="latest",
    description="Prélève les échéances dues par carte ou SEPA et relance les paiements refusés.",
)
def charge_installments(period: Period) -> str:
    # Each attempt is committed before and after its Stripe call (see charging.py).
    summary = charge_due_installments(paris_today(), now=utcnow(), commit=db.session.commit)
    if not summary.complete:
        # What was charged is committed; the run is recorded as failed so that the
        # scheduler's retry tick runs it again later today (same rows, same keys).
        raise ChargeRunIncomplete(str(summary))
    return str(summary)


@registry.register(
    "remind_installments_due",
    Daily(time(9, 0)),
    catch_up="latest",
    description="Rappelle aux foyers les échéances qui arrivent dans trois jours.",
)
def remind_installments_due(period: Period) -> str:
    errors: list[str] = []
    sent = send_due_reminders(paris_today(), utcnow(), errors)
    return "\n".join([f"{sent} rappel(s) envoyé(s)", *errors])
