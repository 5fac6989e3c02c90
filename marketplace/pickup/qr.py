"""A household's pickup QR code: a link holding a signed token that names the household.

A volunteer scans it with the phone's camera; the link opens that household's line on the
checklist of the day. The token is signed with the app's SECRET_KEY (no column to store), so it
cannot be forged or pointed at another household; it carries nothing but the household's id.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from marketplace.mail import absolute_url

QR_SALT = "marketplace.pickup.household-qr"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=QR_SALT)


def household_token(user_id: int) -> str:
    return _serializer().dumps({"household": user_id})


def household_for_token(token: str) -> int | None:
    """The household id a token was signed for, or None when it is forged or damaged."""
    try:
        payload = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(payload, dict):
        return None
    household = payload.get("household")
    if not isinstance(household, int) or isinstance(household, bool) or household <= 0:
        return None
    return household


def scan_url(user_id: int) -> str:
    """The full link the QR code holds, on the site's public address."""
    return absolute_url("pickup_closing.scan", token=household_token(user_id))


def qr_svg(content: str, title: str) -> str:
    """The code as an inline <svg> element: no script and no style attribute, so the CSP holds.

    Error correction "M" survives a cracked phone screen; a scale of 5 keeps modules readable
    by a cheap camera at arm's length.
    """
    import segno  # only the pages that print codes need it

    code = segno.make(content, error="m", micro=False)
    return code.svg_inline(scale=5, border=4, title=title, dark="#000", light="#fff")
