"""The lists run the same number of SQL queries at 10 and at 1,000 products."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.extensions import db
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request
from tests.shop.lists_support import crowd, distribution_day, make_farm

PAGES = ["recolte", "colisage", "feuille-de-livraison"]


def queries_for(client, url: str) -> int:
    as_new_request()
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


@pytest.mark.parametrize("kind", PAGES)
def test_query_count_does_not_grow_with_products_and_households(client, user_with_role, kind):
    small = make_farm()
    crowd(small, products=10, households=5)
    db.session.commit()
    user_with_role("producer_staff", small.producer)
    counts = {
        "small": queries_for(client, small.url(kind)),
        "small csv": queries_for(client, small.url(kind) + "?format=csv"),
    }

    crowd(small, products=1000, households=400)  # same date, far more rows
    db.session.commit()
    counts["large"] = queries_for(client, small.url(kind))
    counts["large csv"] = queries_for(client, small.url(kind) + "?format=csv")
    assert len(set(counts.values())) == 1, counts
    assert counts["large"] <= 8, counts


def test_the_large_lists_add_up(client, user_with_role):
    farm = make_farm()
    crowd(farm, products=1000, households=400)
    db.session.commit()
    user_with_role("producer_staff", farm.producer)
    text = client.get(farm.url("colisage")).get_data(as_text=True)
    assert text.count('<span class="tick-box"') == 400  # one bag per household
    assert "-0399" in text


def test_the_date_chooser_runs_the_same_queries_whatever_the_number_of_dates(
    client, user_with_role
):
    farm = make_farm()
    db.session.commit()
    user_with_role("producer_staff", farm.producer)
    few = queries_for(client, farm.url())
    for week in range(1, 6):
        for point in farm.points.values():
            distribution_day(point, farm.day + timedelta(weeks=week), closed=False)
    db.session.commit()
    assert queries_for(client, farm.url()) == few
