"""The scheduled job of memberships: renewal reminders.

It works from the present state, not from the period: a run after downtime sends what is
due (catch_up="latest"), and a second run finds nothing left to send.
"""

from __future__ import annotations

from datetime import time

from marketplace.db import utcnow
from marketplace.membership import reminders
from marketplace.scheduler.registry import Daily, Period, registry
from marketplace.timezones import paris_today


@registry.register(
    "remind_membership_renewals",
    Daily(time(10, 30)),
    catch_up="latest",
    description="Rappelle aux adhérent·es que leur adhésion arrive à échéance.",
)
def remind_membership_renewals(period: Period) -> str:
    now = utcnow()
    sent = reminders.send_renewal_reminders(paris_today(now), now)
    return f"{sent} rappel(s) envoyé(s)"
