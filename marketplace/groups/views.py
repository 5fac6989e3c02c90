"""AMAP group pages: the public page, joining and leaving, and the coordinators' screens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.delivery.models import PickupPoint
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.forms import LinkProducerForm, UnlinkProducerForm
from marketplace.groups.models import Group
from marketplace.groups.services import group_by_slug, join_group, leave_group
from marketplace.organisations.access import require_role
from marketplace.organisations.forms import ProfileForm
from marketplace.organisations.models import OrganisationKind, Role
from marketplace.organisations.screens import MembersScreen, edit_profile, form_error
from marketplace.organisations.services import roles_held, update_organisation_profile
from marketplace.producers.services import (
    link_producer,
    producer_by_id,
    producers_not_supplying,
    producers_supplying,
    unlink_producer,
)
from marketplace.security import public

bp = Blueprint("groups", __name__, url_prefix="/groups")


def _group_or_404(slug: str) -> Group:
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    return group


@bp.get("/<slug>")
@public
def detail(slug: str):
    group = _group_or_404(slug)
    pickup_points = db.session.scalars(
        select(PickupPoint)
        .where(PickupPoint.group_id == group.id, PickupPoint.active.is_(True))
        .order_by(PickupPoint.name)
    ).all()
    roles = roles_held(group, current_user)
    return render_template(
        "groups/detail.html",
        group=group,
        producers=producers_supplying(group),
        pickup_points=pickup_points,
        roles=roles,
        can_manage=current_user.is_authenticated
        and (current_user.is_admin or Role.COORDINATOR.value in roles),
    )


@bp.post("/<slug>/join")
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
    return redirect(url_for(".detail", slug=slug))


@bp.post("/<slug>/leave")
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
    return redirect(url_for(".detail", slug=slug))


@bp.route("/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    group = _group_or_404(slug)
    require_role(group, Role.COORDINATOR)
    form = ProfileForm(obj=group)
    return edit_profile(
        group,
        form,
        save=lambda: update_organisation_profile(group, form.profile()),
        template="groups/edit.html",
        done_endpoint=".detail",
    )


def _producer_links(group: Group) -> dict[str, Any]:
    available = producers_not_supplying(group)
    return {
        "producers": producers_supplying(group),
        "link_form": LinkProducerForm(available, formdata=None),
    }


members_screen = MembersScreen(
    kind=OrganisationKind.GROUP, template="groups/members.html", extra_context=_producer_links
)
members_screen.register(bp)


@bp.post("/<slug>/manage/producers")
def add_producer(slug: str):
    group = members_screen.load(slug)
    form = LinkProducerForm(producers_not_supplying(group))
    if form.validate_on_submit():
        try:
            producer = producer_by_id(form.producer_id.data)
            link_producer(group, producer)
        except DomainError as error:
            db.session.rollback()
            form_error(form, error, "producer_id")
        else:
            db.session.commit()
            flash(_("%(name)s livre maintenant ce groupe.", name=producer.name), "success")
            return redirect(url_for(".members", slug=slug))
    return members_screen.render(group, link_form=form)


@bp.post("/<slug>/manage/producers/remove")
def remove_producer(slug: str):
    group = members_screen.load(slug)
    form = UnlinkProducerForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(_("Demande incomplète : rechargez la page et réessayez."))
        producer = producer_by_id(form.producer_id.data)
        unlink_producer(group, producer)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s ne livre plus ce groupe.", name=producer.name), "success")
    return redirect(url_for(".members", slug=slug))
