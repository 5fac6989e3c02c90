"""The hourly job that issues any missing document (a failed issue, a closed order window)."""

from __future__ import annotations

from marketplace.db import utcnow
from marketplace.invoicing.sending import issue_missing, send_all
from marketplace.scheduler.registry import Hourly, Period, registry
from marketplace.timezones import paris_today


@registry.register(
    "issue_missing_documents",
    Hourly(minute=20),
    catch_up="latest",
    description=(
        "Émet les factures et avoirs qui manquent (commandes closes, corrections de saison, "
        "émissions échouées) et les envoie aux foyers."
    ),
)
def issue_missing_documents(period: Period) -> str:
    """Idempotent: a second run finds every document issued and issues nothing."""
    now = utcnow()
    outcome = issue_missing(paris_today(now), now)
    sent = send_all(outcome.issued)
    return f"{len(outcome.issued)} document(s) émis, {sent} envoyé(s), {outcome.failed} échec(s)"
