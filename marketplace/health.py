"""`GET /healthz`: is the application up, and can it reach its database?"""

from flask import Blueprint, jsonify
from sqlalchemy import text

from marketplace.extensions import db, limiter
from marketplace.security import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:  # report, never crash: this is what monitoring reads
        db.session.rollback()
        return jsonify(status="error", database="unavailable", detail=type(error).__name__), 503
    return jsonify(status="ok", database=database, engine=db.engine.dialect.name)
