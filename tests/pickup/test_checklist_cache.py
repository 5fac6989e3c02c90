"""The day's list is built once per version of it: a request that finds it kept runs a few
narrow queries and builds nothing; any change to the list gives a new version."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.pickup import roster
from tests import factories
from tests.helpers import count_queries, login_id
from tests.pickup import scenario


def page_url(day_id):
    return f"/distributions/{day_id}/liste"


def api_url(day_id):
    return f"/api/pickup/days/{day_id}/checklist"


def _warm_day(client, households: int = 3):
    setup = scenario.make_day()
    scenario.add_households(setup, households)
    volunteer = scenario.volunteer(setup)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(volunteer)
    return setup


def _built(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = roster.household_lines

    def counting(day_id):
        calls.append(day_id)
        return original(day_id)

    monkeypatch.setattr("marketplace.pickup.day_source.household_lines", counting)
    return calls


def test_a_warm_request_builds_nothing_and_runs_few_queries(client, app, monkeypatch):
    setup = _warm_day(client)
    day_id = setup.day.id
    builds = _built(monkeypatch)
    assert client.get(page_url(day_id)).status_code == 200
    assert client.get(api_url(day_id)).status_code == 200
    assert len(builds) == 1  # the page and the API share the built list

    with count_queries() as page:
        assert client.get(page_url(day_id)).status_code == 200
    with count_queries() as listing:
        response = client.get(api_url(day_id))

    assert len(builds) == 1
    # The session and its user, then the day with the permission and the list's version (one
    # query); the week's announced baskets are kept with the list (its version covers them).
    assert listing.count == 2, listing.statements
    assert page.count == listing.count, page.statements
    body = response.get_json()
    assert len(body["lines"]) == 3 and body["csrf_token"] and body["as_of_us"] > 0


def test_a_tap_an_order_or_a_closing_gives_a_new_version(client, app, monkeypatch):
    setup = _warm_day(client)
    day_id = setup.day.id
    builds = _built(monkeypatch)
    first = client.get(api_url(day_id)).get_json()

    household = factories.UserFactory(name="Aaron Nouveau")
    scenario.add_order(setup, user=household)
    db.session.commit()
    second = client.get(api_url(day_id)).get_json()
    assert len(builds) == 2
    assert second["version"] != first["version"]
    assert "Aaron Nouveau" in {line["name"] for line in second["lines"]}

    factories.DayClosingFactory(distribution_day=setup.day)
    db.session.commit()
    third = client.get(api_url(day_id)).get_json()
    assert third["closed"] is True and len(builds) == 3


def test_the_page_at_1000_households_stays_under_200_kb(client, app):
    setup = _warm_day(client, households=1000)

    response = client.get(page_url(setup.day.id))

    assert response.status_code == 200
    assert len(response.data) < 200_000
    page = response.get_data(as_text=True)
    assert page.count('["u') == 1000 and "Foyer 0999" in page


def test_a_name_cannot_break_out_of_the_pages_data(client, app):
    setup = _warm_day(client, households=1)
    household = factories.UserFactory(name="</script><script>alert(1)</script> & co")
    scenario.add_basket(setup, user=household)
    db.session.commit()

    page = client.get(page_url(setup.day.id)).get_data(as_text=True)

    assert "<script>alert" not in page and "</script><script>" not in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in page


def test_replicas_share_the_built_list_through_redis(client, app, monkeypatch, redis_url):
    from redis import Redis

    shared = Redis.from_url(redis_url)
    shared.delete(*shared.keys("checklist:*") or ["none"])
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.delitem(app.extensions, "redis", raising=False)
    setup = _warm_day(client)
    builds = _built(monkeypatch)
    kept_locally = len(app.extensions.get("pickup_checklist_lists") or ())

    first = client.get(api_url(setup.day.id)).get_json()
    again = client.get(api_url(setup.day.id)).get_json()

    assert len(builds) == 1 and first["lines"] == again["lines"]
    assert shared.keys("checklist:*")
    # Nothing more kept in the worker itself.
    assert len(app.extensions.get("pickup_checklist_lists") or ()) == kept_locally
    shared.delete(*shared.keys("checklist:*"))


def test_without_its_redis_the_list_is_still_served(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delitem(app.extensions, "redis", raising=False)
    setup = _warm_day(client)

    response = client.get(api_url(setup.day.id))

    assert response.status_code == 200 and len(response.get_json()["lines"]) == 3


def _tap(delivery_id: int, tap_id: str, action: str = "collected") -> dict:
    return {
        "taps": [
            {
                "tap_id": tap_id,
                "target_kind": "delivery",
                "target_id": delivery_id,
                "action": action,
                "tapped_at": "2026-06-04T17:30:00+00:00",
            }
        ]
    }


def test_taps_build_no_list_and_the_next_read_shows_them(client, app, monkeypatch):
    setup = _warm_day(client)
    day_id = setup.day.id
    builds = _built(monkeypatch)
    first = client.get(api_url(day_id)).get_json()
    delivery_id = first["lines"][0]["baskets"][0]["delivery_id"]
    taps_url = f"/api/pickup/days/{day_id}/taps"
    headers = {"X-CSRFToken": first["csrf_token"]}

    collected = client.post(taps_url, json=_tap(delivery_id, "t-1"), headers=headers)
    undone = client.post(taps_url, json=_tap(delivery_id, "t-2", "not_collected"), headers=headers)

    assert collected.status_code == undone.status_code == 200
    assert len(builds) == 1  # two batches, no list built
    versions = {first["version"], collected.get_json()["version"], undone.get_json()["version"]}
    assert len(versions) == 3  # each batch answers a version no earlier copy holds
    second = client.get(api_url(day_id)).get_json()
    assert len(builds) == 2  # built once for both batches
    assert second["version"] not in versions
    assert second["lines"][0]["baskets"][0]["state"] == "not_collected"

    # Once the list of that version is kept, a batch that changes nothing answers its version.
    replay = client.post(taps_url, json=_tap(delivery_id, "t-2", "not_collected"), headers=headers)
    assert replay.get_json()["results"][0]["status"] == "already_applied"
    assert replay.get_json()["version"] == second["version"] and len(builds) == 2
