"""A stop's checklist page and its JSON API: the pickup day's page and sync, for the van."""

from __future__ import annotations

import re
import uuid

import pytest

from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder
from tests import factories
from tests.grocery_shop import stop_checklist_support as support
from tests.helpers import count_queries, login_id


def page_url(run_stop_id):
    return f"/distributions/arrets/{run_stop_id}/liste"


def list_url(run_stop_id):
    return f"/api/pickup/stops/{run_stop_id}/checklist"


def taps_url(run_stop_id):
    return f"/api/pickup/stops/{run_stop_id}/taps"


def a_tap(pre_order_id, action="collected", **extra):
    return {
        "tap_id": str(uuid.uuid4()),
        "target_kind": "pre_order",
        "target_id": pre_order_id,
        "action": action,
        "tapped_at": "2026-05-12T10:05:00+02:00",
        **extra,
    }


def checklist_section(page: str) -> str:
    """The lines' part of the page (the walk-in sales panel after it is another matter)."""
    return re.search(r'<section class="checklist".*?</section>', page, re.S).group(0)


@pytest.fixture
def stop(app):
    stop = support.make_stop()
    support.add_pre_order(stop, name="Farid Benali")
    support.add_pre_order(stop, name="Élodie Martin")
    db.session.commit()
    return stop


def test_staff_see_the_stops_households_and_what_they_collect(client, login, stop):
    login(support.staff(stop))
    db.session.commit()

    response = client.get(page_url(stop.run_stop.id))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    lines = checklist_section(page)
    assert lines.index("Élodie Martin") < lines.index("Farid Benali")
    assert "1,5 kg Carottes" in lines and "(Ferme du Coteau)" in lines
    assert "2 pièces Pain de campagne" in lines and "(Don)" in lines
    assert f'"pre_order:{stop.pre_orders[0].id}"' in lines
    assert "Village A — Place de l&#39;église" in lines and "09:00–09:30" in lines
    assert "Liste de l'arrêt" in page and "Feuille de route" in page
    for private in ("€", "%", "tarif", "Maison du Rhône"):  # no price, tier nor referrer
        assert private not in lines
    assert "js/checklist.js" in page and "<script>" not in page and "style=" not in page


def test_a_stop_without_pre_orders_says_so(client, user_with_role, app):
    stop = support.make_stop()
    cancelled = support.add_pre_order(stop, status="cancelled", cancelled_at=db.func.now())
    db.session.commit()
    user_with_role("grocery_staff", stop.grocery)

    page = client.get(page_url(stop.run_stop.id)).get_data(as_text=True)

    assert "Personne n'a précommandé pour cet arrêt." in page
    assert cancelled.beneficiary.household_name not in checklist_section(page)


def test_api_lists_lines_states_notes_and_counts(client, login, stop):
    login(support.staff(stop))
    first = stop.pre_orders[0]
    db.session.commit()
    before = client.get(list_url(stop.run_stop.id)).get_json()

    batch = {"taps": [a_tap(first.id), a_tap(first.id, "note", note="A payé la semaine dernière")]}
    answer = client.post(taps_url(stop.run_stop.id), json=batch)
    replay = client.post(taps_url(stop.run_stop.id), json=batch)

    assert [r["status"] for r in answer.get_json()["results"]] == ["applied", "applied"]
    assert [r["status"] for r in replay.get_json()["results"]] == ["already_applied"] * 2
    after = client.get(list_url(stop.run_stop.id)).get_json()
    assert [line["name"] for line in after["lines"]] == ["Élodie Martin", "Farid Benali"]
    farid = after["lines"][1]
    assert (farid["key"], farid["state"], farid["note"]) == (
        f"p{first.id}",
        "collected",
        "A payé la semaine dernière",
    )
    assert farid["targets"] == [{"kind": "pre_order", "id": first.id}]
    assert farid["extras"][0]["target"] == {"kind": "pre_order", "id": first.id}
    assert farid["extras"][0]["quantity_text"] == "1,5 kg"
    assert after["day"]["pickup_point"] == "Village A — Place de l'église"
    assert after["counts"]["households"] == 2 and after["counts"]["households_done"] == 1
    carrots = next(row for row in after["counts"]["products"] if "Carottes" in row["label"])
    assert (carrots["collected"], carrots["expected"]) == (1500, 3000)
    assert after["version"] != before["version"] and answer.get_json()["version"]
    assert "price" not in str(after) and "tier" not in str(after)
    stored = db.session.get(PreOrder, first.id)
    assert (stored.pickup_state, stored.pickup_note) == ("collected", "A payé la semaine dernière")


def test_tap_on_another_stops_pre_order_is_refused(client, login, stop):
    elsewhere = support.add_pre_order(stop, run_stop=stop.van_run.stops[1])
    login(support.staff(stop))
    db.session.commit()

    result = client.post(taps_url(stop.run_stop.id), json={"taps": [a_tap(elsewhere.id)]})

    assert result.status_code == 200
    assert result.get_json()["results"][0]["status"] == "refused"
    assert db.session.get(PreOrder, elsewhere.id).pickup_state == "pending"


@pytest.mark.parametrize(
    ("close", "message"),
    [
        ("closed", "Cette tournée est clôturée : la liste ne peut plus changer."),
        ("cancelled", "Cette tournée est annulée."),
    ],
)
def test_closed_or_cancelled_run_is_read_only(client, login, stop, close, message):
    if close == "closed":
        factories.RunClosingFactory(run=stop.van_run.run)
    else:
        stop.van_run.run.status = "cancelled"
    login(support.staff(stop))
    db.session.commit()
    pre_order_id = stop.pre_orders[0].id

    page = client.get(page_url(stop.run_stop.id)).get_data(as_text=True)
    response = client.post(taps_url(stop.run_stop.id), json={"taps": [a_tap(pre_order_id)]})

    assert message.replace("'", "&#39;") in page
    assert 'data-action="collected"' not in page and 'data-closed="true"' in page
    assert response.status_code == 409
    assert response.get_json()["message"] == message
    assert response.get_json()["errors"]["results"][0]["status"] == "refused"
    assert db.session.get(PreOrder, pre_order_id).pickup_state == "pending"


def _outsiders(stop):
    group_member = factories.UserFactory()
    factories.MembershipFactory(user=group_member, role="member")
    volunteer = factories.UserFactory()
    factories.MembershipFactory(user=volunteer, organisation=stop.grocery, role="volunteer")
    other_staff = support.staff(support.make_stop())
    beneficiary = factories.UserFactory()
    support.add_pre_order(stop, user=beneficiary)
    db.session.commit()
    return [group_member, volunteer, other_staff, beneficiary]


def test_only_the_grocery_staff_and_admins_get_in(client, login, stop):
    pre_order_id = stop.pre_orders[0].id
    for person in _outsiders(stop):
        login(person)
        assert client.get(page_url(stop.run_stop.id)).status_code == 403
        for response in (
            client.get(list_url(stop.run_stop.id)),
            client.post(taps_url(stop.run_stop.id), json={"taps": [a_tap(pre_order_id)]}),
        ):
            assert response.status_code == 403
            assert "équipe de l'épicerie" in response.get_json()["message"]
    assert db.session.get(PreOrder, pre_order_id).pickup_state == "pending"
    admin = factories.UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    assert client.get(page_url(stop.run_stop.id)).status_code == 200
    assert client.get(list_url(stop.run_stop.id)).status_code == 200


def test_anonymous_is_sent_to_login_or_gets_json_401(client, stop):
    page = client.get(page_url(stop.run_stop.id))
    assert page.status_code == 302 and "/connexion" in page.headers["Location"]
    for response in (
        client.get(list_url(stop.run_stop.id)),
        client.post(taps_url(stop.run_stop.id), json={"taps": [a_tap(1)]}),
    ):
        assert response.status_code == 401 and response.is_json


def test_unknown_stop_is_404(client, admin):
    assert client.get(page_url(999999)).status_code == 404
    response = client.get(list_url(999999))
    assert response.status_code == 404 and response.get_json()["message"] == (
        "Cet arrêt n'existe pas."
    )


def test_openapi_lists_the_stop_routes(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/pickup/stops/{run_stop_id}/checklist" in paths
    assert "/api/pickup/stops/{run_stop_id}/taps" in paths


def _queries_for(client, households: int) -> list[int]:
    stop = support.make_stop()
    support.add_households(stop, households)
    staff = support.staff(stop)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(staff)
    counts = []
    for url in (page_url(stop.run_stop.id), list_url(stop.run_stop.id)):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    return counts


def test_constant_number_of_queries_at_5_and_60_pre_orders(client, app):
    assert _queries_for(client, 5) == _queries_for(client, 60)
