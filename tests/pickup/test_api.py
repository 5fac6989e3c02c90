"""The checklist's JSON API: session auth with CSRF, JSON errors, OpenAPI description."""

from __future__ import annotations

import uuid

import pytest

from marketplace.baskets.models import Delivery
from marketplace.extensions import db
from marketplace.pickup.models import ChecklistTap
from tests import factories
from tests.helpers import login_id
from tests.pickup import scenario


def list_url(day_id):
    return f"/api/pickup/days/{day_id}/checklist"


def taps_url(day_id):
    return f"/api/pickup/days/{day_id}/taps"


def a_tap(target_id, action="collected", kind="delivery", **extra):
    return {
        "tap_id": str(uuid.uuid4()),
        "target_kind": kind,
        "target_id": target_id,
        "action": action,
        "tapped_at": "2026-05-12T18:05:00+02:00",
        **extra,
    }


@pytest.fixture
def setup(app):
    setup = scenario.make_day()
    scenario.add_households(setup, 3)
    db.session.commit()
    return setup


def test_volunteer_reads_the_list_with_counts_and_version(client, login, setup):
    login(scenario.volunteer(setup))
    db.session.commit()

    response = client.get(list_url(setup.day.id))

    assert response.status_code == 200
    body = response.get_json()
    assert [line["name"] for line in body["lines"]] == ["Foyer 0000", "Foyer 0001", "Foyer 0002"]
    assert body["counts"]["households"] == 3
    assert body["version"] and body["csrf_token"]
    assert "price" not in response.get_data(as_text=True)
    assert "Solidaire" not in response.get_data(as_text=True)


def test_post_taps_then_list_shows_them_and_version_changes(client, login, setup):
    login(scenario.volunteer(setup))
    db.session.commit()
    before = client.get(list_url(setup.day.id)).get_json()
    delivery_id = before["lines"][0]["baskets"][0]["delivery_id"]
    batch = {"taps": [a_tap(delivery_id)]}

    first = client.post(taps_url(setup.day.id), json=batch)
    replay = client.post(taps_url(setup.day.id), json=batch)

    assert first.status_code == 200
    assert first.get_json()["results"][0]["status"] == "applied"
    assert replay.get_json()["results"][0]["status"] == "already_applied"
    after = client.get(list_url(setup.day.id)).get_json()
    assert after["lines"][0]["baskets"][0]["state"] == "collected"
    assert after["version"] != before["version"]
    assert after["counts"]["baskets"][1]["collected"] == 1


def test_refused_tap_is_explained_per_tap(client, login, setup):
    login(scenario.volunteer(setup))
    other = scenario.make_day()
    theirs = scenario.add_basket(other)
    db.session.commit()

    response = client.post(taps_url(setup.day.id), json={"taps": [a_tap(theirs.id)]})

    result = response.get_json()["results"][0]
    assert (response.status_code, result["status"]) == (200, "refused")
    assert "pas sur la liste" in result["message"]


def test_not_logged_in_gets_json_401(client, setup):
    for response in (
        client.get(list_url(setup.day.id)),
        client.post(taps_url(setup.day.id), json={"taps": [a_tap(1)]}),
    ):
        assert response.status_code == 401
        assert response.is_json


def test_member_not_on_roster_gets_json_403(client, user_with_role, setup):
    user_with_role("member", setup.day.group)
    delivery_id = db.session.scalar(db.select(Delivery.id))

    for response in (
        client.get(list_url(setup.day.id)),
        client.post(taps_url(setup.day.id), json={"taps": [a_tap(delivery_id)]}),
    ):
        assert response.status_code == 403
        assert "bénévoles" in response.get_json()["message"]
    assert db.session.get(Delivery, delivery_id).state == "planned"


def test_coordinator_and_admin_may_read(client, login, user_with_role, setup, admin):
    assert client.get(list_url(setup.day.id)).status_code == 200
    user_with_role("coordinator", setup.day.group)
    assert client.get(list_url(setup.day.id)).status_code == 200


def test_unknown_day_gets_json_404(client, admin):
    response = client.get(list_url(999999))
    assert response.status_code == 404 and response.is_json


def test_closed_day_gets_409_with_per_tap_results(client, login, setup):
    login(scenario.volunteer(setup))
    factories.DayClosingFactory(distribution_day=setup.day)
    delivery_id = db.session.scalar(db.select(Delivery.id))
    db.session.commit()

    response = client.post(taps_url(setup.day.id), json={"taps": [a_tap(delivery_id)]})

    assert response.status_code == 409
    body = response.get_json()
    assert "clôturée" in body["message"]
    assert body["errors"]["results"][0]["status"] == "refused"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"taps": []},
        {"taps": [{"tap_id": "x"}]},
        {"taps": [a_tap(1, action="eaten")]},
        {"taps": [a_tap(1, tapped_at="2026-05-12T18:05:00")]},  # no time zone
        {"taps": [a_tap("un", kind="delivery")]},
        {"taps": [a_tap(1, note="x" * 301)]},
    ],
)
def test_malformed_batch_gets_json_422_and_changes_nothing(client, login, setup, body):
    login(scenario.volunteer(setup))
    db.session.commit()

    response = client.post(taps_url(setup.day.id), json=body)

    assert response.status_code == 422
    assert response.is_json and "errors" in response.get_json()
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(Delivery).where(Delivery.state != "planned")
        )
        == 0
    )


def test_csrf_token_is_required_and_accepted_from_the_header(make_app, setup):
    app = make_app(WTF_CSRF_ENABLED=True)
    volunteer = scenario.volunteer(setup)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(volunteer)
        session["_fresh"] = True
    delivery_id = db.session.scalar(db.select(Delivery.id))

    refused = client.post(taps_url(setup.day.id), json={"taps": [a_tap(delivery_id)]})
    token = client.get(list_url(setup.day.id)).get_json()["csrf_token"]
    accepted = client.post(
        taps_url(setup.day.id), json={"taps": [a_tap(delivery_id)]}, headers={"X-CSRFToken": token}
    )

    assert refused.status_code == 400 and refused.is_json
    assert accepted.status_code == 200
    assert accepted.get_json()["results"][0]["status"] == "applied"


def test_openapi_description_is_served(client):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/pickup/days/{day_id}/taps" in spec["paths"]
    assert "/api/pickup/days/{day_id}/checklist" in spec["paths"]


def test_html_pages_keep_their_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.content_type


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_tap_from_a_phone_with_a_wild_clock_is_refused_not_a_crash(client, login, setup, instant):
    """Found by the API's contract test: year 1 or 9999 overflowed on conversion to UTC."""
    login(scenario.volunteer(setup))
    db.session.commit()
    delivery_id = db.session.scalar(db.select(Delivery.id))
    response = client.post(
        taps_url(setup.day.id), json={"taps": [a_tap(delivery_id, tapped_at=instant)]}
    )
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(ChecklistTap.id))) == 0
