from flask import Blueprint, render_template

from marketplace.security import public

bp = Blueprint("territory", __name__)


@bp.get("/")
@public
def home():
    return render_template("territory/home.html")


@bp.get("/dashboard")
def dashboard():
    return render_template("territory/home.html")


@bp.post("/language")
@public
def set_language():
    return ""
