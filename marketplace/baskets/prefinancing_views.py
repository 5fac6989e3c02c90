"""Prefinancing statement screens: a farm's offers in every group, or a group's offers.

Each page is also a CSV file (`?format=csv`) for the farm's or the group's accounts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from marketplace.baskets.prefinancing import (
    PrefinancingStatement,
    group_statement,
    producer_statement,
    statement_csv,
)
from marketplace.exports import page_or_csv
from marketplace.groups.services import group_by_slug
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Organisation, Role
from marketplace.producers.services import producer_by_slug

# No URL prefix: a farm's statement lives under /producteurs, a group's under /groupes/.../gestion.
bp = Blueprint("prefinancing", __name__)


@bp.get("/producteurs/<slug>/prefinancement")
def index(slug: str):
    producer = producer_by_slug(slug)
    if producer is None:
        abort(404)
    require_role(producer, Role.PRODUCER_STAFF)
    return _respond(producer, producer_statement(producer.id, now=datetime.now(UTC)), "producer")


@bp.get("/groupes/<slug>/gestion/prefinancement")
def group(slug: str):
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    require_role(group, Role.COORDINATOR)
    return _respond(group, group_statement(group.id, now=datetime.now(UTC)), "group")


def _respond(owner: Organisation, statement: PrefinancingStatement, audience: str):
    return page_or_csv(
        lambda: render_template(
            "baskets/prefinancing/statement.html",
            owner=owner,
            statement=statement,
            audience=audience,
            csv_url=url_for(request.endpoint, slug=owner.slug, format="csv"),
        ),
        lambda: statement_csv(statement),
        filename=f"prefinancement-{owner.slug}.csv",
        back_label=_("Voir le relevé de préfinancement"),
    )
