"""Where the staff find a stop's checklist: their lists of the day (/distributions/)."""

from __future__ import annotations

from marketplace.extensions import db
from tests import factories
from tests.grocery_shop import preorders_support
from tests.grocery_shop import stop_checklist_support as support
from tests.helpers import count_queries, login_id


def stop_url(run_stop):
    return f"/distributions/arrets/{run_stop.id}/liste"


def test_staff_find_their_grocerys_coming_stops(client, login, app):
    soon = support.make_stop(days_ahead=3)
    yesterday = preorders_support.make_run(soon.grocery, days_ahead=-1, stops=1)
    too_far = preorders_support.make_run(soon.grocery, days_ahead=20, stops=1)
    cancelled = preorders_support.make_run(soon.grocery, days_ahead=2, status="cancelled")
    another_grocery = support.make_stop(days_ahead=3)
    person = login(support.staff(soon))
    db.session.commit()

    page = client.get("/distributions/").get_data(as_text=True)

    assert "Arrêts de l&#39;épicerie mobile" in page
    assert stop_url(soon.van_run.stops[0]) in page and stop_url(soon.van_run.stops[1]) in page
    assert stop_url(yesterday.stops[0]) in page
    assert "Village A — Place de l&#39;église" in page
    for hidden in (too_far.stops[0], cancelled.stops[0], another_grocery.run_stop):
        assert stop_url(hidden) not in page
    assert person.id


def test_admins_see_every_grocerys_stops_and_others_none(client, login, app):
    stop = support.make_stop()
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=stop.grocery, role="volunteer")
    admin = factories.UserFactory(is_admin=True)
    db.session.commit()

    login(member)
    page = client.get("/distributions/").get_data(as_text=True)
    assert stop_url(stop.run_stop) not in page
    assert "Aucune distribution à venir pour vous" in page
    login(admin)
    assert stop_url(stop.run_stop) in client.get("/distributions/").get_data(as_text=True)


def _queries_for(client, runs: int) -> int:
    grocery = factories.GroceryFactory()
    for days_ahead in range(runs):
        preorders_support.make_run(grocery, days_ahead=days_ahead % 14, stops=3)
    staff = factories.UserFactory()
    factories.MembershipFactory(user=staff, organisation=grocery, role="grocery_staff")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(staff)
    with count_queries() as counter:
        page = client.get("/distributions/").get_data(as_text=True)
    assert page.count("/distributions/arrets/") >= 3 * runs
    return counter.count


def test_constant_number_of_queries_whatever_the_number_of_stops(client, app):
    assert _queries_for(client, 1) == _queries_for(client, 12)
