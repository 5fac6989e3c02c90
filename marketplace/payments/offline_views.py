"""The coordinators' screen of cheques, cash and transfers received for their group.

Coordinators of the group (and site admins) only: anyone else gets 403.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import int_or_none
from marketplace.groups.access import coordinated_group
from marketplace.groups.models import Group
from marketplace.list_pages import paginate_query
from marketplace.organisations.access import roles_in
from marketplace.payments import offline, offline_queries
from marketplace.payments.labels import METHOD_LABELS
from marketplace.payments.models import OfflineMethod
from marketplace.payments.offline_forms import (
    BULK_ACTIONS,
    PAYMENT_STATE_LABELS,
    BulkForm,
    PaymentFilterForm,
    RecordForm,
)
from marketplace.security import safe_next_url
from marketplace.timezones import paris_today

bp = Blueprint("offline_payments", __name__, url_prefix="/groupes/<slug>/gestion/paiements")


@bp.get("")
def index(slug: str):
    group = coordinated_group(slug)
    filters = PaymentFilterForm(request.args, offline_queries.group_offer_choices(group.id))
    return render_template(
        "payments/offline/index.html",
        group=group,
        filters=filters,
        # A page of each list (50 rows): `page` for the installments, `recorded_page` for
        # the payments, so that the page stays small whatever the group's size.
        unpaid=paginate_query(
            offline_queries.unpaid_query(
                group.id, offer_id=filters.offer_id, household=filters.household.data or ""
            ),
            row=lambda values: offline_queries.UnpaidInstallment(*values),
        ),
        payments=paginate_query(
            offline_queries.recorded_query(
                group.id,
                state=filters.state_value,
                offer_id=filters.offer_id,
                household=filters.household.data or "",
            ),
            parameter="recorded_page",
            row=lambda values: offline_queries.RecordedPayment(*values),
        ),
        bulk=BulkForm(),
        method_labels=METHOD_LABELS,
        state_labels=PAYMENT_STATE_LABELS,
    )


def _household(group: Group, user_id: str | None):
    """A person of this group (a role in it, or installments owed to it) and what they owe;
    404 for anyone else, so that no coordinator reads the name of another group's account."""
    household_id = int_or_none(user_id)
    household = db.session.get(User, household_id) if household_id else None
    if household is None:
        abort(404)
    installments = offline_queries.unpaid_installments(group.id, user_id=household.id)
    if not installments and not roles_in(household, group.id):
        abort(404)
    return household, installments


def _initial_rows(installments: list[offline_queries.UnpaidInstallment]) -> list[dict]:
    return [
        {
            "installment_id": str(installment.installment_id),
            "selected": False,  # nothing ticked: one cheque is one line ticked
            "method": installment.planned_method
            if installment.paid_offline
            else OfflineMethod.CHEQUE.value,
            "amount": installment.amount_cents,
        }
        for installment in installments
    ]


@bp.route("/saisir", methods=["GET", "POST"])
def record(slug: str):
    group = coordinated_group(slug)
    household, installments = _household(group, request.args.get("user"))
    if request.method == "POST":
        form = RecordForm()
    else:
        form = RecordForm(data={"rows": _initial_rows(installments)})
    if form.validate_on_submit():
        try:
            payments = offline.record_payments(
                group_id=group.id,
                user_id=household.id,
                lines=form.lines(),
                recorded_by_id=current_user.id,
            )
            db.session.commit()
        except DomainError as error:  # a cheque recorded by someone else at the same moment too
            db.session.rollback()
            form.show_error(error)
        else:
            flash(
                ngettext(
                    "%(num)d paiement enregistré pour %(name)s.",
                    "%(num)d paiements enregistrés pour %(name)s.",
                    len(payments),
                    name=household.name,
                ),
                "success",
            )
            return redirect(url_for(".index", slug=group.slug))
    return render_template(
        "payments/offline/record.html",
        group=group,
        household=household,
        form=form,
        installments={item.installment_id: item for item in installments},
    )


def _outcome_message(action: str, outcome: offline.BulkOutcome) -> str:
    if not outcome.changed:
        return _(
            "Aucun paiement modifié : ceux cochés n'étaient pas dans le bon état "
            "(déjà traités, ou pas encore encaissés)."
        )
    changed = {
        "receive": ngettext(
            "%(num)d paiement marqué encaissé.",
            "%(num)d paiements marqués encaissés.",
            outcome.changed,
        ),
        "hand_over": ngettext(
            "%(num)d paiement marqué reversé au producteur.",
            "%(num)d paiements marqués reversés au producteur.",
            outcome.changed,
        ),
        "cancel": ngettext(
            "%(num)d paiement annulé.", "%(num)d paiements annulés.", outcome.changed
        ),
    }[action]
    if not outcome.skipped:
        return changed
    skipped = ngettext(
        "%(num)d ignoré : il n'était pas dans le bon état.",
        "%(num)d ignorés : ils n'étaient pas dans le bon état.",
        outcome.skipped,
    )
    return f"{changed} {skipped}"


@bp.post("/plusieurs")
def bulk(slug: str):
    group = coordinated_group(slug)
    form = BulkForm()
    # Back to the list as it was filtered.
    back = redirect(safe_next_url(form.next.data) or url_for(".index", slug=group.slug))
    if not form.validate_on_submit() or form.action.data not in BULK_ACTIONS:
        flash(_("La demande n'a pas pu être lue : rechargez la page et recommencez."), "error")
        return back
    ids = form.chosen_ids()
    if not ids:
        flash(_("Cochez au moins un paiement dans la liste."), "warning")
        return back
    now, today = utcnow(), paris_today()
    if form.action.data == "receive":
        outcome = offline.mark_received(group_id=group.id, payment_ids=ids, now=now, today=today)
    elif form.action.data == "hand_over":
        outcome = offline.mark_handed_over(group_id=group.id, payment_ids=ids, now=now)
    else:
        outcome = offline.cancel_payments(group_id=group.id, payment_ids=ids, today=today)
    db.session.commit()
    flash(_outcome_message(form.action.data, outcome), "success" if outcome.changed else "warning")
    return back
