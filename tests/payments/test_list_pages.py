"""The arrears and offline-payments pages show 50 rows a page: any page number in the address
gives a page (the first when it is not a page number) or a 404 past the last, never an error."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request
from tests.payments.support import readable
from tests.payments.test_arrears import household, rows_of
from tests.payments.test_offline_record import household_with_installments


@pytest.fixture
def group():
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    db.session.commit()
    return group


def arrears_url(group, query: str = "") -> str:
    return f"/groupes/{group.slug}/gestion/impayes{query}"


def offline_url(group, query: str = "") -> str:
    return f"/groupes/{group.slug}/gestion/paiements{query}"


def in_arrears(group, count: int) -> None:
    for index in range(count):
        household(group, f"Foyer n{index:03d}", -1000 - index)
    db.session.commit()


def test_arrears_are_shown_fifty_a_page_with_totals_over_all(client, group, user_with_role):
    user_with_role("coordinator", group)
    in_arrears(group, 120)
    first = readable(client.get(arrears_url(group)))
    assert len(rows_of(first)) == 50
    assert "Foyer n119" in first  # most owed first
    assert "Page 1 sur 3" in first and "Page suivante" in first
    assert "Total : 120 foyers" in first
    last = readable(client.get(arrears_url(group, "?page=3")))
    assert len(rows_of(last)) == 20
    assert "Foyer n000" in last and "Page précédente" in last
    assert "Total : 120 foyers" in last


@pytest.mark.parametrize("number", ["abc", "0", "-2", "1.5", "", "99999999999999999999"])
def test_a_page_number_that_is_not_one_gives_the_first_page(client, group, user_with_role, number):
    user_with_role("coordinator", group)
    in_arrears(group, 60)
    for url in (arrears_url(group, f"?page={number}"), offline_url(group, f"?page={number}")):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Page 1 sur 2" in readable(client.get(arrears_url(group, f"?page={number}")))


def test_a_page_past_the_last_is_not_found(client, group, user_with_role):
    user_with_role("coordinator", group)
    in_arrears(group, 60)
    assert client.get(arrears_url(group, "?page=2")).status_code == 200
    assert client.get(arrears_url(group, "?page=3")).status_code == 404
    assert client.get(offline_url(group, "?page=2")).status_code == 404
    assert client.get(offline_url(group, "?recorded_page=2")).status_code == 404


def test_no_arrears_has_no_pages(client, group, user_with_role):
    user_with_role("coordinator", group)
    text = readable(client.get(arrears_url(group)))
    assert "Aucun impayé" in text and "Page 1" not in text


def test_offline_lists_page_apart_and_keep_their_filters(client, group, user_with_role):
    user_with_role("coordinator", group)
    offer = factories.BasketOfferFactory(supply__group=group, name="Contrat légumes")
    for number in range(3):
        _, installments = household_with_installments(
            group, f"Foyer Martin {number}", [3000] * 25, offer=offer
        )
        for installment in installments:
            factories.OfflinePaymentFactory(installment=installment)
    household_with_installments(group, "Foyer Leroy", [3000] * 5, offer=offer)
    db.session.commit()

    response = client.get(offline_url(group, "?household=martin"))
    text = response.get_data(as_text=True)
    assert text.count("Enregistrer un paiement<") == 50
    assert "Foyer Leroy" not in text
    # Each list has its own page number; the filter stays in the links.
    assert "page=2" in text and "recorded_page=2" in text and "household=martin" in text

    second = readable(client.get(offline_url(group, "?household=martin&page=2")))
    assert second.count("Enregistrer un paiement<") == 25
    payments = readable(client.get(offline_url(group, "?household=martin&recorded_page=2")))
    assert payments.count('name="payment_ids"') == 25


def test_the_pages_take_the_same_number_of_queries_whatever_the_page(client, group, user_with_role):
    user_with_role("coordinator", group)
    offer = factories.BasketOfferFactory(supply__group=group)
    late = paris_today() - timedelta(days=5)
    for index in range(110):
        user = household(group, f"Foyer n{index:03d}", -1000)
        factories.InstallmentFactory(
            subscription=factories.SubscriptionFactory(offer=offer, user=user), due_on=late
        )
    db.session.commit()
    counts = []
    for query in ("", "?page=2", "?page=3"):
        for url in (arrears_url(group, query), offline_url(group, query)):
            as_new_request()
            with count_queries() as counter:
                assert client.get(url).status_code == 200, url
            counts.append(counter.count)
    assert counts[0::2] == [counts[0]] * 3
    assert counts[1::2] == [counts[1]] * 3
