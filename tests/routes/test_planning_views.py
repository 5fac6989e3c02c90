"""Optimising a route on its page, reading the plan, accepting it (grocery staff only)."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.routes.models import RoutePlan, RouteStop, RunStop
from marketplace.timezones import local_instant
from tests.factories import (
    GroceryFactory,
    GroupFactory,
    RouteFactory,
    RouteRunFactory,
    RouteStopFactory,
    RunStopFactory,
)
from tests.helpers import count_queries

# The depot is the south-west corner of a rectangle of villages; typed in a zigzag order.
VILLAGES = [
    ("Coise", 45.66, 4.48),
    ("Larajasse", 45.60, 4.44),
    ("Aveize", 45.66, 4.40),
    ("Pomeys", 45.63, 4.48),
    ("Meys", 45.60, 4.48),
]
SHORTEST = ["Larajasse", "Meys", "Pomeys", "Coise", "Aveize"]


@pytest.fixture
def route():
    route = RouteFactory(departs_at=time(8, 0))
    route.depot.latitude, route.depot.longitude = 45.60, 4.40
    for position, (village, latitude, longitude) in enumerate(VILLAGES, start=1):
        RouteStopFactory(
            route=route,
            position=position,
            village=village,
            latitude=latitude,
            longitude=longitude,
            service_minutes=20,
            arrives_at=time(8 + position, 0),
            departs_at=time(8 + position, 20),
        )
    db.session.commit()
    return route


@pytest.fixture
def staff(route, user_with_role):
    return user_with_role(Role.GROCERY_STAFF, route.grocery)


def villages_in_order(route):
    db.session.expire_all()
    return [
        stop.village
        for stop in db.session.scalars(
            select(RouteStop).where(RouteStop.route_id == route.id).order_by(RouteStop.position)
        )
    ]


def optimise(client, route, budget="5"):
    return client.post(f"/planification/tournees/{route.id}", data={"time_budget": budget})


def plan_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RoutePlan))


def test_staff_optimise_a_route_and_read_the_plan(client, route, staff):
    page = client.get(f"/planification/tournees/{route.id}")
    assert page.status_code == 200
    assert "Optimiser la tournée" in page.text
    assert "Larajasse" in page.text

    response = optimise(client, route)

    assert response.status_code == 302
    plan = db.session.scalars(select(RoutePlan)).one()
    assert response.headers["Location"].endswith(f"/planification/plans/{plan.id}")
    assert plan.created_by_id == staff.id
    assert plan.solver == "pyvrp 0.14"
    assert plan.drive_minutes < plan.naive_drive_minutes
    stop_ids = [item["stop_id"] for item in json.loads(plan.visits_json)]
    by_id = {stop.id: stop.village for stop in route.stops}
    assert [by_id[i] for i in stop_ids] in (SHORTEST, SHORTEST[::-1])

    shown = client.get(response.headers["Location"])
    assert shown.status_code == 200
    assert "<svg" in shown.text and "plan-map-stop" in shown.text
    assert f"{plan.naive_drive_minutes - plan.drive_minutes} min" in shown.text  # the saving
    assert "Accepter" in shown.text
    assert "style=" not in shown.text
    # Nothing changed on the route until the plan is accepted.
    assert villages_in_order(route) == [village for village, _, _ in VILLAGES]


def test_a_tampered_time_budget_is_refused_and_nothing_computed(client, route, staff):
    response = optimise(client, route, budget="3600")
    assert response.status_code == 200
    assert "Choisissez une durée de la liste." in response.text
    assert plan_count() == 0


def test_a_route_without_stops_is_refused_clearly(client, user_with_role):
    empty = RouteFactory()
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, empty.grocery)
    response = optimise(client, empty)
    assert response.status_code == 200
    assert "aucun arrêt à planifier" in response.text
    assert plan_count() == 0


def test_an_unserved_stop_is_explained_and_the_plan_cannot_be_accepted(client, route, staff):
    far = RouteStopFactory(
        route=route,
        position=6,
        village="Montromant",
        latitude=45.90,
        longitude=4.40,
        window_opens=time(8, 0),
        window_closes=time(8, 30),
        arrives_at=time(8, 0),
        departs_at=time(8, 30),
    )
    db.session.commit()
    optimise(client, route)
    plan = db.session.scalars(select(RoutePlan)).one()
    assert [item["stop_id"] for item in json.loads(plan.unserved_json)] == [far.id]

    shown = client.get(f"/planification/plans/{plan.id}")
    assert "1 arrêt ne peut pas être desservi" in shown.text
    assert "Montromant" in shown.text
    assert "avant la fin de son créneau" in shown.text
    assert "ne peut pas être accepté" in shown.text
    assert "plan-map-unserved" in shown.text

    response = client.post(f"/planification/plans/{plan.id}/accepter", follow_redirects=True)
    assert "laisse des arrêts sans passage" in response.text
    db.session.expire_all()
    assert db.session.get(RoutePlan, plan.id).accepted_at is None
    assert villages_in_order(route) == [village for village, _, _ in VILLAGES] + ["Montromant"]


def test_accepting_updates_the_stops_and_the_coming_runs(client, route, staff):
    coming = RouteRunFactory(route=route, occurrence_date=date.today() + timedelta(days=7))
    past = RouteRunFactory(route=route, occurrence_date=date.today() - timedelta(days=7))
    for stop in route.stops:
        RunStopFactory(run=coming, stop=stop)
        RunStopFactory(run=past, stop=stop)
    db.session.commit()
    past_before = {
        run_stop.stop_id: (run_stop.position, run_stop.arrives_at) for run_stop in past.stops
    }
    optimise(client, route)
    plan = db.session.scalars(select(RoutePlan)).one()
    visits = json.loads(plan.visits_json)

    response = client.post(f"/planification/plans/{plan.id}/accepter", follow_redirects=True)

    assert "Plan accepté" in response.text
    assert "ainsi que 1 passage à venir." in response.text
    db.session.expire_all()
    assert db.session.get(RoutePlan, plan.id).accepted_at is not None
    stops = db.session.scalars(
        select(RouteStop).where(RouteStop.route_id == route.id).order_by(RouteStop.position)
    ).all()
    assert [stop.id for stop in stops] == [item["stop_id"] for item in visits]
    assert [stop.position for stop in stops] == [1, 2, 3, 4, 5]
    assert [stop.arrives_at.strftime("%H:%M") for stop in stops] == [
        item["arrives"] for item in visits
    ]
    assert [stop.departs_at.strftime("%H:%M") for stop in stops] == [
        item["departs"] for item in visits
    ]
    coming_stops = db.session.scalars(
        select(RunStop).where(RunStop.run_id == coming.id).order_by(RunStop.position)
    ).all()
    assert [run_stop.stop_id for run_stop in coming_stops] == [stop.id for stop in stops]
    assert [run_stop.arrives_at for run_stop in coming_stops] == [
        local_instant(coming.day, stop.arrives_at) for stop in stops
    ]
    past_after = {
        run_stop.stop_id: (run_stop.position, run_stop.arrives_at)
        for run_stop in db.session.scalars(select(RunStop).where(RunStop.run_id == past.id))
    }
    assert past_after == past_before  # a run already gone is never rewritten

    again = client.post(f"/planification/plans/{plan.id}/accepter", follow_redirects=True)
    assert "déjà été accepté" in again.text


def test_a_plan_made_before_the_route_changed_cannot_be_accepted(client, route, staff):
    optimise(client, route)
    plan = db.session.scalars(select(RoutePlan)).one()
    stop = route.stops[0]
    stop.window_opens, stop.window_closes = time(14, 0), time(16, 0)
    db.session.commit()

    shown = client.get(f"/planification/plans/{plan.id}")
    assert "La tournée a changé depuis ce calcul" in shown.text
    assert "Accepter</button>" not in shown.text
    response = client.post(f"/planification/plans/{plan.id}/accepter", follow_redirects=True)
    assert "La tournée a changé depuis ce calcul" in response.text
    assert villages_in_order(route) == [village for village, _, _ in VILLAGES]


def test_a_failed_acceptance_leaves_nothing_half_saved(client, route, staff, monkeypatch):
    run = RouteRunFactory(route=route)
    for stop in route.stops:
        RunStopFactory(run=run, stop=stop)
    db.session.commit()
    optimise(client, route)
    plan = db.session.scalars(select(RoutePlan)).one()

    def breaks(route, now):
        raise DomainError("Le camion est en panne.")

    monkeypatch.setattr("marketplace.routes.routes.restamp_future_runs", breaks)
    response = client.post(f"/planification/plans/{plan.id}/accepter", follow_redirects=True)

    assert "Le camion est en panne." in response.text
    db.session.expire_all()
    assert db.session.get(RoutePlan, plan.id).accepted_at is None
    assert villages_in_order(route) == [village for village, _, _ in VILLAGES]
    stops = db.session.scalars(
        select(RouteStop).where(RouteStop.route_id == route.id).order_by(RouteStop.position)
    ).all()
    assert [stop.arrives_at for stop in stops] == [time(8 + i, 0) for i in range(1, 6)]


@pytest.mark.parametrize("who", ["other_grocery_staff", "member", "grocery_volunteer"])
def test_only_this_grocery_staff_may_plan(client, route, user_with_role, login, who):
    staff = user_with_role(Role.GROCERY_STAFF, route.grocery, log_in=False)
    login(staff)
    optimise(client, route)
    plan = db.session.scalars(select(RoutePlan)).one()
    if who == "other_grocery_staff":
        user_with_role(Role.GROCERY_STAFF, GroceryFactory())
    elif who == "member":
        user_with_role(Role.MEMBER, GroupFactory())
    else:
        user_with_role(Role.VOLUNTEER, route.grocery)

    assert client.get(f"/planification/tournees/{route.id}").status_code == 403
    assert optimise(client, route).status_code == 403
    assert client.get(f"/planification/plans/{plan.id}").status_code == 403
    assert client.post(f"/planification/plans/{plan.id}/accepter").status_code == 403
    assert plan_count() == 1
    db.session.expire_all()
    assert db.session.get(RoutePlan, plan.id).accepted_at is None


def test_anonymous_visitors_are_sent_to_log_in(client, route):
    response = client.get(f"/planification/tournees/{route.id}")
    assert response.status_code == 302
    assert "login" in response.headers["Location"] or "connexion" in response.headers["Location"]


def test_unknown_route_or_plan_is_404(client, staff):
    assert client.get("/planification/tournees/999999").status_code == 404
    assert client.get("/planification/plans/999999").status_code == 404


def test_the_pages_query_count_does_not_grow_with_plans_and_stops(client, route, staff):
    optimise(client, route)
    plan = db.session.scalars(select(RoutePlan)).one()

    def queries(url):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    few_list = queries(f"/planification/tournees/{route.id}")
    few_plan = queries(f"/planification/plans/{plan.id}")
    for position in range(6, 16):
        RouteStopFactory(route=route, position=position, latitude=45.62, longitude=4.42)
    for _ in range(4):
        optimise(client, route)
    db.session.commit()
    latest = db.session.scalars(select(RoutePlan).order_by(RoutePlan.id.desc())).first()

    assert queries(f"/planification/tournees/{route.id}") == few_list
    assert queries(f"/planification/plans/{latest.id}") == few_plan


def test_the_route_page_links_the_planning_with_one_second_for_a_small_route(client, route, staff):
    page = client.get(f"/epiceries/{route.grocery.slug}/tournees/{route.id}")
    assert page.status_code == 200
    assert f'href="/planification/tournees/{route.id}"' in page.text
    assert "Calculer le meilleur ordre de passage" in page.text

    planning = client.get(f"/planification/tournees/{route.id}")
    assert '<option selected value="1">1 seconde</option>' in planning.text
    assert optimise(client, route, budget="1").status_code == 302
    assert db.session.scalars(select(RoutePlan)).one().time_budget_seconds == 1


def test_a_plan_that_saves_nothing_changes_no_public_time(client, route, staff):
    # The villages typed already in the shortest order: the plan gains nothing.
    for stop in route.stops:
        stop.position = -stop.id
    db.session.flush()
    by_village = {stop.village: stop for stop in route.stops}
    for position, village in enumerate(SHORTEST, start=1):
        by_village[village].position = position
        by_village[village].arrives_at = time(8 + position, 0)
        by_village[village].departs_at = time(8 + position, 20)
    db.session.commit()
    before = {stop.id: (stop.position, stop.arrives_at) for stop in route.stops}
    optimise(client, route)
    plan = db.session.scalars(select(RoutePlan)).one()
    assert plan.drive_minutes >= plan.naive_drive_minutes

    shown = client.get(f"/planification/plans/{plan.id}")
    assert "ne fait gagner aucune minute" in shown.text
    assert "Accepter</button>" not in shown.text
    response = client.post(f"/planification/plans/{plan.id}/accepter", follow_redirects=True)
    assert "ne fait gagner aucune minute" in response.text

    db.session.expire_all()
    assert db.session.get(RoutePlan, plan.id).accepted_at is None
    stops = db.session.scalars(select(RouteStop).where(RouteStop.route_id == route.id)).all()
    assert {stop.id: (stop.position, stop.arrives_at) for stop in stops} == before
