"""Configuration: safe defaults for development, the environment for everything secret."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

LANGUAGES = ("fr", "en")
DISPLAY_TIMEZONE = "Europe/Paris"


def database_url(instance_path: Path) -> str:
    """`DATABASE_URL` selects PostgreSQL (psycopg 3); without it, a SQLite file in instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance_path / 'marketplace.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def development_secret(instance_path: Path) -> str:
    """A secret generated once per checkout and kept in instance/, which git ignores."""
    secret_file = instance_path / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(32))
        secret_file.chmod(0o600)
    return secret_file.read_text().strip()


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Several processes (web, scheduler) share the file: wait for locks instead of failing.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


LOCALSTRIPE_URL = "http://127.0.0.1:8420"


def stripe_settings(env: os._Environ | dict[str, str]) -> dict[str, Any]:
    """Real Stripe when STRIPE_SECRET_KEY is given; otherwise a local `localstripe` server
    (started by `make run`), with test keys it accepts."""
    real = bool(env.get("STRIPE_SECRET_KEY"))
    api_base = env.get("STRIPE_API_BASE", "" if real else LOCALSTRIPE_URL).strip() or None
    default_js = f"{api_base}/js.stripe.com/v3/" if api_base else "https://js.stripe.com/v3/"
    return {
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", "sk_test_localstripe"),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe"),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", "whsec_localstripe"),
        "STRIPE_API_BASE": api_base,  # None: the real Stripe API
        "STRIPE_JS_URL": env.get("STRIPE_JS_URL", default_js),
    }


def build_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    env = os.environ
    url = overrides.get("SQLALCHEMY_DATABASE_URI") or database_url(instance_path)
    config: dict[str, Any] = {
        "SECRET_KEY": overrides.get("SECRET_KEY")
        or env.get("SECRET_KEY")
        or development_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": DISPLAY_TIMEZONE,
        "LANGUAGES": LANGUAGES,
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") == "1",
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        "PASSWORD_RESET_RATE_LIMIT": "5 per hour",
        "PASSWORD_RESET_MAX_AGE": 3600,
        # "folder" writes each message to instance/mail/ for a newcomer to read; "smtp" sends it.
        "MAIL_BACKEND": env.get("MAIL_BACKEND", "folder"),
        "MAIL_FOLDER": str(instance_path / "mail"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_STARTTLS": env.get("MAIL_USE_STARTTLS", "0") == "1",
        "MAIL_SENDER": env.get(
            "MAIL_SENDER", "Circuits courts solidaires <ne-pas-repondre@localhost>"
        ),
        # Where people reach the site, for links in emails sent by scheduled jobs.
        "PUBLIC_BASE_URL": env.get(
            "PUBLIC_BASE_URL", f"http://127.0.0.1:{env.get('PORT', '5000')}"
        ),
        "DISTRIBUTION_HORIZON_WEEKS": int(env.get("DISTRIBUTION_HORIZON_WEEKS", "8")),
        "SCHEDULER_CATCH_UP_DAYS": int(env.get("SCHEDULER_CATCH_UP_DAYS", "14")),
        # Volunteer shifts: how far ahead an understaffed day is announced to the coordinators,
        # and whether every member of the group is asked for help too.
        "SHIFTS_UNDERSTAFFED_DAYS_AHEAD": int(env.get("SHIFTS_UNDERSTAFFED_DAYS_AHEAD", "3")),
        "SHIFTS_UNDERSTAFFED_ALERT_MEMBERS": env.get("SHIFTS_UNDERSTAFFED_ALERT_MEMBERS", "0")
        == "1",
        # Route planning: driving time from the great-circle distance × a road factor, at an
        # average speed (the mobile grocery's roads wind through villages).
        "ROUTE_ROAD_FACTOR": float(env.get("ROUTE_ROAD_FACTOR", "1.3")),
        "ROUTE_AVERAGE_SPEED_KMH": float(env.get("ROUTE_AVERAGE_SPEED_KMH", "50")),
        # The mobile grocery: runs materialised this many weeks ahead; pre-orders close this
        # many hours before the van leaves.
        "ROUTE_HORIZON_WEEKS": int(env.get("ROUTE_HORIZON_WEEKS", "8")),
        "PREORDER_CUTOFF_HOURS": int(env.get("PREORDER_CUTOFF_HOURS", "24")),
        # The JSON API (flask-smorest): its OpenAPI description is served at /api/openapi.json.
        "API_TITLE": "Circuits courts solidaires",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        # Card and SEPA payments: a payment left at its 3-D Secure step is cancelled after
        # this many hours (the installment becomes payable again).
        "CARD_ACTION_EXPIRES_HOURS": int(env.get("CARD_ACTION_EXPIRES_HOURS", "24")),
        # A household's credit (an overpaid contract it left) pays its next installments
        # before its card or mandate is charged; "0" leaves every credit to be refunded.
        "CREDITS_PAY_NEXT_INSTALLMENTS": env.get("CREDITS_PAY_NEXT_INSTALLMENTS", "1") == "1",
        # A SEPA direct debit is notified to the household this many days ahead (the legal
        # pre-notification); none is made before its notice is that old.
        "SEPA_NOTICE_DAYS": int(env.get("SEPA_NOTICE_DAYS", "14")),
        # The creditor named in the SEPA mandate's terms, and its identifier (ICS).
        "SEPA_CREDITOR_NAME": env.get("SEPA_CREDITOR_NAME", "Circuits courts solidaires"),
        "SEPA_CREDITOR_ID": env.get("SEPA_CREDITOR_ID", ""),
        **stripe_settings(env),
    }
    config.update(overrides)
    return config
