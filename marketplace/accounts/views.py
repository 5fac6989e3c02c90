from flask import Blueprint

from marketplace.security import public

bp = Blueprint("accounts", __name__, url_prefix="/account")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    return ""


@bp.post("/logout")
def logout():
    return ""


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    return ""


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    return ""
