"""What the association owes each producer: the statement (page, CSV, PDF) for the group's
coordinators and for that producer's staff only; payout runs and their SEPA file; the FEC.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace import unique
from marketplace.books import exports, fec, owed, payouts
from marketplace.books.forms import FecForm, PayoutForm
from marketplace.books.models import PayoutRun
from marketplace.books.views import account_page
from marketplace.errors import DomainError
from marketplace.exports import page_or_csv
from marketplace.extensions import db
from marketplace.forms import show_service_error
from marketplace.groups.access import coordinated_group
from marketplace.groups.models import Group
from marketplace.groups.services import group_by_slug
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role
from marketplace.payments.money import format_money
from marketplace.producers.models import Producer, ProducerSuppliesGroup
from marketplace.producers.services import producer_by_slug
from marketplace.timezones import paris_today

bp = Blueprint("producer_books", __name__)


def _period() -> tuple[date, date]:
    """The statement's period from the address (default: this year until today)."""
    today = paris_today()
    try:
        start = date.fromisoformat(request.args.get("start") or f"{today.year}-01-01")
        end = date.fromisoformat(request.args.get("end") or today.isoformat())
    except ValueError:
        abort(400)
    if end < start or start.year < 2000 or end.year > 2100:
        abort(400)
    return start, end


def _supplies(group: Group, producer: Producer) -> None:
    if not db.session.scalar(
        select(ProducerSuppliesGroup.producer_id).where(
            ProducerSuppliesGroup.producer_id == producer.id,
            ProducerSuppliesGroup.group_id == group.id,
        )
    ):
        abort(404)


def _statement_response(group: Group, producer: Producer, audience: str):
    start, end = _period()
    statement = owed.statement(group.id, producer.id, start=start, end=end)
    name = f"releve-{producer.slug}-{group.slug}-{start.isoformat()}-{end.isoformat()}"
    if request.args.get("format") == "pdf":
        pdf = exports.statement_pdf(statement, group_name=group.name, producer_name=producer.name)
        return Response(
            pdf,
            headers={
                "Content-Type": "application/pdf",
                "Content-Disposition": f'attachment; filename="{name}.pdf"',
            },
        )
    return page_or_csv(
        lambda: render_template(
            "books/statement.html",
            group=group,
            producer=producer,
            statement=statement,
            audience=audience,
            kind_labels={kind: label() for kind, label in exports.KIND_LABELS.items()},
        ),
        lambda: exports.statement_csv(statement),
        filename=f"{name}.csv",
        back_label=_("Voir le relevé"),
    )


@bp.get("/groupes/<slug>/gestion/comptabilite/producteurs/<int:producer_id>/releve")
def group_statement(slug: str, producer_id: int):
    group = coordinated_group(slug)
    producer = db.session.get(Producer, producer_id)
    if producer is None or not isinstance(producer, Producer):
        abort(404)
    _supplies(group, producer)
    return _statement_response(group, producer, "group")


@bp.get("/producteurs/<slug>/comptabilite/<group_slug>")
def producer_statement(slug: str, group_slug: str):
    producer = producer_by_slug(slug)
    group = group_by_slug(group_slug)
    if producer is None or group is None:
        abort(404)
    require_role(producer, Role.PRODUCER_STAFF)
    _supplies(group, producer)
    return _statement_response(group, producer, "producer")


@bp.route("/producteurs/<slug>/compte-bancaire", methods=["GET", "POST"])
def producer_bank_account(slug: str):
    """The farm's staff keep the account the groups pay it on."""
    producer = producer_by_slug(slug)
    if producer is None:
        abort(404)
    require_role(producer, Role.PRODUCER_STAFF)
    return account_page(None, producer, url_for("territory.dashboard"))


# --- Payout runs --------------------------------------------------------------------------------


@bp.post("/groupes/<slug>/gestion/comptabilite/reversements")
def make_payouts(slug: str):
    group = coordinated_group(slug)
    form = PayoutForm()
    back = redirect(url_for("books.index", slug=group.slug))
    if not form.validate_on_submit():
        flash(_("La demande n'a pas pu être lue : rechargez la page et recommencez."), "error")
        return back
    try:
        run = payouts.make_run(
            group=group,
            producer_ids=form.chosen_ids(),
            created_by_id=current_user.id,
            today=paris_today(),
        )
        db.session.commit()
    except (DomainError, unique.AlreadyCreatedError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    flash(
        _(
            "Virements préparés (%(total)s) : téléchargez le fichier et déposez-le sur "
            "le site de votre banque.",
            total=format_money(run.total_cents),
        ),
        "success",
    )
    return back


@bp.get("/groupes/<slug>/gestion/comptabilite/reversements/<int:run_id>/fichier")
def payout_file(slug: str, run_id: int):
    group = coordinated_group(slug)
    run = db.session.get(PayoutRun, run_id)
    if run is None or run.group_id != group.id:
        abort(404)
    return Response(
        run.xml.encode("utf-8"),
        headers={
            "Content-Type": "application/xml",
            "Content-Disposition": f'attachment; filename="virements-{group.slug}-{run.id}.xml"',
        },
    )


# --- Accounting export --------------------------------------------------------------------------


@bp.route("/groupes/<slug>/gestion/comptabilite/fec", methods=["GET", "POST"])
def fec_export(slug: str):
    group = coordinated_group(slug)
    form = FecForm(data={"year": paris_today().year - 1} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            siren = fec.checked_siren(form.siren.data)
        except DomainError as error:
            show_service_error(form, error)
        else:
            year = form.year.data
            if form.format.data == "csv":
                return Response(
                    fec.accountant_csv(group.id, year),
                    headers={
                        "Content-Type": "text/csv; charset=utf-8",
                        "Content-Disposition": (
                            f'attachment; filename="ecritures-{group.slug}-{year}.csv"'
                        ),
                    },
                )
            return Response(
                fec.fec_file(group.id, year),
                headers={
                    "Content-Type": "text/plain; charset=iso-8859-15",
                    "Content-Disposition": f'attachment; filename="{fec.file_name(siren, year)}"',
                },
            )
    return render_template("books/fec.html", group=group, form=form)
