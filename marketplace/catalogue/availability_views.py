"""The producer's weekly availability: the groups it supplies, and one grid per group
(products × the coming weeks) published in one form."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.catalogue import queries
from marketplace.catalogue.availability import copy_previous_date, publish_cells
from marketplace.catalogue.forms import CopyDateForm
from marketplace.catalogue.grid import Grid, build_grid, parse_grid
from marketplace.catalogue.views import bp, managed_producer
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm
from marketplace.groups.models import Group
from marketplace.producers.models import Producer
from marketplace.timezones import paris_today

AVAILABILITY = "/producteurs/<slug>/disponibilites"
DEFAULT_WEEKS = 4
MAX_WEEKS = 8


def _supplied_group(producer: Producer, group_slug: str) -> Group:
    group = queries.supplied_group_by_slug(producer.id, group_slug)
    if group is None:
        exists = db.session.scalar(select(Group.id).where(Group.slug == group_slug))
        abort(403 if exists else 404)  # a group the farm does not supply is refused
    return group


def _weeks() -> int:
    weeks = request.args.get("weeks", type=int) or DEFAULT_WEEKS
    return min(max(weeks, 1), MAX_WEEKS)


def _grid(producer: Producer, group: Group, weeks: int, formdata=None, errors=None) -> Grid:
    now = utcnow()
    until = paris_today(now) + timedelta(weeks=weeks)
    dates = [
        coming for coming in queries.coming_dates(producer.id, group.id, now) if coming.day < until
    ]
    products = queries.catalogue_products(producer.id)
    rows = queries.availabilities_for(producer.id, group.id, [coming.day for coming in dates])
    return build_grid(products, dates, rows, formdata, errors)


def _render(producer: Producer, group: Group, grid: Grid, weeks: int):
    copy_form = CopyDateForm(formdata=None)
    copy_form.day.choices = [
        (coming.day.isoformat(), format_date(coming.day, "full")) for coming in grid.editable_dates
    ]
    return render_template(
        "catalogue/grid.html",
        producer=producer,
        group=group,
        grid=grid,
        weeks=weeks,
        max_weeks=MAX_WEEKS,
        copy_form=copy_form,
        confirm=ConfirmForm(formdata=None),
    )


@bp.get(AVAILABILITY)
def availability(slug: str):
    producer = managed_producer(slug)
    return render_template(
        "catalogue/availability.html",
        producer=producer,
        groups=queries.supplied_groups(producer.id),
    )


@bp.route(f"{AVAILABILITY}/<group_slug>", methods=["GET", "POST"])
def grid(slug: str, group_slug: str):
    producer = managed_producer(slug)
    group = _supplied_group(producer, group_slug)
    weeks = _weeks()
    if request.method == "GET":
        return _render(producer, group, _grid(producer, group, weeks), weeks)
    if not ConfirmForm().validate_on_submit():
        flash(_("Demande incomplète : rechargez la page et réessayez."), "error")
        return redirect(url_for(".grid", slug=slug, group_slug=group_slug, weeks=weeks))
    units = {product.id: product.unit for product in queries.catalogue_products(producer.id)}
    changes, errors, form_errors = parse_grid(request.form, units)
    if not errors and not form_errors:
        try:
            result = publish_cells(producer, group, changes, utcnow())
        except DomainError as error:
            db.session.rollback()
            if error.field:
                errors = {error.field: [error.message]}
            else:
                form_errors = [error.message]
        else:
            db.session.commit()
            flash(_published_message(result.published, result.withdrawn), "success")
            return redirect(url_for(".grid", slug=slug, group_slug=group_slug, weeks=weeks))
    grid_view = _grid(producer, group, weeks, request.form, errors)
    grid_view.form_errors = form_errors
    cell_errors_hidden = set(errors) - {cell.key for row in grid_view.rows for cell in row.cells}
    if cell_errors_hidden:  # an error about a cell not on screen (tampered or stale form)
        grid_view.form_errors += [message for key in cell_errors_hidden for message in errors[key]]
    return _render(producer, group, grid_view, weeks), 422


def _published_message(published: int, withdrawn: int) -> str:
    if not published and not withdrawn:
        return _("Rien n'a changé.")
    parts = []
    if published:
        parts.append(
            ngettext("%(num)d disponibilité publiée", "%(num)d disponibilités publiées", published)
        )
    if withdrawn:
        parts.append(ngettext("%(num)d produit retiré", "%(num)d produits retirés", withdrawn))
    return ", ".join(parts) + "."


@bp.post(f"{AVAILABILITY}/<group_slug>/copier")
def copy_date(slug: str, group_slug: str):
    producer = managed_producer(slug)
    group = _supplied_group(producer, group_slug)
    weeks = _weeks()
    form = CopyDateForm()
    back = url_for(".grid", slug=slug, group_slug=group_slug, weeks=weeks)
    try:
        if not form.validate_on_submit():
            raise DomainError(_("Demande incomplète : rechargez la page et réessayez."))
        try:
            day = date.fromisoformat(form.day.data or "")
        except ValueError as error:
            raise DomainError(_("Choisissez une date dans la liste.")) from error
        result = copy_previous_date(producer, group, day, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d produit copié du %(source)s vers le %(target)s.",
            "%(num)d produits copiés du %(source)s vers le %(target)s.",
            result.copied,
            source=format_date(result.source_day, "long"),
            target=format_date(day, "long"),
        )
        + (
            " "
            + ngettext(
                "%(num)d déjà proposé ce jour-là, laissé tel quel.",
                "%(num)d déjà proposés ce jour-là, laissés tels quels.",
                result.kept,
            )
            if result.kept
            else ""
        ),
        "success",
    )
    return redirect(back)
