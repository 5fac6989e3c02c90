"""Producer pages: the public farm page, the farm team's screens, and the screen where a group's
coordinators choose the producers who supply their group."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import show_service_error
from marketplace.groups.models import Group
from marketplace.groups.services import group_by_slug
from marketplace.organisations.access import has_role, require_role
from marketplace.organisations.models import OrganisationKind, Role
from marketplace.organisations.screens import MembersScreen, edit_profile
from marketplace.producers.forms import LinkProducerForm, ProducerProfileForm, UnlinkProducerForm
from marketplace.producers.models import Producer
from marketplace.producers.services import (
    link_producer,
    producer_by_id,
    producer_by_slug,
    producers_not_supplying,
    producers_supplying,
    unlink_producer,
    update_producer_profile,
)
from marketplace.security import public

# No URL prefix: a farm's pages live under /producteurs, and a group's partnerships are reached
# from the group, under /groupes/<slug>/gestion/producteurs.
bp = Blueprint("producers", __name__)


def _producer_or_404(slug: str, *, with_groups: bool = False) -> Producer:
    producer = producer_by_slug(slug, with_groups=with_groups)
    if producer is None:
        abort(404)
    return producer


@bp.get("/producteurs/<slug>")
@public
def detail(slug: str):
    producer = _producer_or_404(slug, with_groups=True)
    return render_template(
        "producers/detail.html",
        producer=producer,
        can_manage=has_role(current_user, producer, Role.PRODUCER_STAFF),
    )


@bp.route("/producteurs/<slug>/modifier", methods=["GET", "POST"])
def edit(slug: str):
    producer = _producer_or_404(slug)
    require_role(producer, Role.PRODUCER_STAFF)
    form = ProducerProfileForm(obj=producer)
    return edit_profile(
        producer,
        form,
        save=lambda: update_producer_profile(
            producer,
            form.profile(),
            trade=form.trade.data,
            label_codes=form.label_codes.data or [],
        ),
        template="producers/edit.html",
        done_endpoint=".detail",
    )


MembersScreen(kind=OrganisationKind.PRODUCER, template="producers/members.html").register(
    bp, prefix="/producteurs"
)


def _managed_group(slug: str) -> Group:
    """The group, if the current person coordinates it (404 unknown, 403 refused)."""
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    require_role(group, Role.COORDINATOR)
    return group


def _render_partners(group: Group, link_form: LinkProducerForm | None = None) -> str:
    if link_form is None:
        link_form = LinkProducerForm(producers_not_supplying(group), formdata=None)
    return render_template(
        "producers/group_partners.html",
        group=group,
        producers=producers_supplying(group),
        link_form=link_form,
    )


@bp.get("/groupes/<slug>/gestion/producteurs")
def group_partners(slug: str):
    return _render_partners(_managed_group(slug))


@bp.post("/groupes/<slug>/gestion/producteurs/ajouter")
def link_group(slug: str):
    group = _managed_group(slug)
    form = LinkProducerForm(producers_not_supplying(group))
    if form.validate_on_submit():
        try:
            producer = producer_by_id(form.producer_id.data)
            link_producer(group, producer)
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "producer_id")
        else:
            db.session.commit()
            flash(_("%(name)s livre maintenant ce groupe.", name=producer.name), "success")
            return redirect(url_for(".group_partners", slug=slug))
    return _render_partners(group, form)


@bp.post("/groupes/<slug>/gestion/producteurs/retirer")
def unlink_group(slug: str):
    group = _managed_group(slug)
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
    return redirect(url_for(".group_partners", slug=slug))
