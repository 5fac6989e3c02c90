"""Configuration: safe defaults for development, the environment for everything secret."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
LOCALSTRIPE_SECRET_KEY = "sk_test_localstripe"  # noqa: S105 - public test key of localstripe
LOCALSTRIPE_WEBHOOK_SECRET = "whsec_localstripe"  # noqa: S105 - public, development only


def stripe_settings(
    env: os._Environ | dict[str, str], *, development: bool = True
) -> dict[str, Any]:
    """Real Stripe when STRIPE_SECRET_KEY is given; otherwise a local `localstripe` server
    (started by `make run`), with test keys it accepts.

    The localstripe webhook secret is public: it is the default only in development without
    a real key. Anywhere else an unset STRIPE_WEBHOOK_SECRET is empty, and the webhook
    refuses every event (production refuses to start)."""
    real = bool(env.get("STRIPE_SECRET_KEY"))
    default_webhook_secret = LOCALSTRIPE_WEBHOOK_SECRET if development and not real else ""
    api_base = env.get("STRIPE_API_BASE", "" if real else LOCALSTRIPE_URL).strip() or None
    default_js = f"{api_base}/js.stripe.com/v3/" if api_base else "https://js.stripe.com/v3/"
    return {
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", LOCALSTRIPE_SECRET_KEY),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe"),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", default_webhook_secret),
        "STRIPE_API_BASE": api_base,  # None: the real Stripe API
        "STRIPE_JS_URL": env.get("STRIPE_JS_URL", default_js),
    }


def environment_name(overrides: dict[str, Any], env: os._Environ | dict[str, str]) -> str:
    """`production` unless told otherwise: a forgotten setting must never open the site with
    development defaults. `make run` and the tests say `development` / TESTING."""
    name = str(overrides.get("MARKETPLACE_ENV") or env.get("MARKETPLACE_ENV") or "").strip()
    if not name:
        name = "development" if overrides.get("TESTING") else "production"
    if name not in ENVIRONMENTS:
        raise RuntimeError(f"MARKETPLACE_ENV must be one of {', '.join(ENVIRONMENTS)}: {name!r}")
    return name


ENVIRONMENTS = ("production", "development")


def _secret_key(overrides, env, instance_path: Path, development: bool) -> str:
    key = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if key:
        return key
    # Production never invents its own secret: it refuses to start (production_problems).
    return development_secret(instance_path) if development else ""


def _trusted_hosts(env, base_url: str, development: bool) -> list[str] | None:
    """The host names the site answers to: PUBLIC_BASE_URL's, and TRUSTED_HOSTS (comma
    separated). Any host in development, unless TRUSTED_HOSTS is set."""
    listed = [host.strip() for host in env.get("TRUSTED_HOSTS", "").split(",") if host.strip()]
    if development and not listed:
        return None
    public = urlsplit(base_url).hostname
    return list(dict.fromkeys([*([public] if public else []), *listed]))


def build_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    env = os.environ
    environment = environment_name(overrides, env)
    development = environment == "development"
    url = overrides.get("SQLALCHEMY_DATABASE_URI") or database_url(instance_path)
    # Cookies travel over HTTPS only in production, unless SESSION_COOKIE_SECURE=0 (refused).
    secure_cookies = env.get("SESSION_COOKIE_SECURE", "0" if development else "1") == "1"
    base_url = env.get(
        "PUBLIC_BASE_URL",
        f"http://127.0.0.1:{env.get('PORT', '5000')}" if development else "",
    )
    config: dict[str, Any] = {
        "MARKETPLACE_ENV": environment,
        "SECRET_KEY": _secret_key(overrides, env, instance_path, development),
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        # "Remember me" keeps a person logged in on this device for this long, unless the
        # session is ended (logout, password change, the sessions page).
        "REMEMBER_COOKIE_DURATION": timedelta(days=int(env.get("REMEMBER_DAYS", "30"))),
        # A session not remembered ends this long after the login, whatever happens.
        "SESSION_MAX_AGE": timedelta(hours=int(env.get("SESSION_MAX_AGE_HOURS", "24"))),
        # The host names the site answers to (Flask refuses other Host headers with 400).
        "TRUSTED_HOSTS": _trusted_hosts(env, base_url, development),
        # Requests larger than this are refused with 413 before anything reads them; the
        # photo form is the largest legitimate body.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(12 * 1024 * 1024))),
        # How many reverse proxies stand in front of the app (their X-Forwarded-* headers are
        # believed); 0 when the app faces the network directly.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "BABEL_DEFAULT_LOCALE": "fr",
        # French spacing, apostrophes and « 8 h 40 » in the site's own words (typography.py).
        "FRENCH_TYPOGRAPHY": True,
        "BABEL_DEFAULT_TIMEZONE": DISPLAY_TIMEZONE,
        "LANGUAGES": LANGUAGES,
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") == "1",
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Login attempts per client address (behind a proxy: set TRUSTED_PROXIES), and failed
        # attempts per account, whatever the address. Counted in RATELIMIT_STORAGE_URI,
        # shared by every process (redis://... in production; memory:// is per process).
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per hour"),
        "PASSWORD_RESET_RATE_LIMIT": "5 per hour",
        "PASSWORD_RESET_MAX_AGE": 3600,
        # Signing in by an emailed link: asked as often as a reset, valid a quarter of an hour.
        "LOGIN_LINK_RATE_LIMIT": "5 per hour",
        "LOGIN_LINK_MAX_AGE": 900,
        # Accounts nobody has signed in to for this long are anonymised (privacy/jobs.py).
        "ACCOUNT_INACTIVE_DAYS": int(env.get("ACCOUNT_INACTIVE_DAYS", str(3 * 365))),
        # "folder" writes each message to instance/mail/ for a newcomer to read; "smtp" sends it.
        "MAIL_BACKEND": env.get("MAIL_BACKEND", "folder"),
        "MAIL_FOLDER": str(instance_path / "mail"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_STARTTLS": env.get("MAIL_USE_STARTTLS", "0") == "1",
        # The outbox: the first retry after OUTBOX_RETRY_SECONDS, then twice as long each time.
        "OUTBOX_RETRY_SECONDS": int(env.get("OUTBOX_RETRY_SECONDS", "60")),
        "OUTBOX_MAX_ATTEMPTS": int(env.get("OUTBOX_MAX_ATTEMPTS", "8")),
        # Try a transaction's emails right after its commit (the job retries what fails).
        "OUTBOX_SEND_AT_ONCE": env.get("OUTBOX_SEND_AT_ONCE", "1") == "1",
        "OUTBOX_AT_ONCE_TIMEOUT": float(env.get("OUTBOX_AT_ONCE_TIMEOUT", "10")),
        "MAIL_SENDER": env.get(
            "MAIL_SENDER", "Circuits courts solidaires <ne-pas-repondre@localhost>"
        ),
        # Where people reach the site: every link in emails, QR codes and calendar feeds.
        "PUBLIC_BASE_URL": base_url,
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
        # Shared by every replica: readiness checks it, caches that must agree across
        # processes live there (empty: none, a single process in development).
        "REDIS_URL": env.get("REDIS_URL", ""),
        # The map's tiles (a URL template with {z}/{x}/{y}, maybe {s}); the map page's
        # Content-Security-Policy allows images from this server's origin only.
        "MAP_TILE_URL": env.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "MAP_TILE_ATTRIBUTION": env.get("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors"),
        # Documents of a group: the largest file a coordinator may upload (bytes).
        "DOCUMENT_MAX_BYTES": int(env.get("DOCUMENT_MAX_BYTES", str(8 * 1024 * 1024))),
        # When set, /metrics asks for `Authorization: Bearer <token>`.
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
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
        **stripe_settings(env, development=development),
    }
    config.update(overrides)
    return config


def production_problems(config: dict[str, Any]) -> list[str]:
    """The development defaults a production configuration still holds (empty: none)."""
    if config.get("TESTING") or config["MARKETPLACE_ENV"] != "production":
        return []
    problems = []
    if len(config.get("SECRET_KEY") or "") < 32:
        problems.append("SECRET_KEY: set a random secret of at least 32 characters")
    if config["STRIPE_SECRET_KEY"] == LOCALSTRIPE_SECRET_KEY:
        problems.append("STRIPE_SECRET_KEY: the real Stripe key (localstripe is for development)")
    if not config["STRIPE_WEBHOOK_SECRET"] or (
        config["STRIPE_WEBHOOK_SECRET"] == LOCALSTRIPE_WEBHOOK_SECRET
    ):
        problems.append("STRIPE_WEBHOOK_SECRET: the endpoint's signing secret from Stripe")
    if not (config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]):
        problems.append("SESSION_COOKIE_SECURE: cookies must travel over HTTPS only (1)")
    base = urlsplit(config.get("PUBLIC_BASE_URL") or "")
    if base.scheme != "https" or not base.hostname:
        problems.append("PUBLIC_BASE_URL: the site's https:// address")
    if not config.get("TRUSTED_HOSTS"):
        problems.append("TRUSTED_HOSTS: the host names the site answers to")
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://") and config.get(
        "RATELIMIT_ENABLED"
    ):
        problems.append("RATELIMIT_STORAGE_URI: a shared store, e.g. redis://localhost:6379/0")
    return problems
