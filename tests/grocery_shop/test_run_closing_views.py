"""Closing a run from its driver's sheet or loading list: the grocery's staff only."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.grocery_shop.models import RunClosing
from marketplace.organisations.models import Role
from tests import factories
from tests.grocery_shop.preorders_support import item, make_run
from tests.grocery_shop.test_run_closing import order, stock_of
from tests.helpers import login_id


def close_url(van, run_id=None) -> str:
    return f"/epiceries/{van.grocery.slug}/tournees/{run_id or van.run.id}/cloturer"


def sheet_url(van) -> str:
    return f"/epiceries/{van.grocery.slug}/feuille-de-route/{van.run.id}"


def loading_url(van) -> str:
    return f"/epiceries/{van.grocery.slug}/chargement/{van.run.id}"


def closings() -> int:
    return db.session.scalar(select(func.count(RunClosing.id)))


def finished_run():
    van = make_run(days_ahead=-1, stops=2)
    potatoes = item(van.grocery, quantity_milli=10_000)
    order(van, 0, {potatoes: 2_000}, name="Foyer Abel").pickup_state = "collected"
    order(van, 1, {potatoes: 1_000}, name="Foyer Bellec")
    db.session.commit()
    return van, potatoes


def test_the_staff_close_a_run_from_the_driver_sheet(client, user_with_role):
    van, potatoes = finished_run()
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    sheet = client.get(sheet_url(van)).get_data(as_text=True)
    assert "Clôturer la tournée" in sheet and "La clôture est définitive." in sheet

    response = client.post(close_url(van), data={"page": "driver_sheet"}, follow_redirects=True)

    assert response.status_code == 200
    assert response.request.path == sheet_url(van)
    page = response.get_data(as_text=True)
    assert "Tournée clôturée : 1 précommande remise, 1 remise en rayon." in page
    assert "Clôturée le" in page and "Oui, clôturer la tournée" not in page
    assert stock_of(potatoes) == (8_000, 0)
    assert closings() == 1


def test_closing_from_the_loading_list_comes_back_to_it(client, admin):
    van, _potatoes = finished_run()
    response = client.post(close_url(van), data={"page": "loading_list"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(loading_url(van))
    assert closings() == 1  # a site administrator may close too


def test_a_second_closing_is_refused_with_a_message(client, user_with_role):
    van, potatoes = finished_run()
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    client.post(close_url(van))

    page = client.post(close_url(van), follow_redirects=True).get_data(as_text=True)

    assert "Cette tournée est déjà clôturée." in page
    assert closings() == 1 and stock_of(potatoes) == (8_000, 0)


def test_a_run_not_left_yet_cannot_be_closed(client, user_with_role):
    van = make_run(days_ahead=3)
    potatoes = item(van.grocery, quantity_milli=10_000)
    order(van, 0, {potatoes: 2_000})
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    sheet = client.get(sheet_url(van)).get_data(as_text=True)
    assert "Oui, clôturer la tournée" not in sheet
    assert "pourra être clôturée après son départ" in sheet

    page = client.post(close_url(van), follow_redirects=True).get_data(as_text=True)

    assert "La tournée n&#39;est pas encore partie." in page
    assert closings() == 0 and stock_of(potatoes) == (10_000, 2_000)


def test_a_cancelled_run_says_its_pre_orders_are_cancelled(client, user_with_role):
    van = make_run(days_ahead=-1, status="cancelled")
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    for url in (sheet_url(van), loading_url(van)):
        page = client.get(url).get_data(as_text=True)
        assert "Ses précommandes sont annulées" in page
        assert "Oui, clôturer la tournée" not in page
    page = client.post(close_url(van), follow_redirects=True).get_data(as_text=True)
    assert "Une tournée annulée ne se clôture pas" in page
    assert closings() == 0


def test_the_sheet_links_each_stop_to_its_checklist(client, user_with_role, app):
    van, _potatoes = finished_run()
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    with app.test_request_context():
        links = [url_for("pickup.stop_checklist", run_stop_id=stop.id) for stop in van.stops]
    for url in (sheet_url(van), loading_url(van)):
        page = client.get(url).get_data(as_text=True)
        assert all(f'href="{link}"' in page for link in links)


@pytest.mark.parametrize("role", [Role.VOLUNTEER, "member", "other_staff"])
def test_only_the_grocerys_staff_may_close(client, user_with_role, role):
    van, potatoes = finished_run()
    if role == "member":
        user_with_role(Role.MEMBER, factories.GroupFactory())
    elif role == "other_staff":
        user_with_role(Role.GROCERY_STAFF, factories.GroceryFactory())
    else:
        user_with_role(role, van.grocery)

    assert client.post(close_url(van)).status_code == 403
    assert closings() == 0 and stock_of(potatoes) == (10_000, 3_000)


def test_an_unknown_run_or_another_grocerys_run_is_not_found(client, user_with_role):
    van, _potatoes = finished_run()
    elsewhere = make_run(days_ahead=-1)
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    assert client.post(close_url(van, run_id=999_999)).status_code == 404
    assert client.post(close_url(van, run_id=elsewhere.run.id)).status_code == 404
    assert closings() == 0


def test_closing_needs_the_form_token(make_app, user_with_role):
    van, _potatoes = finished_run()
    staff = user_with_role(Role.GROCERY_STAFF, van.grocery, log_in=False)
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(staff)
        session["_fresh"] = True

    assert client.post(close_url(van)).status_code == 400
    assert closings() == 0
