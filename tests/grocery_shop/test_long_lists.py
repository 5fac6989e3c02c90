"""The staff's long lists (households, pre-orders in progress) come 50 rows a page, searched by
name; a bad page number shows the first page, one past the last is a 404."""

from __future__ import annotations

import html
from datetime import timedelta

from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.timezones import paris_today
from tests import factories
from tests.grocery_shop.preorders_support import make_run
from tests.helpers import count_queries


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def households(grocery, size: int) -> list:
    return [
        factories.BeneficiaryFactory(grocery=grocery, household_name=f"Foyer {index:03d}")
        for index in range(size)
    ]


def test_the_households_come_fifty_a_page(client, user_with_role):
    grocery = factories.GroceryFactory()
    households(grocery, 60)
    today = paris_today()
    factories.BeneficiaryFactory(  # last by name: on page 2, still counted in the warning
        grocery=grocery, household_name="Foyer Zola", valid_until=today + timedelta(days=5)
    )
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)
    base = f"/epiceries/{grocery.slug}/beneficiaires"

    first = text_of(client.get(base))
    assert "Foyer 000" in first and "Foyer 049" in first and "Foyer 050" not in first
    assert "Page 1 sur 2" in first
    assert "1 foyer a des droits expirés ou qui expirent dans le mois" in first
    second = text_of(client.get(f"{base}?page=2"))
    assert "Foyer 050" in second and "Foyer Zola" in second and "Foyer 049" not in second
    for bad in ("abc", "0", "-1", "99999999999"):
        assert "Foyer 000" in text_of(client.get(f"{base}?page={bad}")), bad
    assert client.get(f"{base}?page=3").status_code == 404

    found = text_of(client.get(f"{base}?q=zola"))
    assert "Foyer Zola" in found and "Foyer 000" not in found and "Page 1 sur" not in found
    assert client.get(f"{base}?q=zola&page=2").status_code == 404
    # The search is words, not a pattern: "%" finds nobody.
    assert "Aucun foyer ne correspond" in text_of(client.get(f"{base}?q=%25"))


def test_the_households_list_costs_the_same_queries_for_1_and_60(client, user_with_role, login):
    counts = []
    for size in (1, 60):
        grocery = factories.GroceryFactory()
        households(grocery, size)
        staff = user_with_role(Role.GROCERY_STAFF, grocery, log_in=False)
        db.session.commit()
        login(staff)
        with count_queries() as counter:
            response = client.get(f"/epiceries/{grocery.slug}/beneficiaires")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def van_with_preorders(size: int):
    van = make_run(stops=1)
    for beneficiary in households(van.grocery, size):
        factories.PreOrderFactory(beneficiary=beneficiary, run_stop=van.stops[0])
    return van


def test_pre_orders_in_progress_come_fifty_a_page(client, user_with_role):
    van = van_with_preorders(60)
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    base = f"/epiceries/{van.grocery.slug}/precommandes"

    first = text_of(client.get(base))
    assert first.count("Modifier") == 50 and "Page 1 sur 2" in first
    second = text_of(client.get(f"{base}?page=2"))
    assert second.count("Modifier") == 10 and "Page 2 sur 2" in second
    assert text_of(client.get(f"{base}?page=zero")).count("Modifier") == 50
    assert client.get(f"{base}?page=3").status_code == 404

    found = text_of(client.get(f"{base}?foyer=059"))
    assert found.count("Modifier") == 1 and "Page 1 sur" not in found
    assert "ne correspond à « personne »" in text_of(client.get(f"{base}?foyer=personne"))


def test_pre_orders_in_progress_cost_the_same_queries_for_1_and_60(client, user_with_role, login):
    counts = []
    for size in (1, 60):
        van = van_with_preorders(size)
        staff = user_with_role(Role.GROCERY_STAFF, van.grocery, log_in=False)
        db.session.commit()
        login(staff)
        with count_queries() as counter:
            response = client.get(f"/epiceries/{van.grocery.slug}/precommandes")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
