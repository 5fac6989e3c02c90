"""Solidarity grocery pages: the public page, and the grocery team's screens."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from marketplace.groceries.access import grocery_for_staff, grocery_or_404
from marketplace.organisations.access import has_role
from marketplace.organisations.forms import ProfileForm
from marketplace.organisations.models import OrganisationKind, Role
from marketplace.organisations.screens import MembersScreen, edit_profile
from marketplace.organisations.services import update_organisation_profile
from marketplace.security import public

bp = Blueprint("groceries", __name__, url_prefix="/epiceries")


@bp.get("/<slug>")
@public
def detail(slug: str):
    grocery = grocery_or_404(slug)
    return render_template(
        "groceries/detail.html",
        grocery=grocery,
        can_manage=has_role(current_user, grocery, Role.GROCERY_STAFF),
    )


@bp.route("/<slug>/modifier", methods=["GET", "POST"])
def edit(slug: str):
    grocery = grocery_for_staff(slug)
    form = ProfileForm(obj=grocery)
    return edit_profile(
        grocery,
        form,
        save=lambda: update_organisation_profile(grocery, form.profile()),
        template="groceries/edit.html",
        done_endpoint=".detail",
    )


MembersScreen(kind=OrganisationKind.GROCERY, template="groceries/members.html").register(bp)
