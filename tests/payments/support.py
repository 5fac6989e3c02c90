"""Helpers shared by the statement tests."""

from __future__ import annotations

from werkzeug.test import TestResponse

from tests.organisations.pages import page_text


def readable(response: TestResponse) -> str:
    """The page's text with the narrow and non-breaking spaces of French amounts made plain,
    so a test can look for "45,50 €" as a person reads it."""
    return page_text(response).replace("\u202f", " ").replace("\xa0", " ")
