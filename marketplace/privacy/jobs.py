"""The nightly privacy job: idle accounts anonymised, old names and sign-in links forgotten."""

from __future__ import annotations

from datetime import time

from marketplace.accounts.login_links import forget_old_links
from marketplace.db import utcnow
from marketplace.privacy.inactive import anonymise_idle_accounts, forget_former_names
from marketplace.scheduler.registry import Daily, Period, registry


@registry.register(
    "anonymise_idle_accounts",
    Daily(time(4, 15)),
    catch_up="latest",
    description="Anonymise les comptes sans connexion depuis ACCOUNT_INACTIVE_DAYS (jamais ceux "
    "qui ont des engagements en cours) et oublie les liens de connexion expirés.",
)
def anonymise_idle_accounts_job(period: Period) -> str:
    now = utcnow()
    outcome = anonymise_idle_accounts(now)
    forget_former_names(now)
    forgotten = forget_old_links()
    return f"{outcome.summary()} ; {forgotten} lien(s) de connexion oublié(s)"
