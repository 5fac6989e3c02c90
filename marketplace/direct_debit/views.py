"""A household's mandate in a group: reading and signing it, a printable copy, choosing it
for its contracts, revoking it. Always the logged-in person's own mandate: no id in the URL."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.baskets.models import Subscription
from marketplace.bounds import bounded_int
from marketplace.db import utcnow
from marketplace.direct_debit import mandates
from marketplace.direct_debit.forms import MandateForm, SignForm
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.groups.models import Group
from marketplace.groups.services import group_by_slug
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role
from marketplace.payments.labels import METHOD_LABELS
from marketplace.timezones import paris_today

bp = Blueprint("direct_debit", __name__, url_prefix="/groupes/<slug>/prelevement")


def _member_group(slug: str) -> Group:
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    require_role(group, Role.MEMBER, Role.COORDINATOR)
    return group


@bp.route("/mandat", methods=["GET", "POST"])
def mandate(slug: str):
    group = _member_group(slug)
    settings = mandates.settings_of(group.id)
    live = mandates.live_mandate(group.id, current_user.id)
    if live is not None or settings is None:
        subscriptions = mandates.subscriptions_of(group.id, current_user.id)
        return render_template(
            "direct_debit/mandate.html",
            group=group,
            settings=settings,
            mandate=live,
            subscriptions=subscriptions,
            method_labels=METHOD_LABELS,
            confirm=ConfirmForm(),
        )
    form = MandateForm()
    if form.validate_on_submit():
        # Step two: the exact text the household will sign, with its new reference.
        reference = mandates.new_reference(group)
        try:
            iban = mandates.clean_iban(form.iban.data)
            bic = mandates.clean_bic(form.bic.data) if form.bic.data else mandates.bic_of(iban)
            if not bic:
                raise DomainError(_("Indiquez le BIC de votre banque."), field="bic")
        except DomainError as error:
            show_service_error(form, error)
        else:
            signer = form.signer_name.data.strip()
            text = mandates.mandate_text(
                settings,
                reference=reference,
                signer=signer,
                iban=iban,
                bic=bic,
                language=current_user.language,
            )
            sign_form = SignForm(
                formdata=None,
                signer_name=signer,
                iban=iban,
                bic=bic,
                reference=reference,
                shown_text=text,
                contract=str(_contract_id(request.args.get("contract")) or ""),
            )
            return render_template("direct_debit/sign.html", group=group, text=text, form=sign_form)
    return render_template(
        "direct_debit/new_mandate.html",
        group=group,
        form=form,
        contract=_own_contract(group, request.args.get("contract")),
    )


def _contract_id(value) -> int | None:
    return bounded_int(value or "", minimum=1)


def _own_contract(group: Group, value) -> Subscription | None:
    """The household's own contract in this group, from an id carried by the page."""
    contract_id = _contract_id(value)
    subscription = db.session.get(Subscription, contract_id) if contract_id else None
    if subscription is None or subscription.user_id != current_user.id:
        return None
    return subscription if subscription.group_id == group.id else None


@bp.post("/mandat/signer")
def sign(slug: str):
    group = _member_group(slug)
    form = SignForm()
    if not form.validate_on_submit():
        abort(400)
    contract = _own_contract(group, form.contract.data)
    try:
        signed = mandates.sign(
            group=group,
            user=current_user,
            signer_name=form.signer_name.data,
            iban=form.iban.data,
            bic=form.bic.data,
            shown_text=form.shown_text.data,
            reference=form.reference.data,
            ip_address=request.remote_addr or "",
            now=utcnow(),
            today=paris_today(),
        )
        if contract is not None:
            # Signed right after subscribing: the new contract goes on the mandate.
            mandates.choose_for(contract, signed)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".mandate", slug=slug))
    db.session.commit()
    if contract is not None:
        flash(_("Votre mandat est signé : votre contrat sera prélevé."), "success")
    else:
        flash(_("Votre mandat est signé. Choisissez les contrats qu'il paiera."), "success")
    return redirect(url_for(".mandate", slug=slug))


@bp.get("/mandat/imprimer")
def printable(slug: str):
    group = _member_group(slug)
    live = mandates.live_mandate(group.id, current_user.id)
    if live is None:
        abort(404)
    return render_template("direct_debit/print.html", group=group, mandate=live)


@bp.post("/mandat/contrats/<int:subscription_id>")
def choose(slug: str, subscription_id: int):
    group = _member_group(slug)
    live = mandates.live_mandate(group.id, current_user.id)
    subscription = db.session.get(Subscription, subscription_id)
    if live is None or subscription is None or subscription.user_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            mandates.choose_for(subscription, live)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Les prochaines échéances de ce contrat seront prélevées."), "success")
    return redirect(url_for(".mandate", slug=slug))


@bp.post("/mandat/revoquer")
def revoke(slug: str):
    group = _member_group(slug)
    live = mandates.live_mandate(group.id, current_user.id)
    if live is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        mandates.revoke(live, utcnow())
        db.session.commit()
        flash(_("Votre mandat est révoqué : plus aucun prélèvement ne sera fait."), "success")
    return redirect(url_for(".mandate", slug=slug))
