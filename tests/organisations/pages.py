"""Test helpers for the pages of groups, producers and groceries."""

from __future__ import annotations

import html

from flask import g
from werkzeug.test import TestResponse

from marketplace.extensions import db


def page_text(response: TestResponse) -> str:
    """What a person reads: the HTML with entities (&#39; ...) decoded."""
    return html.unescape(response.get_data(as_text=True))


def as_new_request() -> None:
    """Start the next request as a real one would: the tests keep one app context, so `g`
    (where Flask-Login caches the logged-in person) and the session outlive each request."""
    g.pop("_login_user", None)
    db.session.expire_all()
