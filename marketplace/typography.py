"""French typography for the site's own words: set once, where French text is produced.

The interface's texts are written in French in the source (they are the catalogue's msgids)
with ordinary spaces. When the reader's language is French, every text that goes through
gettext (pages, emails, flash messages) is given:

- a non-breaking space before « : », a narrow one before « ; ! ? », inside « guillemets »;
- the typographic apostrophe (’);
hours are written « 8 h 40 » (the `time` filter) and the first of a month « 1er janvier » (the
`date` filter).

People's own texts (names, notes) are never touched: only the site's words are. English gets
nothing of this. `FRENCH_TYPOGRAPHY = False` turns it off (the tests that read pages compare
plain text; tests/test_typography.py checks it on).
"""

from __future__ import annotations

import gettext as gettext_module
import re
from datetime import datetime, time

from flask import Flask, current_app, has_app_context
from flask_babel import Domain, format_date, format_time, get_locale

from marketplace import extensions
from marketplace.timezones import to_paris

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"

_BEFORE_COLON = re.compile(r"(?<=\S) :(?=\s|$)")  # "Total :" but not "http://", "12:30"
_BEFORE_PUNCTUATION = re.compile(r"(?<=\S) ([;!?])")
_AFTER_OPENING_QUOTE = re.compile(r"« ")
_BEFORE_CLOSING_QUOTE = re.compile(r" »")
# A straight apostrophe between letters (l'échéance, aujourd'hui), not a quote around a value.
_APOSTROPHE = re.compile(r"(?<=[A-Za-zÀ-ÿ])'(?=[A-Za-zÀ-ÿ])")


def typeset_french(text: str) -> str:
    """`text` with French spacing and apostrophes; idempotent."""
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = _BEFORE_PUNCTUATION.sub(NARROW_NBSP + r"\1", text)
    text = _AFTER_OPENING_QUOTE.sub("«" + NBSP, text)
    text = _BEFORE_CLOSING_QUOTE.sub(NBSP + "»", text)
    return _APOSTROPHE.sub("’", text)


def enabled() -> bool:
    return has_app_context() and current_app.config.get("FRENCH_TYPOGRAPHY", True)


def _french() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "fr" and enabled()


def _typeset_if_enabled(text: str) -> str:
    return typeset_french(text) if enabled() else text


class _FrenchTypesetter(gettext_module.NullTranslations):
    """The French catalogue is empty (French is the source), so every lookup falls back here:
    the msgid comes back typeset."""

    def gettext(self, message):
        return _typeset_if_enabled(message)

    def ngettext(self, msgid1, msgid2, n):
        return _typeset_if_enabled(msgid1 if n == 1 else msgid2)

    def pgettext(self, context, message):
        return _typeset_if_enabled(message)

    def npgettext(self, context, msgid1, msgid2, n):
        return _typeset_if_enabled(msgid1 if n == 1 else msgid2)

    # babel's Translations names them with a `u` too
    ugettext = gettext
    ungettext = ngettext
    upgettext = pgettext
    unpgettext = npgettext


class TypesetDomain(Domain):
    """Flask-Babel's domain, with French texts typeset on their way out."""

    def get_translations(self):
        translations = super().get_translations()
        locale = get_locale()
        french = locale is not None and locale.language == "fr"
        if french and not getattr(translations, "_typeset", False):
            translations.add_fallback(_FrenchTypesetter())
            translations._typeset = True
        return translations


def french_time(value: datetime | time, style: str = "short") -> str:
    """« 8 h 40 », « 20 h » in French; the locale's usual form otherwise."""
    if _french() and style == "short":
        moment = to_paris(value).time() if isinstance(value, datetime) else value
        return f"{moment.hour}{NBSP}h" + (f"{NBSP}{moment.minute:02d}" if moment.minute else "")
    return format_time(value, style)


_FIRST_OF_MONTH = re.compile(
    r"\b1 (?=(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
    r"décembre)\b)"
)


def french_date(value, style: str = "full") -> str:
    """Babel's date, with « 1er » for the first of the month in French."""
    text = format_date(value, style)
    return _FIRST_OF_MONTH.sub(f"1er{NBSP}", text) if _french() else text


def init_typography(app: Flask) -> None:
    """Every gettext of the site goes through the typesetting domain (one Babel for all apps:
    the domain reads each app's FRENCH_TYPOGRAPHY when it runs)."""
    extensions.babel.domain_instance = TypesetDomain(
        domain=app.config.get("BABEL_DOMAIN", "messages")
    )
    app.jinja_env.filters["time"] = french_time
    app.jinja_env.filters["date"] = french_date
