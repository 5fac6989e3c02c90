"""The household's QR code and its scan, the printable sign-off sheet, closing the day and the
report after it.

The sheet, the closing page and the report are for the day's volunteers and the group's
coordinators (pickup.access); closing before the day's end time is for the lead volunteer or a
coordinator; the credits booked are shown to coordinators only. A day the scheduler flagged
because nobody ticked anything (pickup.unticked) is settled by a coordinator only: by ticking
from the paper sheet then closing, or by "everything was collected" in one action; the group's
coordinators see the days waiting for them on one page.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, SelectField, SubmitField

from marketplace.baskets.models import Delivery, Subscription
from marketplace.catalogue.week_baskets import announced
from marketplace.db import utcnow
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm, ConfirmForm, int_or_none, show_service_error
from marketplace.list_pages import paginate_list
from marketplace.organisations.access import has_role, require_role
from marketplace.organisations.models import Organisation, OrganisationKind, Role
from marketplace.pickup import closing, qr, signoff, unticked
from marketplace.pickup.access import may_use_checklist, require_checklist_access
from marketplace.shifts.roster import is_lead
from marketplace.shop.models import Order, OrderStatus
from marketplace.timezones import paris_today

bp = Blueprint("pickup_closing", __name__, url_prefix="/distributions")


class ClosingForm(BaseForm):
    grocery_id = SelectField(
        _l("Épicerie solidaire qui reçoit les dons"), coerce=int_or_none, validate_choice=False
    )
    donate_extras = BooleanField(_l("Donner aussi les produits à la carte non retirés"))
    submit = SubmitField(_l("Clôturer la distribution"))

    def with_groceries(self) -> ClosingForm:
        self.grocery_id.choices = [(None, _("— Aucune —"))] + [
            (grocery.id, grocery.name) for grocery in closing.groceries()
        ]
        return self


# --- QR code -----------------------------------------------------------------------------------


@bp.get("/mon-code")
def my_code():
    """The signed-in household's own code; nobody can ask for another household's."""
    link = qr.scan_url(current_user.id)
    svg = qr.qr_svg(link, _("Code de retrait de %(name)s", name=current_user.name))
    return render_template("pickup/qr_code.html", svg=svg, link=link)


@bp.get("/scan/<token>")
def scan(token: str):
    """Open the scanned household's line on today's checklist, for that day's team only."""
    household_id = qr.household_for_token(token)
    if household_id is None:
        return render_template("pickup/qr_invalid.html", reason="forged"), 400
    days = _days_with_household_today(household_id)
    allowed = [day for day in days if may_use_checklist(current_user, day)]
    if not allowed:
        if days:
            abort(403)
        return render_template("pickup/qr_invalid.html", reason="nothing_today"), 404
    if len(allowed) > 1:
        links = [(day, _line_url(day, household_id)) for day in allowed]
        return render_template("pickup/qr_choose.html", links=links)
    return redirect(_line_url(allowed[0], household_id))


def _line_url(day: DistributionDay, household_id: int) -> str:
    return url_for("pickup.checklist", day_id=day.id, _anchor=f"line-u{household_id}")


def _days_with_household_today(household_id: int) -> list[DistributionDay]:
    """Today's distributions where the household has a basket or an order (one query)."""
    has_basket = exists().where(
        Delivery.distribution_day_id == DistributionDay.id,
        Delivery.subscription_id == Subscription.id,
        Subscription.user_id == household_id,
    )
    has_order = exists().where(
        Order.distribution_day_id == DistributionDay.id,
        Order.user_id == household_id,
        Order.status == OrderStatus.PLACED.value,
    )
    return list(
        db.session.scalars(
            select(DistributionDay)
            .where(
                DistributionDay.day == paris_today(),
                DistributionDay.status == DayStatus.SCHEDULED.value,
                or_(has_basket, has_order),
            )
            .order_by(DistributionDay.starts_at, DistributionDay.id)
        )
    )


# --- Sign-off sheet ----------------------------------------------------------------------------


@bp.get("/<int:day_id>/emargement")
def signoff_sheet(day_id: int):
    day = _day_for_team(day_id)
    sheet = signoff.signoff_sheet(day.id)
    # A sheet of 50 households a page (`?page=`), the day's totals on each: a page stays small
    # and prints on its own, however many households the pickup point serves.
    page = paginate_list(sheet.rows)
    return render_template(
        "pickup/signoff.html",
        day=day,
        sheet=sheet,
        page=page,
        week_baskets=announced([day.id]),
    )


# --- Closing the day ---------------------------------------------------------------------------


@bp.route("/<int:day_id>/cloturer", methods=["GET", "POST"])
def close(day_id: int):
    day = _day_for_team(day_id)
    existing = closing.closing_of(day.id)
    form = ClosingForm().with_groceries()
    now = utcnow()
    may_close_early = _may_close_early(day)
    flag = unticked.flag_of(day.id)
    awaits_coordinator = (
        flag is not None
        and flag.is_open
        and not has_role(current_user, day.group, Role.COORDINATOR)
    )
    if awaits_coordinator and form.is_submitted():
        flash(_("Cette distribution attend la confirmation de la coordination du groupe."), "error")
    elif existing is None and form.validate_on_submit():
        try:
            outcome = closing.close_day(
                day,
                now=now,
                closed_by_id=current_user.id,
                may_close_early=may_close_early,
                grocery_id=form.grocery_id.data,
                donate_extras=form.donate_extras.data,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        except IntegrityError:  # closed by someone else at the same moment
            db.session.rollback()
            flash(_("Cette distribution est déjà clôturée."), "warning")
            return redirect(url_for(".close", day_id=day_id))
        else:
            flash(
                ngettext(
                    "Distribution clôturée : %(num)d panier ou commande non retiré.",
                    "Distribution clôturée : %(num)d paniers ou commandes non retirés.",
                    outcome.not_collected,
                )
            )
            return redirect(url_for(".report", day_id=day_id))
    elif existing is not None and form.is_submitted():
        flash(_("Cette distribution est déjà clôturée."), "warning")
    return render_template(
        "pickup/closing.html",
        day=day,
        form=form,
        closing=existing,
        plan=None if existing else closing.plan_closing(day),
        ended=now >= day.ends_at,
        may_close_early=may_close_early,
        flag=flag,
        awaits_coordinator=awaits_coordinator,
        ticked=unticked.has_ticks(day.id),
        confirm_form=ConfirmForm(),
    )


@bp.post("/<int:day_id>/tout-remis")
def all_collected(day_id: int):
    """A flagged day with no tick: the coordinator says everything was collected."""
    day = db.get_or_404(DistributionDay, day_id)
    require_role(day.group, Role.COORDINATOR)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        result = unticked.mark_all_collected(day, current_user, utcnow())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".close", day_id=day_id))
    except IntegrityError:  # settled by another coordinator at the same moment
        db.session.rollback()
        result = None
    if result is None or result.already:
        flash(_("Cette distribution a déjà été réglée."), "warning")
    else:
        flash(
            ngettext(
                "Distribution clôturée : %(num)d panier ou commande noté retiré, aucun avoir.",
                "Distribution clôturée : %(num)d paniers ou commandes notés retirés, aucun avoir.",
                result.ticked,
            ),
            "success",
        )
    return redirect(url_for(".report", day_id=day_id))


@bp.get("/groupes/<int:group_id>/a-confirmer")
def to_confirm(group_id: int):
    """The group's days that ended with no tick, waiting for a coordinator."""
    group = db.session.get(Organisation, group_id)
    if group is None or group.kind != OrganisationKind.GROUP.value:
        abort(404)
    require_role(group, Role.COORDINATOR)
    return render_template(
        "pickup/closing_to_confirm.html",
        group=group,
        flags=unticked.open_flags(group.id),
        form=ConfirmForm(),
    )


@bp.get("/<int:day_id>/bilan")
def report(day_id: int):
    day = _day_for_team(day_id)
    return render_template(
        "pickup/report.html",
        day=day,
        closing=closing.closing_of(day.id),
        report=signoff.day_report(day),
        show_credits=has_role(current_user, day.group, Role.COORDINATOR),
        flag=unticked.flag_of(day.id),
        confirm_form=ConfirmForm(),
    )


def _day_for_team(day_id: int) -> DistributionDay:
    day = db.get_or_404(DistributionDay, day_id)
    require_checklist_access(current_user, day)
    return day


def _may_close_early(day: DistributionDay) -> bool:
    return has_role(current_user, day.group, Role.COORDINATOR) or is_lead(current_user.id, day.id)
