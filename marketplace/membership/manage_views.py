"""The coordinators' membership pages: settings, the members list (page and spreadsheet),
a fee received, an invitation, an import. The group's coordinators (and admins) only."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.exports import page_or_csv
from marketplace.extensions import db
from marketplace.forms import int_or_none, show_service_error
from marketplace.groups.access import coordinated_group
from marketplace.groups.models import Group
from marketplace.membership import invitations, queries, services
from marketplace.membership.forms import (
    PRICING_LABELS,
    ImportForm,
    InviteForm,
    PaymentForm,
    SettingsForm,
)
from marketplace.membership.models import YearlyMembership
from marketplace.payments.labels import METHOD_LABELS
from marketplace.timezones import paris_today

bp = Blueprint("membership_admin", __name__, url_prefix="/groupes/<slug>/gestion")

MAX_SEARCH_LENGTH = 100
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def status_labels() -> dict[str, str]:
    return {
        queries.Status.PAID: _("À jour"),
        queries.Status.UNPAID: _("Cotisation à régler"),
        queries.Status.LAPSED: _("Adhésion expirée"),
        queries.Status.NONE: _("Non adhérent·e"),
    }


@bp.route("/adhesion", methods=["GET", "POST"])
def settings(slug: str):
    group = coordinated_group(slug)
    current = services.settings_of(group)
    form = SettingsForm()
    if not form.is_submitted() and current is not None:
        form.fill_from(current)
    if form.validate_on_submit():
        try:
            services.save_settings(
                group,
                start_month=form.start_month.data,
                pricing=form.pricing.data,
                amount_cents=form.amount.data,
                levels=form.parsed_levels() if form.pricing.data == "sliding" else [],
                required=form.required_to_subscribe.data,
                remind_days_before=form.remind_days_before.data,
                today=paris_today(),
            )
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "amount")
        else:
            db.session.commit()
            flash(_("Les réglages de l'adhésion sont enregistrés."), "success")
            return redirect(url_for(".members", slug=slug))
    return render_template(
        "membership/settings.html", group=group, form=form, pricing_labels=PRICING_LABELS
    )


def _csv(group: Group, rows: list[queries.MemberRow]) -> str:
    labels = status_labels()
    columns = queries.columns.registered()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Foyer"),
            _("E-mail"),
            _("Téléphone"),
            _("Adhésion"),
            _("Cotisation (€)"),
            _("Réglée le"),
            *(column.label() for column in columns),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                _text_cell(row.user.name),
                _text_cell(row.user.email),
                _text_cell(row.user.phone or ""),
                labels[row.status],
                _euros(row.current.amount_cents) if row.current else "",
                row.current.paid_at.strftime("%d/%m/%Y")
                if row.current and row.current.paid_at
                else "",
                *(row.counts[column.key] for column in columns),
            ]
        )
    return "\ufeff" + buffer.getvalue()


def _text_cell(value: str) -> str:
    """A name typed by someone, defused so a spreadsheet never runs it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _euros(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{whole},{rest:02d}"


@bp.get("/foyers")
def members(slug: str):
    group = coordinated_group(slug)
    settings = services.settings_of(group)
    today = paris_today()
    search = request.args.get("q", "").strip()[:MAX_SEARCH_LENGTH]
    page = int_or_none(request.args.get("page")) or 1
    wanted = request.args.get("status", "")
    status = queries.Status(wanted) if wanted in set(queries.Status) else None

    def render_page():
        return render_template(
            "membership/members.html",
            group=group,
            settings=settings,
            listing=queries.members_page(
                group.id, settings, today, search=search, page=page, status=status
            ),
            search=search,
            status=status or "",
            labels=status_labels(),
            payment_form=PaymentForm(formdata=None),
            invite_form=InviteForm(formdata=None),
        )

    return page_or_csv(
        render_page,
        lambda: _csv(group, queries.all_members(group.id, settings, today)),
        filename=f"adherents-{group.slug}.csv",
        back_label=_("Voir la liste des membres"),
    )


@bp.post("/foyers/paiement")
def record_payment(slug: str):
    group = coordinated_group(slug)
    form = PaymentForm()
    membership = db.session.get(YearlyMembership, int_or_none(form.membership_id.data) or 0)
    if not form.validate_on_submit() or membership is None or membership.group_id != group.id:
        flash(_("Demande incomplète : rechargez la page et réessayez."), "error")
        return redirect(url_for(".members", slug=slug))
    try:
        services.record_payment(
            membership,
            method=form.method.data,
            bank=form.bank.data or "",
            cheque_number=form.cheque_number.data or "",
            recorded_by=current_user._get_current_object(),
            today=paris_today(),
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _(
                "Cotisation de %(name)s reçue (%(method)s).",
                name=membership.user.name,
                method=METHOD_LABELS[form.method.data],
            ),
            "success",
        )
    return redirect(url_for(".members", slug=slug, q=request.args.get("q", "")))


@bp.post("/foyers/inviter")
def invite(slug: str):
    group = coordinated_group(slug)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user, created = invitations.invite(group, form.name.data, form.email.data)
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "email")
        else:
            db.session.commit()
            if not created:
                flash(
                    _("%(name)s a déjà un compte : le voici membre du groupe.", name=user.name),
                    "success",
                )
            elif invitations.send_invitation(group, user):
                flash(_("Invitation envoyée à %(email)s.", email=user.email), "success")
            else:
                flash(
                    _("Le compte est créé, mais l'e-mail n'a pas pu partir : réessayez plus tard."),
                    "warning",
                )
            db.session.commit()  # the invitation waits in the outbox, sent once committed
            return redirect(url_for(".members", slug=slug))
    settings = services.settings_of(group)
    return render_template(
        "membership/members.html",
        group=group,
        settings=settings,
        listing=queries.members_page(group.id, settings, paris_today()),
        search="",
        status="",
        labels=status_labels(),
        payment_form=PaymentForm(formdata=None),
        invite_form=form,
    ), 400


@bp.route("/foyers/importer", methods=["GET", "POST"])
def import_members(slug: str):
    group = coordinated_group(slug)
    form = ImportForm()
    check = None
    if form.validate_on_submit():
        try:
            if form.confirm.data:
                text = invitations.read_file(form.payload.data or b"")
            else:
                upload = form.file.data
                text = invitations.read_file(
                    upload.read(invitations.IMPORT_MAX_BYTES + 1) if upload else b""
                )
            check = invitations.check_import(group, text)
            if form.confirm.data:
                created = invitations.run_import(group, check)
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error, "file")
            check = None
        else:
            if form.confirm.data:
                db.session.commit()
                failed = sum(not invitations.send_invitation(group, user) for user in created)
                db.session.commit()  # the invitations wait in the outbox, sent once committed
                flash(
                    ngettext(
                        "%(num)d foyer ajouté au groupe.",
                        "%(num)d foyers ajoutés au groupe.",
                        len(check.accepted),
                    ),
                    "success",
                )
                if failed:
                    flash(
                        ngettext(
                            "%(num)d invitation n'a pas pu partir.",
                            "%(num)d invitations n'ont pas pu partir.",
                            failed,
                        ),
                        "warning",
                    )
                return redirect(url_for(".members", slug=slug))
            form.payload.data = text.encode()
    status = 400 if form.errors or any(field.errors for field in form) else 200
    return render_template(
        "membership/import.html",
        group=group,
        form=form,
        check=check,
        max_lines=invitations.IMPORT_MAX_LINES,
        max_kb=invitations.IMPORT_MAX_BYTES // 1000,
    ), status
