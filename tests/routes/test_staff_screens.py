"""The grocery staff's route screens: happy paths, bad input, and who may use them."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.routes.models import Depot, Route, RouteException, RouteRun, RouteStop, Van
from marketplace.routes.runs import materialise_runs
from marketplace.timezones import paris_today
from tests.factories import (
    DepotFactory,
    GroceryFactory,
    RouteFactory,
    RouteStopFactory,
    VanFactory,
)
from tests.helpers import count_queries


def base(grocery) -> str:
    return f"/epiceries/{grocery.slug}/tournees"


@pytest.fixture
def route():
    route = RouteFactory(departs_at=time(8, 0))
    RouteStopFactory(route=route, village="Duerne", arrives_at=time(9, 0), departs_at=time(9, 30))
    RouteStopFactory(route=route, village="Aveize", arrives_at=time(10, 0), departs_at=time(10, 30))
    db.session.commit()
    return route


def test_staff_create_a_van_a_depot_and_a_route(client, user_with_role):
    grocery = GroceryFactory()
    user_with_role(Role.GROCERY_STAFF, grocery)
    response = client.post(
        f"{base(grocery)}/camions/nouveau",
        data={"name": "Camion frigo", "capacity_crates": "40", "capacity_kg": "", "active": "y"},
    )
    assert response.status_code == 302
    response = client.post(
        f"{base(grocery)}/depots/nouveau",
        data={"name": "Entrepôt", "address": "", "latitude": "45,6317", "longitude": "4,4556"},
    )
    assert response.status_code == 302
    van = db.session.scalar(select(Van))
    depot = db.session.scalar(select(Depot))
    assert depot.latitude == pytest.approx(45.6317)
    response = client.post(
        f"{base(grocery)}/nouvelle",
        data={
            "name": "Tournée des Monts",
            "van_id": van.id,
            "depot_id": depot.id,
            "departs_at": "08:00",
            "valid_from": paris_today().isoformat(),
            "pattern": "weekly",
            "weekdays": ["TU"],
            "interval": "1",
            "active": "y",
        },
    )
    assert response.status_code == 302
    route = db.session.scalar(select(Route))
    assert route.rrule == "FREQ=WEEKLY;BYDAY=TU"
    page = client.get(response.location).get_data(as_text=True)
    assert "Tournée des Monts" in page
    assert db.session.scalar(select(func.count(RouteRun.id))) >= 7


def test_a_route_rule_with_no_date_is_refused_clearly(client, user_with_role):
    van = VanFactory()
    depot = DepotFactory(grocery=van.grocery)
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    response = client.post(
        f"{base(van.grocery)}/nouvelle",
        data={
            "name": "Tournée impossible",
            "van_id": van.id,
            "depot_id": depot.id,
            "departs_at": "08:00",
            "valid_from": "2026-01-01",
            "pattern": "advanced",
            "rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        },
    )
    assert response.status_code == 200
    assert "ne donne aucune date" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Route.id))) == 0


def test_validity_order_is_checked(client, user_with_role):
    van = VanFactory()
    depot = DepotFactory(grocery=van.grocery)
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    response = client.post(
        f"{base(van.grocery)}/nouvelle",
        data={
            "name": "Tournée",
            "van_id": van.id,
            "depot_id": depot.id,
            "departs_at": "08:00",
            "valid_from": "2026-06-01",
            "valid_until": "2026-05-01",
            "pattern": "weekly",
            "weekdays": ["TU"],
        },
    )
    assert "La fin de validité doit être après son début." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Route.id))) == 0


def test_adding_a_stop_without_coordinates_is_refused(client, user_with_role, route):
    user_with_role(Role.GROCERY_STAFF, route.grocery)
    response = client.post(
        f"{base(route.grocery)}/{route.id}/arrets/nouveau",
        data={
            "village": "Coise",
            "latitude": "",
            "longitude": "",
            "service_minutes": "30",
            "arrives_at": "11:00",
            "departs_at": "11:30",
        },
    )
    assert response.status_code == 200
    assert "Indiquez la latitude" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RouteStop.id))) == 2


def test_adding_and_editing_a_stop(client, user_with_role, route):
    user_with_role(Role.GROCERY_STAFF, route.grocery)
    response = client.post(
        f"{base(route.grocery)}/{route.id}/arrets/nouveau",
        data={
            "village": "Coise",
            "place": "Place du marché",
            "latitude": "45,6167",
            "longitude": "4,4667",
            "service_minutes": "30",
            "window_opens": "10:30",
            "window_closes": "12:00",
            "arrives_at": "11:00",
            "departs_at": "11:30",
        },
    )
    assert response.status_code == 302
    stop = db.session.scalar(select(RouteStop).where(RouteStop.village == "Coise"))
    assert stop.slug == "coise"
    db.session.expire_all()
    assert [s.village for s in db.session.get(Route, route.id).stops] == [
        "Duerne",
        "Aveize",
        "Coise",
    ]
    response = client.post(
        f"{base(route.grocery)}/{route.id}/arrets/{stop.id}/modifier",
        data={
            "village": "Coise",
            "latitude": "45,6167",
            "longitude": "4,4667",
            "service_minutes": "30",
            "window_opens": "12:00",
            "window_closes": "10:00",
            "arrives_at": "11:00",
            "departs_at": "11:30",
        },
    )
    assert "La fin du créneau souhaité doit être après son début." in response.get_data(
        as_text=True
    )


def test_reordering_with_times(client, user_with_role, route):
    user_with_role(Role.GROCERY_STAFF, route.grocery)
    duerne, aveize = route.stops
    url = f"{base(route.grocery)}/{route.id}/horaires"
    assert "Aveize" in client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "stops-0-stop_id": duerne.id,
            "stops-0-position": "2",
            "stops-0-arrives_at": "10:00",
            "stops-0-departs_at": "10:30",
            "stops-1-stop_id": aveize.id,
            "stops-1-position": "1",
            "stops-1-arrives_at": "09:00",
            "stops-1-departs_at": "09:30",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [stop.village for stop in db.session.get(Route, route.id).stops] == ["Aveize", "Duerne"]
    response = client.post(
        url,
        data={
            "stops-0-stop_id": duerne.id,
            "stops-0-position": "1",
            "stops-0-arrives_at": "10:00",
            "stops-0-departs_at": "10:30",
            "stops-1-stop_id": aveize.id,
            "stops-1-position": "2",
            "stops-1-arrives_at": "09:00",
            "stops-1-departs_at": "09:30",
        },
    )
    assert "Les horaires doivent se suivre" in response.get_data(as_text=True)


def test_cancelling_a_run(client, user_with_role, route):
    user_with_role(Role.GROCERY_STAFF, route.grocery)
    today = paris_today()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 + 7)
    response = client.post(
        f"{base(route.grocery)}/{route.id}/exceptions",
        data={"occurrence_date": tuesday.isoformat(), "kind": "cancelled", "reason": "Panne"},
    )
    assert response.status_code == 302
    run = db.session.scalar(select(RouteRun).where(RouteRun.occurrence_date == tuesday))
    assert run.status == "cancelled"
    response = client.post(
        f"{base(route.grocery)}/{route.id}/exceptions",
        data={"occurrence_date": (tuesday + timedelta(days=1)).isoformat(), "kind": "cancelled"},
    )
    assert "n&#39;est pas un jour de cette tournée" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RouteException.id))) == 1


@pytest.mark.parametrize("role", [None, Role.VOLUNTEER])
def test_only_the_grocerys_staff_may_manage_routes(client, user_with_role, login, route, role):
    other_grocery = GroceryFactory()
    db.session.commit()
    if role is None:
        user_with_role(Role.GROCERY_STAFF, other_grocery)
    else:
        user_with_role(role, route.grocery)
    stop = route.stops[0]
    for url in (
        base(route.grocery),
        f"{base(route.grocery)}/{route.id}",
        f"{base(route.grocery)}/{route.id}/horaires",
        f"{base(route.grocery)}/{route.id}/exceptions",
        f"{base(route.grocery)}/camions/nouveau",
    ):
        assert client.get(url).status_code == 403
    response = client.post(
        f"{base(route.grocery)}/{route.id}/arrets/{stop.id}/modifier",
        data={
            "village": "Piraté",
            "latitude": "1",
            "longitude": "1",
            "service_minutes": "5",
            "arrives_at": "09:00",
            "departs_at": "09:30",
        },
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(RouteStop, stop.id).village == "Duerne"


def test_another_grocerys_route_is_not_found(client, user_with_role, route):
    other_grocery = GroceryFactory()
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, other_grocery)
    assert client.get(f"{base(other_grocery)}/{route.id}").status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, route):
    response = client.get(base(route.grocery))
    assert response.status_code == 302
    assert "login" in response.location or "connexion" in response.location


def test_every_staff_screen_renders(client, user_with_role, route):
    user_with_role(Role.GROCERY_STAFF, route.grocery)
    van, depot, stop = route.van, route.depot, route.stops[0]
    materialise_runs(route, paris_today() + timedelta(weeks=4))
    db.session.commit()
    pages = {
        base(route.grocery): ["Tournée", van.name, depot.name],
        f"{base(route.grocery)}/camions/nouveau": ["Nouveau camion"],
        f"{base(route.grocery)}/camions/{van.id}/modifier": [van.name],
        f"{base(route.grocery)}/depots/nouveau": ["Nouveau dépôt"],
        f"{base(route.grocery)}/depots/{depot.id}/modifier": [depot.name],
        f"{base(route.grocery)}/nouvelle": ["Nouvelle tournée"],
        f"{base(route.grocery)}/{route.id}/modifier": [route.name],
        f"{base(route.grocery)}/{route.id}": ["Duerne", "Aveize", "Prochaines tournées"],
        f"{base(route.grocery)}/{route.id}/arrets/nouveau": ["Nouvel arrêt"],
        f"{base(route.grocery)}/{route.id}/arrets/{stop.id}/modifier": ["Duerne"],
        f"{base(route.grocery)}/{route.id}/horaires": ["Aveize"],
        f"{base(route.grocery)}/{route.id}/exceptions": ["Annuler ou déplacer"],
    }
    for url, texts in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        for text in texts:
            assert text in page, (url, text)


def test_the_staff_route_page_runs_the_same_queries_for_few_or_many_runs(
    client, user_with_role, route
):
    user_with_role(Role.GROCERY_STAFF, route.grocery)
    route.rrule = "FREQ=DAILY"
    materialise_runs(route, paris_today() + timedelta(days=3))
    db.session.commit()
    url = f"{base(route.grocery)}/{route.id}"
    with count_queries() as few:
        client.get(url)
    materialise_runs(route, paris_today() + timedelta(days=40))
    db.session.commit()
    with count_queries() as many:
        client.get(url)
    assert many.count == few.count


def test_a_tampered_timetable_is_refused_without_error_page(client, user_with_role, route):
    user_with_role(Role.GROCERY_STAFF, route.grocery)
    response = client.post(
        f"{base(route.grocery)}/{route.id}/horaires",
        data={
            "stops-0-stop_id": "abc",
            "stops-0-position": "1",
            "stops-0-arrives_at": "09:00",
            "stops-0-departs_at": "09:30",
        },
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert [s.village for s in db.session.get(Route, route.id).stops] == ["Duerne", "Aveize"]
