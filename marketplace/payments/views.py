"""Money screens of a group: a household's own statement, and the coordinators' arrears.

The statement has no household id in its address: it is always the person logged in.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from marketplace.groups.models import Group
from marketplace.groups.services import group_by_slug
from marketplace.list_pages import paginate_list
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role
from marketplace.payments import offline_queries
from marketplace.payments.credits import credits_of, offer_names
from marketplace.payments.statements import group_arrears, member_statement
from marketplace.timezones import paris_today

bp = Blueprint("payments", __name__, url_prefix="/groupes/<slug>")


def _group_or_404(slug: str) -> Group:
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    return group


@bp.get("/mon-releve")
def my_statement(slug: str):
    group = _group_or_404(slug)
    # Coordinators are households too; the page only ever shows the person's own ledger.
    require_role(group, Role.MEMBER, Role.COORDINATOR)
    statement = member_statement(current_user.id, group.id, today=paris_today())
    # Credits after leaving an overpaid contract, and what became of each (payments.credits).
    credits = credits_of(current_user.id, group.id)
    contracts = offer_names(
        {credit.subscription_id for credit in credits}
        | {
            part.target_subscription_id
            for credit in credits
            for part in credit.settlements
            if part.target_subscription_id
        }
    )
    return render_template(
        "payments/my_statement.html",
        group=group,
        statement=statement,
        credits=credits,
        contracts=contracts,
        # What is left to pay has a way to pay it: each unpaid installment links to its page.
        to_pay=offline_queries.unpaid_installments(group.id, user_id=current_user.id),
        fees_to_pay=offline_queries.unpaid_fees(group.id, user_id=current_user.id),
    )


@bp.get("/gestion/impayes")
def arrears(slug: str):
    group = _group_or_404(slug)
    require_role(group, Role.COORDINATOR)
    today = paris_today()
    arrears = group_arrears(group.id, today=today)
    # Totals over every household; the table shows 50 of them a page.
    return render_template(
        "payments/arrears.html", group=group, arrears=arrears, page=paginate_list(arrears.rows)
    )
