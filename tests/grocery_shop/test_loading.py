"""The loading list and the driver's sheet of a run: totals, stops in order, the van's capacity,
who sees them, and a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.grocery_shop.loading import run_load
from marketplace.grocery_shop.preorders import cancel_preorder, place_preorder
from marketplace.organisations.models import Role
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run
from tests.helpers import count_queries


def fill(van, orders):
    """orders: [(stop index, household name, {item: thousandths})]; returns the pre-orders."""
    staff = factories.UserFactory()
    placed = []
    for stop_index, name, quantities in orders:
        family = household(van.grocery, household_name=name, tier_percent=10)
        placed.append(
            place_preorder(
                family,
                van.stops[stop_index],
                {stock.id: milli for stock, milli in quantities.items()},
                by=staff,
                now=utcnow(),
            )
        )
    db.session.commit()
    return placed


def loading_url(van) -> str:
    return f"/epiceries/{van.grocery.slug}/chargement/{van.run.id}"


def sheet_url(van) -> str:
    return f"/epiceries/{van.grocery.slug}/feuille-de-route/{van.run.id}"


def test_totals_for_the_van_then_per_stop_in_visiting_order():
    van = make_run(stops=3)
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg")
    milk = item(van.grocery, name="Lait", unit="litre", quantity_milli=50_000)
    jam = item(van.grocery, name="Confiture", unit="bocal", quantity_milli=10_000)
    placed = fill(
        van,
        [
            (2, "Foyer Carré", {potatoes: 2000, jam: 1000}),
            (0, "Foyer Abel", {potatoes: 1500, milk: 2000}),
            (0, "Foyer Bellec", {potatoes: 500}),
            (2, "Foyer Annulé", {jam: 3000}),
        ],
    )
    cancel_preorder(placed[3], now=utcnow())
    db.session.commit()

    load = run_load(van.grocery.id, van.run.id)

    totals = {product.name: product.quantity_milli for product in load.products}
    assert totals == {"Pommes de terre": 4000, "Lait": 2000, "Confiture": 1000}
    assert [stop.village for stop in load.stops] == ["Village A", "Village B", "Village C"]
    first, second, third = load.stops
    assert [h.household_name for h in first.households] == ["Foyer Abel", "Foyer Bellec"]
    assert {p.name: p.quantity_milli for p in first.products} == {
        "Pommes de terre": 2000,
        "Lait": 2000,
    }
    assert second.households == [] and second.products == []
    assert [h.household_name for h in third.households] == ["Foyer Carré"]
    assert load.crates == 3
    assert load.weighed_milli == 6000  # 4 kg of potatoes and 2 litres of milk
    assert not load.over_capacity
    assert run_load(factories.GroceryFactory().id, van.run.id) is None


def test_an_over_capacity_run_is_shown_with_the_numbers(client, user_with_role):
    van = make_run(capacity_crates=5, capacity_kg=10)
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg")
    fill(
        van,
        [
            (0, "Foyer Abel", {potatoes: 2000}),
            (0, "Foyer Bellec", {potatoes: 1000}),
            (1, "Foyer Carré", {potatoes: 1500}),
        ],
    )
    # Pre-orders never overload the van; a smaller van swapped in afterwards can.
    van.route.van.capacity_crates, van.route.van.capacity_kg = 2, 3
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, van.grocery)

    response = client.get(loading_url(van))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Attention : le chargement dépasse la capacité du camion." in page
    assert "Caisses : 3 sur 2" in page
    assert "Vrac au poids : 4,5 kg sur 3 kg." in page
    assert "Pommes de terre" in page and "Village A" in page and "Village B" in page


def test_a_van_within_capacity_has_no_warning(client, user_with_role):
    van = make_run(capacity_crates=5, capacity_kg=None)
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg")
    fill(van, [(0, "Foyer Abel", {potatoes: 20_000})])
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    page = client.get(loading_url(van)).get_data(as_text=True)
    assert "dépasse la capacité" not in page
    assert "Caisses : 1 sur 5" in page
    assert "pas de limite en kg" in page


def test_the_driver_sheet_names_households_without_tiers_or_prices(client, user_with_role):
    van = make_run(stops=2)
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg", shelf_price_cents=180)
    fill(
        van,
        [(1, "Foyer Carré", {potatoes: 1000}), (0, "Foyer Abel", {potatoes: 2500})],
    )
    user_with_role(Role.GROCERY_STAFF, van.grocery)

    response = client.get(sheet_url(van))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.index("Village A") < page.index("Foyer Abel") < page.index("Village B")
    assert page.index("Village B") < page.index("Foyer Carré")
    assert "09:00" in page and "10:00" in page
    assert "Place de l&#39;église" in page or "Place de l'église" in page
    assert "2,5 kg · Pommes de terre" in page
    assert "10 %" not in page and "€" not in page


def test_a_cancelled_run_says_so(client, user_with_role):
    van = make_run(status="cancelled")
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    for url in (loading_url(van), sheet_url(van)):
        assert "Cette tournée est annulée." in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.VOLUNTEER, "member", "other_staff"])
def test_only_the_grocerys_staff_see_the_lists(client, user_with_role, role):
    van = make_run()
    if role == "member":
        user_with_role(Role.MEMBER, factories.GroupFactory())
    elif role == "other_staff":
        user_with_role(Role.GROCERY_STAFF, factories.GroceryFactory())
    else:
        user_with_role(role, van.grocery)
    assert client.get(loading_url(van)).status_code == 403
    assert client.get(sheet_url(van)).status_code == 403


def test_a_run_of_another_grocery_is_not_found(client, user_with_role):
    van = make_run()
    elsewhere = make_run()
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    slug = van.grocery.slug
    assert client.get(f"/epiceries/{slug}/chargement/{elsewhere.run.id}").status_code == 404
    assert client.get(f"/epiceries/{slug}/feuille-de-route/{elsewhere.run.id}").status_code == 404


@pytest.mark.parametrize("url_of", [loading_url, sheet_url])
def test_the_lists_take_the_same_queries_for_5_or_100_pre_orders(client, user_with_role, url_of):
    counts = []
    for size in (5, 100):
        van = make_run(stops=4, capacity_crates=120, capacity_kg=None)
        products = [item(van.grocery, quantity_milli=1_000_000) for _ in range(3)]
        fill(
            van,
            [
                (index % 4, f"Foyer {index:03d}", {products[index % 3]: 1000, products[0]: 500})
                for index in range(size)
            ],
        )
        user_with_role(Role.GROCERY_STAFF, van.grocery)
        with count_queries() as counter:
            response = client.get(url_of(van))
        assert response.status_code == 200
        if url_of is sheet_url:
            assert f"Foyer {size - 1:03d}" in response.get_data(as_text=True)
        counts.append(counter.count)
    assert counts[0] == counts[1]


@pytest.mark.parametrize("url_of", [loading_url, sheet_url])
def test_a_closed_runs_lists_take_the_same_queries_for_2_or_8_stops(client, user_with_role, url_of):
    """The closing's state, the close button and each stop's checklist link add no query per
    stop or pre-order."""
    counts = []
    for stops in (2, 8):
        van = make_run(stops=stops, days_ahead=-1, capacity_crates=100)
        potatoes = item(van.grocery, quantity_milli=1_000_000)
        for index in range(stops * 3):
            place_preorder(
                household(van.grocery, household_name=f"Foyer {index:03d}"),
                van.stops[index % stops],
                {potatoes.id: 1000},
                by=factories.UserFactory(),
                now=van.run.departs_at - timedelta(days=3),
            )
        factories.RunClosingFactory(run=van.run)
        db.session.commit()
        user_with_role(Role.GROCERY_STAFF, van.grocery)
        with count_queries() as counter:
            response = client.get(url_of(van))
        assert response.status_code == 200
        assert "Clôturée le" in response.get_data(as_text=True)
        counts.append(counter.count)
    assert counts[0] == counts[1]
