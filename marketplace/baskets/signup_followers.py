"""What more specific domains do once a household's sign-up is committed.

Invoicing is more specific than the contracts (imports flow one way): it registers here what
to do after a sign-up (issue the season's invoice and email it). Callbacks run after the
view's commit; one that fails never undoes nor refuses the sign-up (the nightly job issues
what was missed). Registration happens once per process, from the app factory.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from marketplace.extensions import db

_after_signup: dict[str, Callable[[int], object]] = {}


def register(name: str, callback: Callable[[int], object]) -> None:
    """Add a callback taking the subscription's id; the same name again replaces it."""
    _after_signup[name] = callback


def signed_up(subscription_id: int) -> None:
    for name, callback in _after_signup.items():
        try:
            callback(subscription_id)
        except Exception:  # the sign-up is committed: log it, the nightly jobs catch up
            db.session.rollback()
            current_app.logger.exception("After sign-up %s failed for %s", name, subscription_id)
