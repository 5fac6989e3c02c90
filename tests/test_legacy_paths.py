"""The site's addresses are French; the old English ones answer with a permanent redirect.

This file holds old paths on purpose (url-rename: skip).
"""

from __future__ import annotations

import re

import pytest

from marketplace.legacy_paths import build_legacy_map, legacy_rules
from tests import factories

# Paths that machines call: they keep their addresses.
MACHINE_PREFIXES = ("/api/", "/static/", "/healthz", "/readyz", "/metrics", "/stripe/webhook")
MACHINE_PATHS = {"/favicon.ico"}

# English words no address of the site may hold any more (split on / - . _).
ENGLISH_WORDS = {
    "account", "login", "logout", "register", "profile", "password", "forgot", "reset", "end",
    "others", "dashboard", "groups", "group", "manage", "members", "add", "remove", "delete",
    "edit", "new", "households", "import", "invite", "payments", "payment", "record", "bulk",
    "arrears", "books", "cash", "payouts", "file", "producers", "statement", "statements", "my",
    "remit", "remittances", "calendar", "resume", "suspend", "card", "cancel", "attempt", "retry",
    "stop", "stops", "credits", "carry", "refund", "direct", "debit", "debits", "mandate",
    "contracts", "print", "revoke", "sign", "batches", "collected", "items", "return", "settings",
    "lines", "ignore", "match", "membership", "receipt", "offers", "sizes", "tiers", "archive",
    "publish", "restore", "approve", "refuse", "accept", "pickup", "points", "deactivate",
    "reactivate", "prefinancing", "subscriptions", "subscribe", "waiting", "list", "withdraw",
    "join", "leave", "fund", "give", "baskets", "absent", "days", "week", "copy", "availability",
    "bank", "checklist", "offline", "confirm", "all", "close", "report", "signoff",
    "groceries", "language", "products",
}  # fmt: skip


def _is_machine(rule: str) -> bool:
    return rule in MACHINE_PATHS or rule.startswith(MACHINE_PREFIXES)


def _words(rule: str) -> set[str]:
    literal = re.sub(r"<[^>]*>", "", rule)
    return {word for word in re.split(r"[/\-._]", literal) if word}


def test_no_address_of_the_site_has_an_english_word_left(app):
    english = {
        rule.rule: sorted(_words(rule.rule) & ENGLISH_WORDS)
        for rule in app.url_map.iter_rules()
        if not _is_machine(rule.rule) and _words(rule.rule) & ENGLISH_WORDS
    }
    assert english == {}


def test_every_old_rule_leads_to_an_endpoint_that_exists(app):
    rules = legacy_rules()
    assert len(rules) > 150
    for rule, endpoint, methods in rules:
        assert endpoint in app.view_functions, (rule, endpoint)
        current = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
        assert current and current[0].rule != rule, rule
        assert set(methods) <= current[0].methods, rule
        assert not _is_machine(rule), rule
    assert len({(rule, tuple(methods)) for rule, _, methods in rules}) == len(rules)
    build_legacy_map(app)  # every converter known


def _example(rule: str) -> tuple[str, dict]:
    """A path of `rule` with made-up values, and those values."""
    values = {}

    def fill(match: re.Match) -> str:
        converter, _, name = match.group(1).rpartition(":")
        value = 7 if converter == "int" else f"x-{name.replace('_', '-')}"
        values[name] = value
        return str(value)

    return re.sub(r"<([^>]*)>", fill, rule), values


@pytest.mark.parametrize("rule, endpoint, methods", legacy_rules())
def test_every_old_path_is_sent_for_good_to_its_new_address(app, client, rule, endpoint, methods):
    """Each old rule, with made-up values: 301 (GET) or 308 (other methods) to url_for's address,
    the query string kept."""
    path, values = _example(rule)
    method = "GET" if "GET" in methods else methods[0]
    response = client.open(f"{path}?a=1&b=%C3%A9t%C3%A9", method=method)
    assert response.status_code == (301 if method == "GET" else 308)
    with app.test_request_context():
        from flask import url_for

        expected = url_for(endpoint, **values)
    assert response.headers["Location"] == f"{expected}?a=1&b=%C3%A9t%C3%A9"
    assert not response.headers["Location"].startswith("//")


@pytest.mark.parametrize(
    "old, new",
    [
        ("/account/login", "/compte/connexion"),
        ("/account/login/link/abc123", "/compte/connexion/lien/abc123"),
        ("/account/password/reset/tok.en-1", "/compte/mot-de-passe/nouveau/tok.en-1"),
        ("/dashboard", "/tableau-de-bord"),
        ("/groups/tilleuls", "/groupes/tilleuls"),
        ("/groups/tilleuls/manage/offers/3/sizes/new", "/groupes/tilleuls/gestion/offres/3/tailles/nouveau"),  # noqa: E501
        ("/groups/tilleuls/manage/books/producers/4/account", "/groupes/tilleuls/gestion/comptabilite/producteurs/4/compte"),  # noqa: E501
        ("/groups/tilleuls/manage/direct-debits/batches/5/pain008.xml", "/groupes/tilleuls/gestion/prelevements/lots/5/pain008.xml"),  # noqa: E501
        ("/producers/combes/availability/tilleuls", "/producteurs/combes/disponibilites/tilleuls"),
        ("/groceries/le-panier", "/epiceries/le-panier"),
        ("/offers/3/days/9/week", "/offres/3/distributions/9/semaine"),
        ("/subscriptions/12", "/contrats/12"),
        ("/my/baskets", "/mes-paniers"),
        ("/pickup/days", "/distributions/"),
        ("/pickup/days/9/checklist", "/distributions/9/liste"),
        ("/pickup/stops/9/checklist", "/distributions/arrets/9/liste"),
        ("/pickup/scan/Zm9v-YmFy_", "/distributions/scan/Zm9v-YmFy_"),
        ("/pickup/checklist-sw.js", "/distributions/liste-sw.js"),
        ("/products/5/photo", "/produits/5/photo"),
        ("/week-baskets/5/photo", "/paniers-de-la-semaine/5/photo"),
    ],
)  # fmt: skip
def test_old_addresses_of_each_part_of_the_site(client, old, new):
    response = client.get(old)
    assert response.status_code == 301
    assert response.headers["Location"] == new
    assert client.head(old).status_code == 301


def test_a_form_left_open_on_an_old_address_still_posts(client):
    """308: the browser posts again, the same form, to the new address."""
    response = client.post("/account/login?next=/dashboard", data={"email": "a@example.org"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/compte/connexion?next=/dashboard"
    assert client.post("/groups/tilleuls/leave").status_code == 308
    assert client.post("/groups/tilleuls/leave").headers["Location"] == "/groupes/tilleuls/quitter"


def test_an_old_address_with_another_method_is_not_found(client):
    assert client.get("/account/logout").status_code == 404


def test_a_printed_qr_code_still_reaches_the_scan_page(client, login):
    """A code printed before: the scan page reads its token (here a forged one, refused)."""
    login(factories.UserFactory())
    response = client.get("/pickup/scan/abc", follow_redirects=True)
    assert response.history[0].status_code == 301
    assert response.request.path == "/distributions/scan/abc"
    assert response.status_code == 400  # the page that says the code is not one of ours


def test_an_emailed_login_link_still_opens(client):
    response = client.get("/account/login/link/some-token", follow_redirects=True)
    assert response.request.path == "/compte/connexion/lien/some-token"
    assert response.status_code in (200, 400)  # a made-up token: the page says so


def test_the_new_addresses_answer_as_before(client, login):
    assert client.get("/compte/connexion").status_code == 200
    assert client.get("/tableau-de-bord").status_code == 302  # to the login page
    login(factories.UserFactory())
    assert client.get("/tableau-de-bord").status_code == 200
    assert client.get("/mes-paniers").status_code == 200
    assert client.get("/distributions/").status_code == 200


def test_an_old_looking_path_out_of_bounds_is_not_found(client):
    """The old rules use the site's converters: an id beyond the database is not an address."""
    assert client.get("/subscriptions/99999999999").status_code == 404
    assert client.get("/groups/a/b/c/d/e").status_code == 404


def test_an_unknown_address_is_still_the_french_404_page(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "introuvable" in response.get_data(as_text=True).lower()


def test_the_api_keeps_its_addresses_and_is_never_redirected(client):
    response = client.get("/api/pickup/days/1/checklist")
    assert response.status_code in (401, 403, 404)
    assert "Location" not in response.headers
    response = client.get("/api/groups/tilleuls")
    assert response.status_code == 404
    assert response.is_json


def test_a_redirect_never_leaves_the_site(client):
    for path in ("//evil.example/account/login", "/account/login/..%2F..%2Fevil.example"):
        response = client.get(path)
        location = response.headers.get("Location", "")
        assert not location.startswith("//") and "://" not in location
