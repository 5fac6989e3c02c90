"""French typography in the site's own words: non-breaking spaces before « : ; ! ? » and
inside guillemets, the typographic apostrophe, hours as « 8 h 40 ». English is left alone,
and people's own texts (names, notes) are never changed."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.typography import NARROW_NBSP, NBSP, french_time, typeset_french
from tests import factories
from tests.helpers import login_id

# A plain space before a colon, semicolon, exclamation or question mark in a page's text.
PLAIN_SPACE_BEFORE = re.compile(r"\w [:;!?](?:\s|$)")
SCRIPTS_AND_STYLES = re.compile(r"<(script|style)\b.*?</\1>", re.S)


def visible_text(page: str) -> str:
    without_code = SCRIPTS_AND_STYLES.sub(" ", page)
    return html.unescape(re.sub(r"<[^>]+>", "\n", without_code))


@pytest.mark.parametrize(
    ("written", "typeset"),
    [
        ("Reste à payer : 12,00 €", f"Reste à payer{NBSP}: 12,00 €"),
        ("Vraiment ? Oui !", f"Vraiment{NARROW_NBSP}? Oui{NARROW_NBSP}!"),
        ("a ; b", f"a{NARROW_NBSP}; b"),
        ("« Donnés »", f"«{NBSP}Donnés{NBSP}»"),
        ("Aujourd'hui l'échéance", "Aujourd’hui l’échéance"),
        ("https://exemple.fr à 12:30", "https://exemple.fr à 12:30"),
        ("'%(name)s'", "'%(name)s'"),
    ],
)
def test_french_texts_are_typeset(written, typeset):
    assert typeset_french(written) == typeset
    assert typeset_french(typeset) == typeset  # idempotent


@pytest.fixture
def typeset_app(make_app):
    return make_app(FRENCH_TYPOGRAPHY=True)


def test_the_sites_words_are_typeset_in_french_only(typeset_app):
    with typeset_app.test_request_context():
        with force_locale("fr"):
            assert _("Reste à payer :") == f"Reste à payer{NBSP}:"
        with force_locale("en"):
            assert NBSP not in _("Reste à payer :")


def test_hours_read_the_french_way(typeset_app):
    evening = datetime(2027, 1, 12, 17, 40, tzinfo=UTC)  # 18:40 in Paris
    with typeset_app.test_request_context():
        with force_locale("fr"):
            assert french_time(evening) == f"18{NBSP}h{NBSP}40"
            assert french_time(time(20, 0)) == f"20{NBSP}h"
        with force_locale("en"):
            assert french_time(evening) == "6:40\u202fPM" or french_time(evening) == "6:40 PM"


def test_the_first_of_the_month_is_1er(typeset_app):
    with typeset_app.test_request_context():
        render = typeset_app.jinja_env.from_string("{{ day|date('long') }}")
        with force_locale("fr"):
            assert render.render(day=date(2027, 1, 1)) == f"1er{NBSP}janvier 2027"
            assert render.render(day=date(2027, 1, 11)) == "11 janvier 2027"
        with force_locale("en"):
            assert render.render(day=date(2027, 1, 1)) == "January 1, 2027"


def test_pages_have_no_plain_space_before_french_punctuation(typeset_app):
    group = factories.GroupFactory(slug="les-tilleuls", name="Les Tilleuls")
    member = factories.UserFactory(name="Foyer Martin : test")  # a person's own text
    factories.MembershipFactory(user=member, organisation=group, role="member")
    from marketplace.extensions import db

    db.session.commit()
    visitor = typeset_app.test_client()
    client = typeset_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(member)
    pages = {
        "/": visitor,
        "/compte/connexion": visitor,
        "/compte/inscription": visitor,
        "/tableau-de-bord": client,
        "/groupes/les-tilleuls": client,
        "/compte/profil": client,
    }
    for path, who in pages.items():
        response = who.get(path, headers={"Accept-Language": "fr"})
        assert response.status_code == 200, path
        text = visible_text(response.get_data(as_text=True))
        text = text.replace("Foyer Martin : test", "")  # left as the person wrote it
        assert not PLAIN_SPACE_BEFORE.findall(text), (path, PLAIN_SPACE_BEFORE.findall(text))
    dashboard = client.get("/tableau-de-bord").get_data(as_text=True)
    assert "Foyer Martin : test" in html.unescape(dashboard)  # people's words untouched
