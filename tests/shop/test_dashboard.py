"""The producer's dashboard: this week's orders and revenue, and the last weeks as a chart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from marketplace.extensions import db
from marketplace.shop.dashboard import WEEKS_CHARTED, producer_dashboard, week_start
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text
from tests.shop.lists_support import distribution_day, make_farm


def sell(farm, day, user, lines: dict[str, int], status: str = "placed"):
    """An order on `day` (its own distribution day and availabilities)."""
    point = farm.points["Préau"]
    distribution = distribution_day(point, day, closed=True)
    order = factories.OrderFactory(
        distribution_day=distribution,
        user=user,
        status=status,
        cancelled_at=None if status == "placed" else distribution.order_closes_at,
    )
    for name, quantity in lines.items():
        availability = farm.availability_on(name, day)
        factories.OrderLineFactory(order=order, availability=availability, quantity_milli=quantity)
    return order


@pytest.fixture
def farm():
    """Carrots at 3,20 €/kg and bread at 4,50 €; sales this week, three weeks ago and long ago."""
    today = paris_today()
    farm = make_farm(day=today)
    farm.offer_product("Carottes", "kg", 320)
    farm.offer_product("Pain", "piece", 450)
    martin = factories.UserFactory(name="Foyer Martin")
    leroy = factories.UserFactory(name="Foyer Leroy")
    sell(farm, today, martin, {"Carottes": 1000, "Pain": 2000})  # 3,20 + 9,00 = 12,20
    sell(farm, today, leroy, {"Carottes": 1500})  # 4,80
    sell(farm, today, factories.UserFactory(), {"Carottes": 5000}, status="cancelled")
    sell(farm, today - timedelta(weeks=3), leroy, {"Pain": 1000})  # 4,50
    sell(farm, today - timedelta(weeks=WEEKS_CHARTED + 2), martin, {"Pain": 1000})
    farm.basket(farm.subscribe(martin, "Préau", "Grand"), "Préau")
    farm.basket(farm.subscribe(leroy, "Salle", "Petit"), "Salle", quantity=2)
    db.session.commit()
    return farm


def dashboard_url(farm) -> str:
    return f"/producteurs/{farm.producer.id}/tableau-de-bord"


def test_this_week_and_the_last_weeks(farm):
    dashboard = producer_dashboard(farm.producer.id, today=paris_today())
    assert (dashboard.this_week.orders, dashboard.this_week.revenue_cents) == (2, 1700)
    assert dashboard.baskets_this_week == 3
    assert len(dashboard.weeks) == WEEKS_CHARTED
    assert dashboard.weeks[-1].starts_on == week_start(paris_today())
    three_weeks_ago = dashboard.weeks[-4]
    assert (three_weeks_ago.orders, three_weeks_ago.revenue_cents) == (1, 450)
    assert sum(week.revenue_cents for week in dashboard.weeks) == 2150  # long ago is left out

    bars = dashboard.bars()
    tallest = max(bars, key=lambda bar: bar.height)
    assert tallest.week == dashboard.this_week
    assert bars[-4].height == pytest.approx(tallest.height * 450 / 1700, abs=0.01)
    assert all(bar.y + bar.height == pytest.approx(dashboard.baseline_y) for bar in bars)


def test_the_page_draws_the_chart_in_svg_with_a_table(client, farm, user_with_role):
    user_with_role("producer_staff", farm.producer)
    response = client.get(dashboard_url(farm))
    assert response.status_code == 200
    text = page_text(response)
    this_week = text[text.index("Cette semaine") : text.index("last-weeks")]
    assert "17,00\xa0€" in this_week
    assert ">2<" in this_week and ">3<" in this_week
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert 'role="img"' in svg
    assert len(re.findall(r"<rect ", svg)) == WEEKS_CHARTED
    assert "chart-bar-current" in svg
    assert "<script" not in text and 'style="' not in text
    table = text[text.index("Les chiffres semaine par semaine") :]
    assert table.count("<tr>") == WEEKS_CHARTED + 1  # header + one row per week
    assert "4,50\xa0€" in table


def test_a_farm_without_sales_reads_so(client, user_with_role):
    farm = make_farm()
    db.session.commit()
    user_with_role("producer_staff", farm.producer)
    text = page_text(client.get(dashboard_url(farm)))
    assert "Aucune commande à la carte ces dernières semaines." in text
    assert "<svg" not in text


def test_the_dashboard_runs_the_same_queries_with_more_sales(client, farm, user_with_role):
    user_with_role("producer_staff", farm.producer)
    as_new_request()
    with count_queries() as few:
        assert client.get(dashboard_url(farm)).status_code == 200
    for weeks_ago in range(1, WEEKS_CHARTED):
        for _ in range(3):
            user = factories.UserFactory()
            sell(farm, paris_today() - timedelta(weeks=weeks_ago), user, {"Carottes": 1000})
    db.session.commit()
    as_new_request()
    with count_queries() as many:
        assert client.get(dashboard_url(farm)).status_code == 200
    assert many.count == few.count


def test_only_the_farms_staff_sees_its_sales(client, farm, user_with_role):
    user_with_role("producer_staff", factories.ProducerFactory())
    assert client.get(dashboard_url(farm)).status_code == 403
    user_with_role("member", farm.group)
    assert client.get(dashboard_url(farm)).status_code == 403
    assert client.get("/producteurs/999999/tableau-de-bord").status_code == 404


def test_the_territory_dashboard_links_to_the_lists_and_sales(client, farm, user_with_role):
    user_with_role("producer_staff", farm.producer)
    text = page_text(client.get("/tableau-de-bord"))
    assert f"/producteurs/{farm.producer.id}/listes/" in text
    assert dashboard_url(farm) in text
