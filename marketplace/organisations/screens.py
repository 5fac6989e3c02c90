"""Screens shared by groups, producers and groceries: one implementation for the three kinds.

- The "people and roles" screen: `MembersScreen(...).register(bp)` adds the endpoints
  `<blueprint>.members`, `<blueprint>.add_member_role` and `<blueprint>.remove_member_role`
  under `/<slug>/gestion/membres`.
- `edit_profile(...)`: the body of each kind's "edit the profile" view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import show_service_error
from marketplace.labels import role_label
from marketplace.organisations.access import require_role
from marketplace.organisations.forms import AddRoleForm, RemoveRoleForm
from marketplace.organisations.models import Organisation, OrganisationKind
from marketplace.organisations.services import (
    add_role,
    manager_role,
    organisation_by_slug,
    people_with_roles,
    remove_role,
    user_by_email,
)

MAX_SEARCH_LENGTH = 100


def edit_profile(
    organisation: Organisation,
    form: FlaskForm,
    *,
    save: Callable[[], None],
    template: str,
    done_endpoint: str,
):
    """Validate `form`, call `save` (a service call) and commit, or show the form's errors."""
    if form.validate_on_submit():
        try:
            save()
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Les informations ont été enregistrées."), "success")
            return redirect(url_for(done_endpoint, slug=organisation.slug))
    return render_template(template, organisation=organisation, form=form)


@dataclass(frozen=True)
class MembersScreen:
    kind: OrganisationKind
    template: str

    def register(self, bp: Blueprint, prefix: str = "") -> None:
        """Add the screen's routes to `bp`, under `prefix` + /<slug>/gestion/membres."""
        base = f"{prefix}/<slug>/gestion/membres"
        bp.add_url_rule(base, "members", self.show, methods=["GET"])
        bp.add_url_rule(f"{base}/ajouter", "add_member_role", self.add, methods=["POST"])
        bp.add_url_rule(f"{base}/retirer", "remove_member_role", self.remove, methods=["POST"])

    def load(self, slug: str) -> Organisation:
        """The organisation, if the current person may manage it (404 unknown, 403 refused)."""
        organisation = organisation_by_slug(self.kind, slug)
        if organisation is None:
            abort(404)
        require_role(organisation, manager_role(organisation))
        return organisation

    def render(self, organisation: Organisation, **overrides: Any) -> str:
        search = request.args.get("q", "").strip()[:MAX_SEARCH_LENGTH]
        context: dict[str, Any] = {
            "organisation": organisation,
            "people": people_with_roles(organisation, search),
            "search": search,
            "add_form": AddRoleForm(organisation, formdata=None),
            "remove_form": RemoveRoleForm(formdata=None),
            "blueprint": request.blueprint,
            "manager_role": manager_role(organisation).value,
        }
        context.update(overrides)
        return render_template(self.template, **context)

    def show(self, slug: str):
        return self.render(self.load(slug))

    def add(self, slug: str):
        organisation = self.load(slug)
        form = AddRoleForm(organisation)
        if form.validate_on_submit():
            try:
                user = user_by_email(form.email.data)
                add_role(organisation, user, form.role.data)
            except DomainError as error:
                db.session.rollback()
                show_service_error(form, error, "email")
            else:
                db.session.commit()
                flash(
                    _(
                        "%(name)s a maintenant le rôle « %(role)s ».",
                        name=user.name,
                        role=role_label(form.role.data),
                    ),
                    "success",
                )
                return redirect(url_for(".members", slug=slug))
        return self.render(organisation, add_form=form)

    def remove(self, slug: str):
        organisation = self.load(slug)
        form = RemoveRoleForm()
        if not form.validate_on_submit():
            flash(_("Demande incomplète : rechargez la page et réessayez."), "error")
            return redirect(url_for(".members", slug=slug))
        user = db.session.scalar(select(User).where(User.id == int(form.user_id.data)))
        if user is None:
            flash(_("Cette personne est introuvable : rechargez la page et réessayez."), "error")
            return redirect(url_for(".members", slug=slug))
        try:
            remove_role(organisation, user, form.role.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(
                _(
                    "Le rôle « %(role)s » de %(name)s a été retiré.",
                    role=role_label(form.role.data),
                    name=user.name,
                ),
                "success",
            )
        return redirect(url_for(".members", slug=slug))
