"""The checklist page's HTML, rendered once per version of the list, language and context.

Beside the rows and counts (kept by checklist.py), the page's frame (header, labels, the
week's baskets) costs as much as the rest of the request. A source that can say what its page
context holds (`ChecklistSource.page_context_key`) gets its whole page kept: it is rendered
with markers in place of what changes on every request (the CSRF token, the instant the list
was read), which are put in the kept text per request. A request carrying flashed messages or
a query string renders the page afresh, as does a source whose context has no key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from marketplace.pickup.checklist import Checklist, RowsCache, rendered_key

_EXTENSION = "pickup_checklist_pages"
# Unguessable: no text of the list (a name, a note) can carry them.
_CSRF = f"csrf-{secrets.token_hex(16)}"
_AS_OF = f"as-of-{secrets.token_hex(16)}"


def page_html(
    template: str,
    checklist: Checklist,
    context_key: str | None,
    context: Callable[[], dict[str, Any]],
) -> str:
    """The page `template` renders from `checklist` and `context()`."""
    if context_key is None or session.get("_flashes") or request.query_string:
        return render_template(template, checklist=checklist, **context())
    store = current_app.extensions.setdefault(_EXTENSION, RowsCache())
    key = (
        *rendered_key(template, checklist),
        bool(current_user.is_authenticated),
        # The version covers the lines; the heading (place, hours) may change apart.
        hashlib.sha256(repr((checklist.heading, context_key)).encode()).hexdigest(),
    )
    kept = store.get_or_render(
        key,
        lambda: render_template(
            template,
            checklist=dataclasses.replace(checklist, as_of_us=_AS_OF),
            csrf_token=lambda: _CSRF,
            **context(),
        ),
    )
    return kept.replace(_CSRF, generate_csrf()).replace(_AS_OF, str(checklist.as_of_us))
