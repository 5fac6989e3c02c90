"""The producer's harvest list, packing list and delivery sheet for a group's date.

Each list is a printable page and, with `?format=csv`, a spreadsheet file. Only the producer's
staff (and site administrators) see them: they name the households.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.exports import page_or_csv
from marketplace.extensions import db
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role
from marketplace.producers.models import Producer
from marketplace.shop.lists import (
    ListContext,
    delivery_sheet,
    harvest_list,
    list_context,
    list_dates,
    packing_list,
)
from marketplace.shop.lists_csv import harvest_csv, household_label, packing_csv, sheet_csv
from marketplace.timezones import paris_today

bp = Blueprint("producer_lists", __name__, url_prefix="/producteurs/<int:producer_id>/listes")


def staff_producer(producer_id: int) -> Producer:
    """The producer, for its own staff only (404 if unknown, 403 for anyone else)."""
    producer = db.session.scalar(select(Producer).where(Producer.id == producer_id))
    if producer is None:
        abort(404)
    require_role(producer, Role.PRODUCER_STAFF)
    return producer


@bp.get("/")
def index(producer_id: int):
    producer = staff_producer(producer_id)
    now = datetime.now(UTC)
    return render_template(
        "shop/lists/index.html",
        producer=producer,
        dates=list_dates(producer.id, today=paris_today(now)),
        now=now,
    )


@bp.get("/<int:group_id>/<day>/recolte")
def harvest(producer_id: int, group_id: int, day: str):
    producer, context = _context(producer_id, group_id, day)
    harvest = harvest_list(context)
    return _respond(
        producer,
        context,
        "harvest",
        lambda: harvest_csv(harvest),
        harvest=harvest,
    )


@bp.get("/<int:group_id>/<day>/colisage")
def packing(producer_id: int, group_id: int, day: str):
    producer, context = _context(producer_id, group_id, day)
    points = packing_list(context)
    return _respond(
        producer,
        context,
        "packing",
        lambda: packing_csv(points),
        points=points,
        household_label=household_label,
    )


@bp.get("/<int:group_id>/<day>/feuille-de-livraison")
def sheet(producer_id: int, group_id: int, day: str):
    producer, context = _context(producer_id, group_id, day)
    sheets = delivery_sheet(context)
    return _respond(producer, context, "sheet", lambda: sheet_csv(sheets), sheets=sheets)


FILE_NAMES = {"harvest": "recolte", "packing": "colisage", "sheet": "feuille-de-livraison"}


def _context(producer_id: int, group_id: int, day: str) -> tuple[Producer, ListContext]:
    producer = staff_producer(producer_id)
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        abort(404)
    context = list_context(producer.id, group_id, chosen)
    if context is None:
        abort(404)
    return producer, context


def _respond(producer: Producer, context: ListContext, kind: str, make_csv, **values):
    address = {"producer_id": producer.id, "group_id": context.group.id, "day": context.day}
    return page_or_csv(
        lambda: render_template(
            f"shop/lists/{kind}.html",
            producer=producer,
            context=context,
            kind=kind,
            address=address,
            provisional=context.is_provisional(datetime.now(UTC)),
            csv_url=url_for(request.endpoint, **address, format="csv"),
            **values,
        ),
        make_csv,
        filename=f"{FILE_NAMES[kind]}-{context.group.slug}-{context.day.isoformat()}.csv",
        back_label=_("Voir la liste"),
    )
