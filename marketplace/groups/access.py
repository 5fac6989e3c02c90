"""Opening a group's page for the people who run it: one check every coordinators' view uses."""

from __future__ import annotations

from flask import abort

from marketplace.groups.models import Group
from marketplace.groups.services import group_by_slug
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role


def coordinated_group(slug: str) -> Group:
    """The group named by `slug` (404 if there is none), for its coordinators (403 for others;
    a site administrator holds every role)."""
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    require_role(group, Role.COORDINATOR)
    return group
