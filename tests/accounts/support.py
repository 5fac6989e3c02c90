"""Small helpers shared by the account tests."""

from __future__ import annotations

import html
import re

GOOD_PASSWORD = "Courges-et-potirons-2024"


def page_text(response) -> str:
    """The page as a person reads it: HTML entities (&#39; for an apostrophe...) decoded."""
    return html.unescape(response.get_data(as_text=True))


def link_in(text: str) -> str:
    """The path of the first link to this site found in an email body."""
    match = re.search(r"https?://[^/\s]+(/\S+)", text)
    assert match, f"no link in: {text}"
    return match.group(1)
