"""The staff find the household who calls by searching its name or phone: the page offers a
few matches, never the whole list, and only the grocery's own households can be chosen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder
from marketplace.organisations.models import Role
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run
from tests.helpers import count_queries


@pytest.fixture
def van():
    return make_run()


def search_url(van, text: str, stop=None) -> str:
    url = f"/epiceries/{van.grocery.slug}/precommandes/saisie?etape=chercher&recherche={text}"
    return url + (f"&arret={stop.id}" if stop else "")


def options_of(page: str, name: str) -> list[str]:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_html.group(1)) if select_html else []


def test_the_staff_find_a_household_by_part_of_its_name_and_keep_the_stop(
    client, user_with_role, van
):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    martin = household(van.grocery, household_name="Foyer Martin", phone="06 11 22 33 44")
    household(van.grocery, household_name="Foyer Bernard")
    db.session.commit()

    # The first page lists no household at all.
    index = client.get(f"/epiceries/{van.grocery.slug}/precommandes").get_data(as_text=True)
    assert "Foyer Martin" not in index and "Foyer Bernard" not in index

    response = client.get(search_url(van, "mart", van.stops[1]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert options_of(page, "beneficiaire") == ["Foyer Martin · 06 11 22 33 44"]
    assert "1 foyer correspond." in page
    # The stop chosen before the search stays chosen.
    assert re.search(rf'<option selected value="{van.stops[1].id}">', page)

    by_phone = client.get(search_url(van, "22 33")).get_data(as_text=True)
    assert options_of(by_phone, "beneficiaire") == ["Foyer Martin · 06 11 22 33 44"]

    chosen = client.get(
        f"/epiceries/{van.grocery.slug}/precommandes/saisie?recherche=mart&etape=continuer"
        f"&beneficiaire={martin.id}&arret={van.stops[1].id}"
    )
    assert chosen.status_code == 200
    assert "Foyer Martin" in chosen.get_data(as_text=True)


def test_no_match_says_so_in_french(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    household(van.grocery, household_name="Foyer Martin")
    db.session.commit()
    page = client.get(search_url(van, "Dupont")).get_data(as_text=True)
    assert "Aucun foyer de l&#39;épicerie ne correspond à « Dupont »" in page
    assert options_of(page, "beneficiaire") == []

    empty = client.get(search_url(van, "+"))
    assert empty.status_code == 422
    assert "Tapez une partie du nom" in empty.get_data(as_text=True)

    too_long = client.get(search_url(van, "x" * 101))
    assert too_long.status_code == 422
    assert "100 caractères au maximum." in too_long.get_data(as_text=True)


def test_another_grocerys_household_is_never_found_nor_chosen(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    elsewhere = household(factories.GroceryFactory(), household_name="Foyer Lointain")
    potatoes = item(van.grocery)
    db.session.commit()

    page = client.get(search_url(van, "Lointain")).get_data(as_text=True)
    assert "Aucun foyer de l&#39;épicerie ne correspond" in page

    url = (
        f"/epiceries/{van.grocery.slug}/precommandes/saisie"
        f"?beneficiaire={elsewhere.id}&arret={van.stops[0].id}"
    )
    response = client.get(url)
    assert response.status_code == 422
    assert "Choisissez un foyer dans la liste." in response.get_data(as_text=True)
    assert client.post(url, data={f"q-{potatoes.id}": "1"}).status_code == 422
    assert db.session.scalar(select(func.count(PreOrder.id))) == 0


def test_at_most_twenty_matches_are_offered(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    for number in range(25):
        household(van.grocery, household_name=f"Foyer {number:03d}")
    db.session.commit()
    page = client.get(search_url(van, "Foyer")).get_data(as_text=True)
    assert len(options_of(page, "beneficiaire")) == 20
    assert "Précisez la recherche" in page


def test_the_search_costs_the_same_queries_for_1_and_30_households(client, user_with_role, login):
    counts = []
    for size in (1, 30):
        van = make_run()
        for number in range(size):
            household(van.grocery, household_name=f"Foyer {number:03d}")
        staff = user_with_role(Role.GROCERY_STAFF, van.grocery, log_in=False)
        db.session.commit()
        login(staff)
        with count_queries() as counter:
            response = client.get(search_url(van, "Foyer"))
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_the_pages_stay_small_with_500_households(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    db.session.add_all(
        factories.BeneficiaryFactory.build(grocery=van.grocery, household_name=f"Foyer {n:04d}")
        for n in range(500)
    )
    db.session.commit()
    index = client.get(f"/epiceries/{van.grocery.slug}/precommandes")
    found = client.get(search_url(van, "Foyer"))
    assert found.status_code == 200
    for response in (index, found):
        assert len(response.get_data()) < 12_000  # every household listed: 25 kB
    assert len(options_of(found.get_data(as_text=True), "beneficiaire")) == 20
