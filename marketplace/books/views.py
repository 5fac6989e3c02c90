"""The treasurer's pages (the group's coordinators): the books' summary, the association's and
producers' bank accounts, cheque and cash remittance slips.

Coordinators of the group (and site admins) only: anyone else gets 403.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from marketplace import unique
from marketplace.books import accounts, exports, owed, payouts, remittances
from marketplace.books.forms import BankAccountForm, PayoutForm, RemitForm
from marketplace.books.models import BankAccount, Remittance, RemittanceKind
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.exports import page_or_csv
from marketplace.extensions import db
from marketplace.forms import show_service_error
from marketplace.groups.access import coordinated_group
from marketplace.payments.money import format_money
from marketplace.producers.models import Producer, ProducerSuppliesGroup
from marketplace.timezones import paris_today

bp = Blueprint("books", __name__, url_prefix="/groupes/<slug>/gestion/comptabilite")


@bp.get("")
def index(slug: str):
    group = coordinated_group(slug)
    balances = owed.balances(group.id)
    payees = {
        account.organisation_id
        for account in db.session.scalars(
            select(BankAccount).where(
                BankAccount.organisation_id.in_([b.producer_id for b in balances])
            )
        )
    }
    return render_template(
        "books/index.html",
        group=group,
        balances=balances,
        payees=payees,
        account=accounts.account_of(group.id),
        runs=payouts.runs(group.id),
        pending=len(remittances.pending_cheques(group.id)),
        recent=remittances.recent_remittances(group.id),
        form=PayoutForm(),
        formatted_iban=accounts.formatted_iban,
        remittance_kinds={
            RemittanceKind.BANK.value: _("chèques déposés à la banque"),
            RemittanceKind.PRODUCER.value: _("chèques remis au producteur"),
            RemittanceKind.CASH.value: _("espèces déposées à la banque"),
        },
    )


def _supplier(group_id: int, producer_id: int) -> Producer:
    producer = db.session.scalar(
        select(Producer)
        .join(ProducerSuppliesGroup, ProducerSuppliesGroup.producer_id == Producer.id)
        .where(Producer.id == producer_id, ProducerSuppliesGroup.group_id == group_id)
    )
    if producer is None:
        abort(404)
    return producer


def account_page(group, organisation, back_url: str):
    """An organisation's bank account (a group's coordinators, or a farm's own staff: group
    None), saved and checked, then back to `back_url`."""
    existing = accounts.account_of(organisation.id)
    form = BankAccountForm(obj=existing) if request.method == "GET" else BankAccountForm()
    if existing is not None and request.method == "GET":
        form.iban.data = accounts.formatted_iban(existing.iban)
    if form.validate_on_submit():
        try:
            accounts.save_account(
                organisation_id=organisation.id,
                holder=form.holder.data,
                iban=form.iban.data,
                bic=form.bic.data or "",
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("Compte bancaire de %(name)s enregistré.", name=organisation.name), "success")
            return redirect(back_url)
    return render_template(
        "books/account.html", group=group, organisation=organisation, form=form, back=back_url
    )


@bp.route("/compte", methods=["GET", "POST"])
def group_account(slug: str):
    group = coordinated_group(slug)
    return account_page(group, group, url_for(".index", slug=group.slug))


@bp.route("/producteurs/<int:producer_id>/compte", methods=["GET", "POST"])
def producer_account(slug: str, producer_id: int):
    group = coordinated_group(slug)
    producer = _supplier(group.id, producer_id)
    return account_page(group, producer, url_for(".index", slug=group.slug))


# --- Remittance slips ---------------------------------------------------------------------------


@bp.get("/cheques")
def cheques(slug: str):
    group = coordinated_group(slug)
    lines = remittances.pending_cheques(group.id)
    today = paris_today()
    return page_or_csv(
        lambda: render_template(
            "books/cheques.html",
            group=group,
            bank=remittances.bank_slip(lines, today=today),
            producers=remittances.producer_slips(lines),
            later=[line for line in lines if line.cash_on and line.cash_on > today],
            form=RemitForm(),
        ),
        lambda: exports.slip_csv(lines),
        filename=f"cheques-a-remettre-{group.slug}.csv",
        back_label=_("Voir les chèques à remettre"),
    )


def _day() -> date:
    value = request.args.get("day", "")
    if not value:
        return paris_today()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        abort(400)


@bp.get("/caisse")
def cash(slug: str):
    group = coordinated_group(slug)
    day = _day()
    slip = remittances.cash_slip(group.id, day)
    return page_or_csv(
        lambda: render_template(
            "books/cash.html", group=group, day=day, slip=slip, form=RemitForm()
        ),
        lambda: exports.slip_csv(slip.lines),
        filename=f"especes-{group.slug}-{day.isoformat()}.csv",
        back_label=_("Voir les espèces du jour"),
    )


@bp.post("/remettre")
def remit(slug: str):
    group = coordinated_group(slug)
    form = RemitForm()
    kind = form.kind.data or ""
    # Back to the slip the button was on (never to an address the request names).
    slip = ".cash" if kind == RemittanceKind.CASH else ".cheques"
    back = redirect(url_for(slip, slug=group.slug))
    if not form.validate_on_submit():
        flash(_("La demande n'a pas pu être lue : rechargez la page et recommencez."), "error")
        return back
    try:
        remittance = remittances.remit(
            group_id=group.id,
            kind=kind,
            payment_ids=form.chosen_ids(),
            producer_id=form.producer() if kind == RemittanceKind.PRODUCER else None,
            created_by_id=current_user.id,
            today=paris_today(),
            now=utcnow(),
        )
        db.session.commit()
    except unique.AlreadyCreatedError as error:
        db.session.rollback()
        if error.existing is None:
            flash(str(error), "warning")
            return back
        flash(str(error), "info")
        remittance = error.existing
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    else:
        flash(
            ngettext(
                "%(num)d paiement remis (%(total)s).",
                "%(num)d paiements remis (%(total)s).",
                remittance.payments_count,
                total=format_money(remittance.total_cents),
            ),
            "success",
        )
    return redirect(url_for(".remittance", slug=group.slug, remittance_id=remittance.id))


@bp.get("/remises/<int:remittance_id>")
def remittance(slug: str, remittance_id: int):
    group = coordinated_group(slug)
    found = db.session.get(Remittance, remittance_id)
    if found is None or found.group_id != group.id:
        abort(404)
    lines = remittances.remittance_lines(found)
    producer = db.session.get(Producer, found.producer_id) if found.producer_id else None
    return page_or_csv(
        lambda: render_template(
            "books/remittance.html",
            group=group,
            remittance=found,
            lines=lines,
            producer=producer,
        ),
        lambda: exports.slip_csv(lines),
        filename=f"bordereau-{group.slug}-{found.id}.csv",
        back_label=_("Voir le bordereau"),
    )
