"""The walk-in sales JSON API: JSON errors, one result per entry, the stop's sales back."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem, WalkInSale
from marketplace.organisations.models import Role
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run


def sales_url(run_stop_id):
    return f"/api/pickup/stops/{run_stop_id}/sales"


def a_sale(stock_item_id, milli=1000, **extra):
    return {
        "sale_id": str(uuid.uuid4()),
        "stock_item_id": stock_item_id,
        "quantity_milli": milli,
        "sold_at": "2026-05-12T10:05:00+02:00",
        "device_id": "phone-1",
        **extra,
    }


@pytest.fixture
def van(app):
    van = make_run()
    van.carrots = item(van.grocery, name="Carottes", shelf_price_cents=335)
    van.family = household(van.grocery, household_name="Foyer Martin", tier_percent=30)
    db.session.commit()
    return van


def test_staff_record_sales_and_get_the_stop_list_back(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    full, tier = a_sale(van.carrots.id, 1500), a_sale(van.carrots.id, 2000)
    tier["beneficiary_id"] = van.family.id

    response = client.post(sales_url(van.stops[0].id), json={"sales": [full, tier]})
    replay = client.post(sales_url(van.stops[0].id), json={"sales": [full]})

    assert response.status_code == 200
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert replay.get_json()["results"][0]["status"] == "already_applied"
    assert {(s["household_name"], s["total_cents"]) for s in body["sales"]} == {
        (None, 503),
        ("Foyer Martin", 202),
    }
    assert body["takings_cents"] == 705
    assert body["takings_text"] == "7,05\u00a0€"
    assert body["items"][0]["free_milli"] == 16_500
    assert body["csrf_token"]
    assert db.session.scalar(select(func.count(WalkInSale.id))) == 2


def test_refused_sale_says_why_and_void_comes_back(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    sale = a_sale(van.carrots.id, 1000)
    too_much = a_sale(van.carrots.id, 25_000)

    response = client.post(
        sales_url(van.stops[0].id),
        json={"sales": [sale, too_much], "voids": [{"sale_id": sale["sale_id"]}]},
    )

    body = response.get_json()
    assert body["results"][1] == {
        "sale_id": too_much["sale_id"],
        "status": "refused",
        "message": "« Carottes » : il n'en reste que 19 kg hors précommandes.",
    }
    assert body["void_results"][0]["status"] == "applied"
    assert [s["voided"] for s in body["sales"]] == [True]
    assert body["takings_cents"] == 0
    db.session.expire_all()
    assert db.session.get(StockItem, van.carrots.id).quantity_milli == 20_000


def test_get_answers_the_panel(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    response = client.get(sales_url(van.stops[0].id))
    assert response.status_code == 200
    assert response.get_json()["sales"] == []
    assert response.get_json()["closed"] is False


def test_not_logged_in_is_a_json_401(client, van):
    response = client.post(sales_url(van.stops[0].id), json={"sales": []})
    assert response.status_code == 401
    assert response.is_json


def test_wrong_role_is_403_and_nothing_is_stored(client, user_with_role, van):
    user_with_role(Role.VOLUNTEER, van.grocery)
    response = client.post(sales_url(van.stops[0].id), json={"sales": [a_sale(van.carrots.id)]})
    assert response.status_code == 403
    assert response.is_json
    assert db.session.scalar(select(func.count(WalkInSale.id))) == 0


def test_beneficiary_with_an_account_is_403(client, login, van):
    person = factories.UserFactory()
    household(van.grocery, user=person)
    db.session.commit()
    login(person)
    assert client.get(sales_url(van.stops[0].id)).status_code == 403


def test_unknown_stop_is_404(client, admin, van):
    response = client.post(sales_url(999_999), json={"sales": []})
    assert response.status_code == 404
    assert response.is_json


def test_closed_run_is_409_with_the_refusals(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    factories.RunClosingFactory(run=van.run)
    db.session.commit()

    response = client.post(sales_url(van.stops[0].id), json={"sales": [a_sale(van.carrots.id)]})

    assert response.status_code == 409
    body = response.get_json()
    assert body["message"] == "Cette tournée est clôturée : les ventes ne peuvent plus changer."
    assert body["errors"]["results"][0]["status"] == "refused"
    assert db.session.scalar(select(func.count(WalkInSale.id))) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"sales": [{"sale_id": "x"}]},
        {"sales": [{**a_sale(1), "quantity_milli": "1,5"}]},
        {"sales": [{**a_sale(1), "sold_at": "2026-05-12T10:05:00"}]},
        {"sales": [{**a_sale(1), "sale_id": "x" * 65}]},
        {"voids": [{}]},
        {"sales": "nope"},
    ],
)
def test_malformed_body_is_422(client, user_with_role, van, body):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    response = client.post(sales_url(van.stops[0].id), json=body)
    assert response.status_code == 422
    assert response.is_json


def test_openapi_describes_the_sales(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/pickup/stops/{run_stop_id}/sales" in spec["paths"]
