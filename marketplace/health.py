"""What monitoring and load balancers read, without login and never rate limited.

- `GET /healthz`: is the application up and can it reach its database (200 or 503).
- `GET /readyz`: may this replica take traffic: PostgreSQL answers, and Redis too when
  `REDIS_URL` is set (200 or 503, each check named in the JSON).
"""

from flask import Blueprint, jsonify
from sqlalchemy import text

from marketplace.extensions import db, limiter
from marketplace.redis_store import redis_client
from marketplace.security import public

bp = Blueprint("health", __name__)


def _database_check() -> tuple[bool, dict]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # report, never crash: this is what monitoring reads
        db.session.rollback()
        return False, {"database": "unavailable", "detail": type(error).__name__}
    return True, {"database": "ok", "engine": db.engine.dialect.name}


def _redis_check() -> tuple[bool, dict]:
    client = redis_client()
    if client is None:
        return True, {"redis": "not configured"}
    try:
        client.ping()
    except Exception as error:
        return False, {"redis": "unavailable", "redis_detail": type(error).__name__}
    return True, {"redis": "ok"}


@bp.get("/healthz")
@public
@limiter.exempt
def healthz():
    ok, report = _database_check()
    return jsonify(status="ok" if ok else "error", **report), 200 if ok else 503


@bp.get("/readyz")
@public
@limiter.exempt
def readyz():
    database_ok, database = _database_check()
    redis_ok, redis = _redis_check()
    ok = database_ok and redis_ok
    return jsonify(status="ok" if ok else "error", **database, **redis), 200 if ok else 503
