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
from datetime import date, datetime, time
from functools import lru_cache

from flask import Flask, current_app, has_app_context
from flask_babel import Domain, format_date, format_time, get_locale, get_translations

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


@lru_cache(maxsize=8192)
def typeset_french(text: str) -> str:
    """`text` with French spacing and apostrophes; idempotent. Remembered: the site's words
    are a few thousand texts, typeset once per worker instead of on every page."""
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


# (locale, typography on, message) → the text shown. The catalogues do not change while a
# worker runs, so a text is looked up and typeset once; bounded against texts built at run time.
_LOOKED_UP: dict[tuple, str] = {}
_LOOKED_UP_MAX = 20_000


def translate(message: str) -> str:
    """gettext of `message` for the current locale, remembered per worker (a page asks for
    dozens of texts; Flask-Babel's lookup and the typesetting cost more than the page's own
    work of a cached list)."""
    key = (get_locale(), enabled(), message)
    found = _LOOKED_UP.get(key)
    if found is None:
        found = extensions.babel.domain_instance.get_translations().ugettext(message)
        if len(_LOOKED_UP) >= _LOOKED_UP_MAX:
            _LOOKED_UP.clear()
        _LOOKED_UP[key] = found
    return found


class TypesetDomain(Domain):
    """Flask-Babel's domain, with French texts typeset on their way out."""

    def gettext(self, string, **variables):
        text = translate(string) if self is extensions.babel.domain_instance else None
        if text is None:
            text = self.get_translations().ugettext(string)
        return text if not variables else text % variables

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
    """Babel's date, with « 1er » for the first of the month in French. A day (no time of day,
    so no time zone) is written once per worker and language: pages repeat the same few."""
    if type(value) is not date:
        return _french_date(value, style)
    key = (value, style, get_locale(), enabled())
    found = _DATES.get(key)
    if found is None:
        if len(_DATES) >= _DATES_MAX:
            _DATES.clear()
        found = _DATES[key] = _french_date(value, style)
    return found


_DATES: dict[tuple, str] = {}
_DATES_MAX = 4096


def _french_date(value, style: str) -> str:
    text = format_date(value, style)
    return _FIRST_OF_MONTH.sub(f"1er{NBSP}", text) if _french() else text


def init_typography(app: Flask) -> None:
    """Every gettext of the site goes through the typesetting domain (one Babel for all apps:
    the domain reads each app's FRENCH_TYPOGRAPHY when it runs)."""
    extensions.babel.domain_instance = TypesetDomain(
        domain=app.config.get("BABEL_DOMAIN", "messages")
    )
    _LOOKED_UP.clear()
    app.jinja_env.install_gettext_callables(
        gettext=translate,
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["time"] = french_time
    app.jinja_env.filters["date"] = french_date
