"""A person's private calendar feeds: the page listing them, renewing the token, the feeds.

The feeds need no login (a calendar app cannot log in): the token in the address is the key.
A wrong or renewed token, or a group the person is not in, is a 404, like any unknown address.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.feeds import calendars, tokens
from marketplace.forms import ConfirmForm
from marketplace.mail import absolute_url, public_host
from marketplace.organisations.models import Membership, Organisation, OrganisationKind
from marketplace.security import public

bp = Blueprint("feeds", __name__, url_prefix="/calendriers")

FEED_MAX_AGE = 3600  # as the van's timetables: calendar apps poll, an hour is plenty


def _webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[1]


def _groups_of(user: User) -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == user.id, Organisation.kind == OrganisationKind.GROUP.value)
            .distinct()
            .order_by(Organisation.name)
        )
    )


@bp.get("/")
def index():
    user = current_user._get_current_object()
    token = tokens.token_of(user)
    db.session.commit()
    links = [
        (_("Mes paniers à retirer"), absolute_url("feeds.deliveries", token=token)),
        (_("Mes permanences"), absolute_url("feeds.shifts", token=token)),
    ]
    links += [
        (
            _("Les distributions de %(group)s", group=group.name),
            absolute_url("feeds.group", token=token, slug=group.slug),
        )
        for group in _groups_of(user)
    ]
    response = Response(
        render_template(
            "feeds/index.html",
            links=[(label, url, _webcal(url)) for label, url in links],
            form=ConfirmForm(),
        )
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/renouveler")
def renew():
    if ConfirmForm().validate_on_submit():
        tokens.renew_token(current_user)
        db.session.commit()
        flash(
            _("Vos adresses de calendrier sont renouvelées : les anciennes ne marchent plus."),
            "success",
        )
    return redirect(url_for(".index"))


def _user_or_404(token: str) -> User:
    user = tokens.user_for_token(token)
    if user is None:
        abort(404)
    return user


def _calendar_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # Private: no shared cache keeps it; the address is a secret, never sent as a referrer.
    response.headers["Cache-Control"] = f"private, max-age={FEED_MAX_AGE}"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/<token>/paniers.ics")
@public
def deliveries(token: str):
    user = _user_or_404(token)
    return _calendar_response(calendars.deliveries_feed(user, public_host()), "paniers.ics")


@bp.get("/<token>/permanences.ics")
@public
def shifts(token: str):
    user = _user_or_404(token)
    return _calendar_response(calendars.shifts_feed(user, public_host()), "permanences.ics")


@bp.get("/<token>/groupes/<slug>.ics")
@public
def group(token: str, slug: str):
    user = _user_or_404(token)
    found = db.session.scalar(
        select(Organisation)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(
            Membership.user_id == user.id,
            Organisation.slug == slug[:140],
            Organisation.kind == OrganisationKind.GROUP.value,
        )
        .limit(1)
    )
    if found is None:
        abort(404)
    return _calendar_response(calendars.group_feed(found, public_host()), f"{found.slug}.ics")
