"""HTTP security headers and the "denied unless said otherwise" login rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

STRIPE_HOOKS_ORIGIN = "https://hooks.stripe.com"  # Stripe's 3-D Secure frames
STRIPE_API_ORIGIN = "https://api.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(*, stripe_js_url: str, stripe_api_base: str | None) -> str:
    """The policy of the card pages: the default one, plus exactly the origins Stripe.js needs
    (its own, the API's; with the real Stripe, the 3-D Secure frames' too)."""
    js = _origin(stripe_js_url)
    api = _origin(stripe_api_base) if stripe_api_base else STRIPE_API_ORIGIN
    frames = " ".join(dict.fromkeys([js, *([] if stripe_api_base else [STRIPE_HOOKS_ORIGIN])]))
    connect = " ".join(dict.fromkeys([js, api]))
    return (
        CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {js}")
        .replace("connect-src 'self'", f"connect-src 'self' {connect}")
        .replace("default-src 'self'", f"default-src 'self'; frame-src {frames}")
    )


def tile_origin(tile_url: str) -> str:
    """The origin of a tile URL template; a {s} subdomain becomes a wildcard."""
    parts = urlsplit(tile_url.replace("{s}", "__s__"))
    host = parts.netloc.replace("__s__", "*")
    return f"{parts.scheme}://{host}"


def map_content_security_policy(tile_url: str) -> str:
    """The policy of the map page: the default one, plus images from the tile server."""
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", f"img-src 'self' data: {tile_origin(tile_url)}"
    )


View = TypeVar("View", bound=Callable)


def public(view: View) -> View:
    """Mark a view as open to visitors; every other view asks for a login."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def safe_next_url(target: str | None) -> str | None:
    """`target` if it is a path on this site; None for anything that could leave it."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # Browsers drop tabs and newlines in URLs, so "/\t/evil.example" would become "//evil...".
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _require_login_by_default():
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "is_public", False) or current_user.is_authenticated:
        return None
    return current_app.login_manager.unauthorized()


def _add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    if request.endpoint != "static" and current_user.is_authenticated:
        # A page for a logged-in person is theirs alone: no browser, proxy or shared computer
        # keeps a copy (the back button after logout must not show a statement).
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def init_security(app: Flask) -> None:
    app.before_request(_require_login_by_default)
    app.after_request(_add_security_headers)
