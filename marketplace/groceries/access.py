"""The grocery a page's URL names: 404 when there is none, 403 for anyone but its staff.

Every grocery page (profile, routes, beneficiaries, stock, pre-orders, purchases, loading
lists) starts from its slug the same way.
"""

from __future__ import annotations

from flask import abort

from marketplace.groceries.models import Grocery
from marketplace.groceries.services import grocery_by_slug
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role


def grocery_or_404(slug: str) -> Grocery:
    grocery = grocery_by_slug(slug)
    if grocery is None:
        abort(404)
    return grocery


def grocery_for_staff(slug: str) -> Grocery:
    """The grocery, for its staff and site administrators only."""
    grocery = grocery_or_404(slug)
    require_role(grocery, Role.GROCERY_STAFF)
    return grocery
