"""The territory's home page, the personal dashboard and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.security import public
from marketplace.territory.queries import dashboard_for, territory_overview

bp = Blueprint("territory", __name__)


@bp.get("/")
@public
def home():
    return render_template("territory/home.html", overview=territory_overview(utcnow()))


@bp.get("/dashboard")
def dashboard():
    return render_template(
        "territory/dashboard.html", dashboard=dashboard_for(current_user, utcnow())
    )


@bp.post("/language")
@public
def set_language():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
        if current_user.is_authenticated:
            current_user.language = language
            db.session.commit()
    return redirect(_local_path(request.form.get("next")) or url_for("territory.home"))


def _local_path(target: str | None) -> str | None:
    """Only a path on this site: never another host, never a protocol-relative URL."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
