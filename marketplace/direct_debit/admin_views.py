"""The coordinators' direct debits: creditor settings, batches (pain.008 files), returns,
and the bank statement import with its unmatched lines. Coordinators of the group only."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.db import utcnow
from marketplace.direct_debit import batches, mandates, reconcile, statements
from marketplace.direct_debit.forms import (
    BatchForm,
    MatchForm,
    ReturnForm,
    SettingsForm,
    StatementForm,
)
from marketplace.direct_debit.queries import batch_items, unpaid_choices
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.groups.access import coordinated_group
from marketplace.timezones import paris_today

bp = Blueprint("direct_debit_admin", __name__, url_prefix="/groupes/<slug>/gestion/prelevements")


@bp.route("/reglages", methods=["GET", "POST"])
def settings(slug: str):
    group = coordinated_group(slug)
    current = mandates.settings_of(group.id)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        try:
            mandates.save_settings(
                group,
                mandates.SettingsData(
                    creditor_id=form.creditor_id.data,
                    creditor_name=form.creditor_name.data,
                    iban=form.iban.data,
                    bic=form.bic.data or "",
                    notice_days=form.notice_days.data,
                ),
            )
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Les réglages du prélèvement sont enregistrés."), "success")
            return redirect(url_for(".batches", slug=slug))
    return render_template("direct_debit/settings.html", group=group, form=form)


@bp.get("/lots", endpoint="batches")
def batches_view(slug: str):
    group = coordinated_group(slug)
    return render_template(
        "direct_debit/batches.html",
        group=group,
        settings=mandates.settings_of(group.id),
        due=batches.due_debits(group.id, paris_today()),
        batches=batches.batches_of(group.id),
        form=BatchForm(),
    )


@bp.post("/lots/nouveau")
def build(slug: str):
    group = coordinated_group(slug)
    settings = mandates.settings_of(group.id)
    form = BatchForm()
    if settings is None or not form.validate_on_submit() or not form.request_key.data:
        abort(400)
    try:
        batch = batches.build_batch(
            group_id=group.id,
            settings=settings,
            request_key=form.request_key.data,
            created_by_id=current_user.id,
            today=paris_today(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".batches", slug=slug))
    db.session.commit()
    flash(
        _("Le fichier de prélèvements est prêt : téléchargez-le et déposez-le à la banque."),
        "success",
    )
    return redirect(url_for(".batch", slug=slug, batch_id=batch.id))


def _batch_or_404(group, batch_id: int):
    found = batches.group_batch(group.id, batch_id)
    if found is None:
        abort(404)
    return found


@bp.get("/lots/<int:batch_id>")
def batch(slug: str, batch_id: int):
    group = coordinated_group(slug)
    found = _batch_or_404(group, batch_id)
    return render_template(
        "direct_debit/batch.html",
        group=group,
        batch=found,
        items=batch_items(found.id),
        confirm=ConfirmForm(),
        return_form=ReturnForm(),
    )


@bp.get("/lots/<int:batch_id>/pain008.xml")
def batch_file(slug: str, batch_id: int):
    group = coordinated_group(slug)
    found = _batch_or_404(group, batch_id)
    return Response(
        found.xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{found.reference}.xml"'},
    )


@bp.post("/lots/<int:batch_id>/encaisse")
def collected(slug: str, batch_id: int):
    group = coordinated_group(slug)
    found = _batch_or_404(group, batch_id)
    if ConfirmForm().validate_on_submit():
        batches.collect(found, today=paris_today(), now=utcnow())
        db.session.commit()
        flash(_("Le lot est encaissé : chaque échéance est payée."), "success")
    return redirect(url_for(".batch", slug=slug, batch_id=batch_id))


@bp.post("/lignes/<int:item_id>/rejet")
def returned(slug: str, item_id: int):
    group = coordinated_group(slug)
    item = batches.group_item(group.id, item_id)
    if item is None:
        abort(404)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            batches.record_return(item, code=form.code.data, today=paris_today())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(
                _("Le rejet est enregistré : le foyer et les coordinateurs sont prévenus."),
                "success",
            )
    return redirect(url_for(".batch", slug=slug, batch_id=item.batch_id))


@bp.route("/releves", methods=["GET", "POST"])
def statement(slug: str):
    group = coordinated_group(slug)
    form = StatementForm()
    if form.validate_on_submit():
        upload = request.files.get("statement")
        data = upload.stream.read(statements.MAX_STATEMENT_BYTES + 1) if upload else b""
        try:
            parsed = statements.parse(data, (upload.filename or "") if upload else "")
            outcome = reconcile.import_lines(
                group, parsed, by_id=current_user.id, today=paris_today(), now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, default_field="statement")
        else:
            db.session.commit()
            flash(
                _(
                    "Relevé importé. Opérations nouvelles : %(new)d, dont rapprochées : "
                    "%(matched)d ; déjà importées : %(already)d.",
                    new=outcome.new,
                    matched=outcome.matched,
                    already=outcome.already,
                ),
                "success",
            )
            return redirect(url_for(".statement", slug=slug))
    lines = reconcile.unmatched(group.id)
    return render_template(
        "direct_debit/statement.html",
        group=group,
        form=form,
        lines=lines,
        choices=unpaid_choices(group.id),
        confirm=ConfirmForm(),
    )


@bp.post("/releves/lignes/<int:line_id>/rapprocher")
def match(slug: str, line_id: int):
    group = coordinated_group(slug)
    line = reconcile.group_line(group.id, line_id)
    if line is None:
        abort(404)
    form = MatchForm()
    form.installment_id.choices = [(choice.id, "") for choice in unpaid_choices(group.id)]
    if not form.validate_on_submit():
        flash(_("Choisissez l'échéance que cette ligne paie."), "error")
        return redirect(url_for(".statement", slug=slug))
    try:
        reconcile.match_by_hand(
            group.id,
            line,
            form.installment_id.data,
            by_id=current_user.id,
            today=paris_today(),
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("La ligne est rapprochée : l'échéance est payée."), "success")
    return redirect(url_for(".statement", slug=slug))


@bp.post("/releves/lignes/<int:line_id>/ignorer")
def ignore(slug: str, line_id: int):
    group = coordinated_group(slug)
    line = reconcile.group_line(group.id, line_id)
    if line is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        reconcile.ignore(line)
        db.session.commit()
    return redirect(url_for(".statement", slug=slug))
