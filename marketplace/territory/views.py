"""The territory's home page, the personal dashboard and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import refresh
from flask_login import current_user

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.security import public, safe_next_url
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
        refresh()
    return redirect(safe_next_url(request.form.get("next")) or url_for("territory.home"))
