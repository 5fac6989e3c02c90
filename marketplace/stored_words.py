"""Sentences the site writes into the database, shown in the reader's language.

A row keeps the sentence's kind (a key of a table of words) and its parameters beside its
French text. Every domain that stores such sentences (ledger entries, distribution days'
notes, donated baskets) reads them back through these two functions, so that a row written
before kinds existed, or a person's own text, is shown as stored and never translated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale

Words = Mapping[str, Callable[[Mapping[str, Any]], str]]


def in_reader_language(
    words: Words, stored: str, key: str | None, params: Mapping[str, Any] | None
) -> str:
    """The kind's words in the locale in force; the stored text when there is no kind, an
    unknown one, or parameters of another shape."""
    if key is None or key not in words:
        return stored
    try:
        return words[key](params or {})
    except (KeyError, TypeError, ValueError):
        return stored


def in_french(words: Words, key: str, params: Mapping[str, Any] | None, max_length: int) -> str:
    """The kind's words as the row stores them: in French, whatever the request's language."""
    locale = current_app.config["BABEL_DEFAULT_LOCALE"] if has_app_context() else "fr"
    with force_locale(locale):
        return words[key](params or {})[:max_length]
