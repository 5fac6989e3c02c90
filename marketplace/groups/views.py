"""AMAP group screens: joining and leaving, and the coordinators' screens.

The group's public page brings producers and pickup points together, so it lives in the
territory layer (`territory.group`, same address /groupes/<slug>); the producers who supply the
group are managed in the producers domain (`producers.group_partners`).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.groups.services import group_by_slug, join_group, leave_group
from marketplace.organisations.access import require_role
from marketplace.organisations.forms import ProfileForm
from marketplace.organisations.models import OrganisationKind, Role
from marketplace.organisations.screens import MembersScreen, edit_profile
from marketplace.organisations.services import update_organisation_profile

bp = Blueprint("groups", __name__, url_prefix="/groupes")

# The group's public page (endpoint of the territory layer), where joining and editing lead back.
GROUP_PAGE = "territory.group"


def _group_or_404(slug: str) -> Group:
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    return group


@bp.post("/<slug>/rejoindre")
def join(slug: str):
    group = _group_or_404(slug)
    try:
        join_group(group, current_user._get_current_object())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info")
    else:
        db.session.commit()
        flash(_("Bienvenue dans le groupe %(name)s !", name=group.name), "success")
    return redirect(url_for(GROUP_PAGE, slug=slug))


@bp.post("/<slug>/quitter")
def leave(slug: str):
    group = _group_or_404(slug)
    try:
        leave_group(group, current_user._get_current_object())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Vous avez quitté le groupe %(name)s.", name=group.name), "success")
    return redirect(url_for(GROUP_PAGE, slug=slug))


@bp.route("/<slug>/modifier", methods=["GET", "POST"])
def edit(slug: str):
    group = _group_or_404(slug)
    require_role(group, Role.COORDINATOR)
    form = ProfileForm(obj=group)
    return edit_profile(
        group,
        form,
        save=lambda: update_organisation_profile(group, form.profile()),
        template="groups/edit.html",
        done_endpoint=GROUP_PAGE,
    )


MembersScreen(kind=OrganisationKind.GROUP, template="groups/members.html").register(bp)
