"""With CSRF protection on (as in production), a stop's taps and sales need the token the
checklist API hands out, sent back in the X-CSRFToken header like the day's checklist."""

from __future__ import annotations

import uuid

from marketplace.extensions import db
from tests.grocery_shop import stop_checklist_support as support
from tests.helpers import login_id


def test_a_stops_taps_and_sales_need_the_checklist_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    stop = support.make_stop()
    pre_order = support.add_pre_order(stop, name="Foyer Martin")
    staff = support.staff(stop)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(staff)
        session["_fresh"] = True
    base = f"/api/pickup/stops/{stop.run_stop.id}"
    tap = {
        "tap_id": str(uuid.uuid4()),
        "target_kind": "pre_order",
        "target_id": pre_order.id,
        "action": "collected",
        "tapped_at": "2026-05-12T10:05:00+02:00",
    }
    sale = {
        "sale_id": str(uuid.uuid4()),
        "stock_item_id": stop.carrots.id,
        "quantity_milli": 1000,
        "sold_at": "2026-05-12T10:06:00+02:00",
    }

    refused_tap = client.post(f"{base}/taps", json={"taps": [tap]})
    refused_sale = client.post(f"{base}/sales", json={"sales": [sale]})
    token = client.get(f"{base}/checklist").get_json()["csrf_token"]
    headers = {"X-CSRFToken": token}
    accepted_tap = client.post(f"{base}/taps", json={"taps": [tap]}, headers=headers)
    accepted_sale = client.post(f"{base}/sales", json={"sales": [sale]}, headers=headers)

    assert refused_tap.status_code == 400 and refused_tap.is_json
    assert refused_sale.status_code == 400 and refused_sale.is_json
    assert accepted_tap.get_json()["results"][0]["status"] == "applied"
    assert accepted_sale.get_json()["results"][0]["status"] == "applied"
