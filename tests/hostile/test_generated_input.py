"""Generated hostile values (hypothesis) posted to every form of the site as a person allowed
there (a site admin): huge and negative integers, far dates, NUL and control characters,
very long and odd Unicode. No answer is a 5xx, and a refused form (shown again with its errors,
or a 4xx) changed nothing in the database. The JSON API gets generated bodies too."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.extensions import db
from tests.helpers import login_id
from tests.hostile.test_authorization_matrix import world  # noqa: F401 - the fixture

EXAMPLES = 400  # about 20 s on SQLite

HOSTILE_INTEGERS = st.sampled_from(
    ["2147483648", "9223372036854775808", "-1", "-9223372036854775809", "1" + "0" * 30, "0"]
) | st.integers(min_value=-(2**70), max_value=2**70).map(str)
HOSTILE_DATES = st.sampled_from(
    ["9999-12-31", "0001-01-01", "9998-06-30", "1900-02-29", "2026-02-30", "31/12/9999"]
) | st.dates().map(str)
HOSTILE_TEXTS = (
    st.text(min_size=0, max_size=50)
    | st.sampled_from(["\x00", "a\x00b", "\x1b[31m", "\u202e", "\ud7ff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "' OR 1=1 --"])
    | st.text(alphabet=st.characters(codec="utf-8"), min_size=3000, max_size=6000)
)
HOSTILE = HOSTILE_INTEGERS | HOSTILE_DATES | HOSTILE_TEXTS

FIELD_NAME = re.compile(r'name="([^"]+)"')


def _form_targets(app, client) -> list[tuple[str, list[str]]]:
    """Every POST route that has a page (the same URL in GET), with its fields' names."""
    targets = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "POST" not in rule.methods or "GET" not in rule.methods:
            continue
        path = rule.rule.replace("<slug>", "les-tilleuls")
        path = re.sub(r"<int:\w+>", "1", path)
        path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
        page = client.get(path)
        if page.status_code != 200:
            continue
        names = sorted(set(FIELD_NAME.findall(page.get_data(as_text=True))) - {"csrf_token"})
        if names:
            targets.append((path, names))
    return targets


@pytest.fixture
def admin_client(app, world):  # noqa: F811 - the fixture imported above
    client = app.test_client()
    cookie_id = login_id(world["users"]["admin"])
    with client.session_transaction() as session:
        session["_user_id"] = cookie_id
    return client


# Rows a request may write whatever its outcome: the person's session being seen.
WRITTEN_BY_ANY_REQUEST = {"user_sessions"}


def database_fingerprint() -> dict[str, str]:
    """A digest of every table's rows, to tell whether a request changed anything."""
    digests = {}
    for table in db.metadata.sorted_tables:
        if table.name in WRITTEN_BY_ANY_REQUEST:
            continue
        rows = db.session.execute(table.select().order_by(*table.primary_key.columns)).all()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.session.rollback()
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name, digest in after.items() if before.get(name) != digest)


def test_generated_values_never_break_a_form(app, admin_client):
    targets = _form_targets(app, admin_client)
    assert len(targets) >= 10
    counts = {"posts": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def post_hostile_values(data):
        path, names = data.draw(st.sampled_from(targets))
        form = {name: data.draw(HOSTILE, label=name) for name in names}
        before = database_fingerprint()
        response = admin_client.post(path, data=form)
        db.session.rollback()
        counts["posts"] += 1
        assert response.status_code < 500, (path, form, response.status_code)
        if response.status_code == 200 or response.status_code >= 400:
            # Refused: the form came back with its errors, or the request was refused.
            changed = changed_tables(before, database_fingerprint())
            assert not changed, (path, form, response.status_code, changed)

    post_hostile_values()
    assert counts["posts"] == EXAMPLES


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | HOSTILE_INTEGERS.map(int) | HOSTILE_TEXTS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["id", "target_id", "action", "kind", "taps"]), children)
    ),
    max_leaves=12,
)


def test_generated_bodies_never_break_the_json_api(app, admin_client):
    paths = [
        re.sub(r"<int:\w+>", "1", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and "POST" in rule.methods
    ]
    assert paths

    @settings(max_examples=100, deadline=None, database=None)
    @given(path=st.sampled_from(paths), body=JSON_VALUES)
    def post_json(path, body):
        before = database_fingerprint()
        response = admin_client.post(path, json=body)
        db.session.rollback()
        assert response.status_code < 500, (path, body, response.status_code)
        if response.status_code >= 400:
            changed = changed_tables(before, database_fingerprint())
            assert not changed, (path, body, response.status_code, changed)

    post_json()
