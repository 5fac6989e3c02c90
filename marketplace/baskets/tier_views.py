"""The coordinators' screen of solidarity tier requests: grant or refuse, one at a time.

Only the group's coordinators (and site admins) reach it; anyone else gets 403.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from marketplace.baskets import tiers
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm
from marketplace.groups.access import coordinated_group
from marketplace.groups.models import Group
from marketplace.payments.fund import fund_balance_cents

bp = Blueprint("tiers", __name__, url_prefix="/groupes/<slug>/gestion/tarifs")

NOTE_MAX = 500


class DecisionForm(BaseForm):
    note = TextAreaField(
        _l("Message personnel au foyer (facultatif)"),
        validators=[Length(max=NOTE_MAX, message=_l("%(max)d caractères au maximum."))],
    )
    approve = SubmitField(_l("Accorder"))
    # Shown when the fund lacks money: the group bears the shortfall (recorded in the fund).
    approve_with_group = SubmitField(_l("Accorder, le groupe prend en charge ce qui manque"))
    refuse = SubmitField(_l("Refuser"))


@bp.get("")
def requests(slug: str):
    group = coordinated_group(slug)
    return _render(group)


def _render(group: Group, failed: dict[int, DecisionForm] | None = None, status: int = 200):
    pending = tiers.pending_requests(group, utcnow())
    failed = failed or {}
    forms = {
        request.subscription.id: failed.get(request.subscription.id)
        or DecisionForm(formdata=None, prefix=f"r{request.subscription.id}")
        for request in pending
    }
    return render_template(
        "baskets/tiers/requests.html",
        group=group,
        pending=pending,
        forms=forms,
        decisions=tiers.recent_decisions(group),
        fund_balance_cents=fund_balance_cents(group.id),
    ), status


@bp.post("/<int:subscription_id>/approuver")
def approve(slug: str, subscription_id: int):
    return _decide(slug, subscription_id, approving=True)


@bp.post("/<int:subscription_id>/refuser")
def refuse(slug: str, subscription_id: int):
    return _decide(slug, subscription_id, approving=False)


def _decide(slug: str, subscription_id: int, *, approving: bool):
    group = coordinated_group(slug)
    form = DecisionForm(prefix=f"r{subscription_id}")
    if not form.validate():
        return _render(group, {subscription_id: form}, 400)
    try:
        if approving:
            decision = tiers.approve(
                group,
                subscription_id,
                utcnow(),
                group_covers_shortfall=bool(form.approve_with_group.data),
            )
        else:
            decision = tiers.refuse(group, subscription_id)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(url_for(".requests", slug=group.slug))
    # The decision and its email together: the outbox sends it once this commits.
    tiers.notify_decision(decision, form.note.data or "")
    db.session.commit()
    name = decision.subscription.user.name
    if approving:
        flash(_("Tarif solidaire accordé à %(name)s.", name=name), "success")
    else:
        flash(
            _("Demande de %(name)s refusée : le tarif standard reste appliqué.", name=name),
            "success",
        )
    return redirect(url_for(".requests", slug=group.slug))
