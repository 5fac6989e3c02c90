"""The coordinators' follow-up of card and SEPA payments: refused installments, attempts
under way, "retry now" and "stop automatic retries".

Coordinators of the group (and site admins) only: anyone else gets 403; an installment of
another group is 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.cards import charging, dunning, expiry, followup, gateway, settlement
from marketplace.cards.models import CardPaymentState
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.forms import ConfirmForm
from marketplace.groups.access import coordinated_group
from marketplace.groups.models import Group
from marketplace.payments.models import InstallmentState
from marketplace.timezones import paris_today

bp = Blueprint("card_followup", __name__, url_prefix="/groupes/<slug>/gestion/paiements-carte")

RETRY_MESSAGES = {
    charging.Outcome.SUCCEEDED: (
        "success",
        _l("Le paiement a été accepté : l'échéance est payée."),
    ),
    charging.Outcome.PROCESSING: (
        "info",
        _l("Le prélèvement est envoyé à la banque : il faut quelques jours pour le confirmer."),
    ),
    charging.Outcome.FAILED: (
        "error",
        _l("Le paiement a de nouveau été refusé. Le foyer a reçu un e-mail avec la raison."),
    ),
    charging.Outcome.NO_METHOD: (
        "error",
        _l("Le foyer n'a ni carte ni mandat enregistré : il a reçu un lien pour payer en ligne."),
    ),
    charging.Outcome.UNAVAILABLE: (
        "warning",
        _l("La banque ne répond pas pour l'instant. Le paiement sera renvoyé automatiquement."),
    ),
    charging.Outcome.CREDITED: (
        "success",
        _l("L'avoir du foyer a payé l'échéance : rien n'a été prélevé."),
    ),
    charging.Outcome.AWAITING_NOTICE: (
        "info",
        _l(
            "Le foyer n'a pas encore été prévenu de ce prélèvement SEPA assez tôt : il le sera, "
            "puis le prélèvement partira à la date annoncée."
        ),
    ),
    charging.Outcome.SKIPPED: (
        "info",
        _l(
            "Rien à prélever : l'échéance n'est pas encore due, est déjà payée ou un paiement "
            "est déjà en cours."
        ),
    ),
}


@bp.get("")
def index(slug: str):
    group = coordinated_group(slug)
    return render_template(
        "cards/coordinator_followup.html",
        group=group,
        failed=followup.failed_installments(group.id),
        live=followup.live_payments(group.id),
        confirm=ConfirmForm(),
    )


def _failed_installment(group: Group, installment_id: int):
    installment = followup.group_installment(group.id, installment_id)
    if installment is None:
        abort(404)
    return installment


@bp.post("/<int:installment_id>/relancer")
def retry(slug: str, installment_id: int):
    group = coordinated_group(slug)
    installment = _failed_installment(group, installment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    today = paris_today()
    if installment.state == InstallmentState.FAILED.value:
        installment.charge_retry_on = today  # due now: the charge below picks it up
        db.session.flush()
    outcome = charging.charge_installment(
        installment.id, today, now=utcnow(), commit=db.session.commit
    )
    category, message = RETRY_MESSAGES[outcome]
    flash(str(message), category)
    return redirect(url_for("card_followup.index", slug=group.slug))


@bp.post("/<int:installment_id>/arreter")
def stop(slug: str, installment_id: int):
    group = coordinated_group(slug)
    installment = _failed_installment(group, installment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if installment.state == InstallmentState.FAILED.value and installment.charge_retry_on:
        dunning.stop_retries(installment)
        db.session.commit()
        flash(_("Les essais automatiques sont arrêtés pour cette échéance."), "success")
    else:
        flash(_("Aucun essai automatique n'était prévu pour cette échéance."), "info")
    return redirect(url_for("card_followup.index", slug=group.slug))


@bp.post("/<int:installment_id>/annuler-tentative")
def cancel_attempt(slug: str, installment_id: int):
    """Cancel a payment waiting for the household's confirmation (3-D Secure): at Stripe, then
    here; the installment may then be paid another way (a cheque, cash, another card)."""
    group = coordinated_group(slug)
    installment = _failed_installment(group, installment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    waiting = [
        payment
        for payment in settlement.live_attempts([installment.id])
        if payment.state == CardPaymentState.REQUIRES_ACTION.value
    ]
    if not waiting:
        flash(_("Aucun paiement n'attend la confirmation du foyer pour cette échéance."), "info")
        return redirect(url_for("card_followup.index", slug=group.slug))
    try:
        expiry.expire(waiting[0])
    except gateway.GatewayUnavailable:
        db.session.rollback()
        flash(
            _("La banque ne répond pas pour l'instant : réessayez dans quelques minutes."), "error"
        )
    else:
        db.session.commit()
        flash(
            _("Le paiement en attente est annulé : l'échéance peut être réglée autrement."),
            "success",
        )
    return redirect(url_for("card_followup.index", slug=group.slug))
