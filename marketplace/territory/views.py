"""The territory's home page, a group's public page, the personal dashboard and the language
switch: the pages that bring several domains together (groups, producers, pickup points)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import refresh
from flask_login import current_user

from marketplace.db import utcnow
from marketplace.documents.services import visible_documents
from marketplace.extensions import db
from marketplace.groups.services import group_by_slug
from marketplace.membership.services import settings_of
from marketplace.organisations.models import Role
from marketplace.organisations.services import roles_held
from marketplace.pickup.unticked import open_counts
from marketplace.producers.services import producers_supplying
from marketplace.security import map_content_security_policy, public, safe_next_url
from marketplace.territory.household import household_view
from marketplace.territory.places import territory_places
from marketplace.territory.queries import active_pickup_points, dashboard_for, territory_overview
from marketplace.timezones import paris_today

bp = Blueprint("territory", __name__)


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers ask for it whatever the page says: the app's icon (static/icons/)."""
    return send_from_directory(
        current_app.static_folder, "icons/favicon-32.png", mimetype="image/png", max_age=86400
    )


@bp.get("/")
@public
def home():
    return render_template("territory/home.html", overview=territory_overview(utcnow()))


@bp.get("/groupes/<slug>", endpoint="group")
@public
def group_page(slug: str):
    """A group's public page: its producers and pickup points (joining is groups.join)."""
    group = group_by_slug(slug)
    if group is None:
        abort(404)
    roles = roles_held(group, current_user)
    can_manage = current_user.is_authenticated and (
        current_user.is_admin or Role.COORDINATOR.value in roles
    )
    return render_template(
        "groups/detail.html",
        group=group,
        producers=producers_supplying(group),
        pickup_points=active_pickup_points(group),
        documents=visible_documents(group, current_user),
        roles=roles,
        can_manage=can_manage,
        offers_membership=settings_of(group) is not None,
        # Days that ended with no tick, waiting for a coordinator (pickup.unticked).
        unticked_count=open_counts([group.id]).get(group.id, 0) if can_manage else 0,
    )


@bp.get("/carte")
@public
def places_map():
    """The territory's places, listed with their addresses; the map (Leaflet, static/vendor/)
    draws them when its script and the tile server answer. Only this page allows images from
    the tile server (MAP_TILE_URL)."""
    tile_url = current_app.config["MAP_TILE_URL"]
    response = current_app.make_response(
        render_template(
            "territory/map.html",
            places=territory_places(),
            tile_url=tile_url,
            attribution=current_app.config["MAP_TILE_ATTRIBUTION"],
        )
    )
    response.headers["Content-Security-Policy"] = map_content_security_policy(tile_url)
    return response


@bp.get("/tableau-de-bord")
def dashboard():
    now = utcnow()
    dashboard = dashboard_for(current_user, now)
    return render_template(
        "territory/dashboard.html",
        dashboard=dashboard,
        household=household_view(
            current_user, now, paris_today(), [group.id for group in dashboard.coordinates]
        ),
        unticked_counts=open_counts([group.id for group in dashboard.coordinates]),
    )


@bp.post("/langue")
@public
def set_language():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
        if current_user.is_authenticated:
            current_user.language = language
            db.session.commit()
        refresh()
    return redirect(safe_next_url(request.form.get("next")) or url_for("territory.home"))
