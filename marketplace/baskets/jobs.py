"""Scheduled jobs of the baskets domain: the waiting list's offers and their expiry, and
seasons kept whole (`plan_seasons`).

Both work from the present state, not from the period: a run after downtime does everything
still due (catch_up="latest"), and a second run finds nothing left to do.
"""

from __future__ import annotations

from datetime import time

from marketplace.baskets import waiting_list
from marketplace.baskets.seasons import plan_seasons
from marketplace.db import utcnow
from marketplace.scheduler.registry import Daily, Hourly, Period, registry


@registry.register(
    "expire_waiting_list_offers",
    Hourly(minute=5),
    catch_up="latest",
    description="Clôt les places proposées sur liste d'attente et restées sans réponse.",
)
def expire_waiting_list_offers(period: Period) -> str:
    expired = waiting_list.expire_offers(utcnow())
    return f"{len(expired)} proposition(s) expirée(s)"


@registry.register(
    "offer_waiting_list_places",
    Hourly(minute=10),
    catch_up="latest",
    description="Propose chaque place libérée au premier foyer de la liste d'attente.",
)
def offer_waiting_list_places(period: Period) -> str:
    offered = waiting_list.offer_free_places(utcnow())
    return f"{len(offered)} place(s) proposée(s)"


@registry.register(
    "plan_seasons",
    Daily(time(3, 30)),
    catch_up="latest",
    description=(
        "Donne à chaque abonnement une livraison par distribution de sa saison : jours "
        "ajoutés facturés, jours annulés reportés ou crédités."
    ),
)
def plan_whole_seasons(period: Period) -> str:
    """After the night's calendar run: every live subscription in line with its season.

    Idempotent: a second run finds every delivery in place and changes nothing.
    """
    return str(plan_seasons(utcnow()))
