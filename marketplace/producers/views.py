"""Producer pages: the public farm page, and the farm team's screens."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from marketplace.organisations.access import has_role, require_role
from marketplace.organisations.models import OrganisationKind, Role
from marketplace.organisations.screens import MembersScreen, edit_profile
from marketplace.producers.forms import ProducerProfileForm
from marketplace.producers.models import Producer
from marketplace.producers.services import producer_by_slug, update_producer_profile
from marketplace.security import public

bp = Blueprint("producers", __name__, url_prefix="/producers")


def _producer_or_404(slug: str, *, with_groups: bool = False) -> Producer:
    producer = producer_by_slug(slug, with_groups=with_groups)
    if producer is None:
        abort(404)
    return producer


@bp.get("/<slug>")
@public
def detail(slug: str):
    producer = _producer_or_404(slug, with_groups=True)
    return render_template(
        "producers/detail.html",
        producer=producer,
        can_manage=has_role(current_user, producer, Role.PRODUCER_STAFF),
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
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


MembersScreen(kind=OrganisationKind.PRODUCER, template="producers/members.html").register(bp)
