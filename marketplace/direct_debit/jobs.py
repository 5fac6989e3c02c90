"""The daily pre-notification of the debits a group collects itself (idempotent: a second
run the same day finds nothing left to notify)."""

from __future__ import annotations

from datetime import time

from marketplace.db import utcnow
from marketplace.direct_debit.notices import send_notices
from marketplace.scheduler.registry import Daily, Period, registry
from marketplace.timezones import paris_today


@registry.register(
    "notify_direct_debits",
    Daily(time(8, 30)),
    catch_up="latest",
    description="Prévient les foyers de chaque prélèvement fait par le groupe, avant qu'il parte.",
)
def notify_direct_debits(period: Period) -> str:
    errors: list[str] = []
    sent = send_notices(paris_today(), utcnow(), errors)
    return "\n".join([f"{sent} pré-notification(s) envoyée(s)", *errors])
