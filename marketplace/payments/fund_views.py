"""The group's solidarity fund: its totals for the group, and a member's one-off gift.

The fund's page shows totals only: no name, no household, no per-person line.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.groups.services import group_by_slug
from marketplace.organisations.access import has_role, require_role
from marketplace.organisations.models import Role
from marketplace.payments import fund
from marketplace.payments.fund_forms import GiveForm
from marketplace.payments.money import format_money
from marketplace.timezones import paris_today

bp = Blueprint("fund", __name__, url_prefix="/groupes/<slug>/fonds")

# Coordinators are households of the group too.
GROUP_ROLES = (Role.MEMBER, Role.COORDINATOR)


def _group_for_members(slug: str) -> Group:
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    require_role(group, *GROUP_ROLES)
    return group


@bp.get("")
def overview(slug: str):
    group = _group_for_members(slug)
    return render_template(
        "payments/fund/overview.html",
        group=group,
        totals=fund.fund_totals(group.id, today=paris_today()),
        is_coordinator=has_role(current_user, group, Role.COORDINATOR),
    )


@bp.route("/donner", methods=["GET", "POST"])
def give(slug: str):
    group = _group_for_members(slug)
    form = GiveForm()
    if form.validate_on_submit():
        try:
            fund.give_once(
                group, current_user, form.amount.data, paris_today(), form.reference.data
            )
            db.session.commit()
        except (fund.GiftAlreadyRecordedError, IntegrityError):
            # The same form sent twice (IntegrityError: at the same instant): one gift only.
            db.session.rollback()
            flash(_("Ce don est déjà enregistré. Merci !"), "success")
            return redirect(url_for(".overview", slug=group.slug))
        except DomainError as error:
            db.session.rollback()
            form.amount.errors = [*form.amount.errors, error.message]
        else:
            flash(
                _(
                    "Merci ! Votre don de %(amount)s au fonds de solidarité est enregistré ; "
                    "il apparaît sur votre relevé de compte.",
                    amount=format_money(form.amount.data),
                ),
                "success",
            )
            return redirect(url_for(".overview", slug=group.slug))
    return render_template(
        "payments/fund/give.html", group=group, form=form, max_cents=fund.MAX_GIFT_CENTS
    )
