"""Retiring a village stop a run has already served: its history stays, coming runs drop it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.routes import routes as services
from marketplace.routes.models import RouteRun, RouteStop, RunStop
from marketplace.routes.plan_services import accept_plan, compute_route_plan
from marketplace.routes.runs import materialise_runs
from marketplace.routes.travel import TravelModel
from marketplace.timezones import paris_today
from tests.factories import (
    BeneficiaryFactory,
    GroceryFactory,
    GroupFactory,
    PreOrderFactory,
    RouteFactory,
    RouteRunFactory,
    RouteStopFactory,
    RunStopFactory,
    StockItemFactory,
    WalkInSaleFactory,
)
from tests.helpers import count_queries

BEFORE_RUNS = datetime(2026, 1, 1, tzinfo=UTC)
AFTER_FIRST_RUN = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # the run of Tuesday 3 March has left
FIRST_RUN, SECOND_RUN = date(2026, 3, 3), date(2026, 3, 10)


def stop_data(village: str, hour: int, latitude: float, longitude: float) -> services.StopData:
    return services.StopData(
        village=village,
        place="",
        latitude=latitude,
        longitude=longitude,
        service_minutes=20,
        window_opens=None,
        window_closes=None,
        arrives_at=time(hour, 0),
        departs_at=time(hour, 20),
    )


@pytest.fixture
def stops():
    """Three stops of a Tuesday route from 1 March 2026, runs materialised to the 31st."""
    route = RouteFactory(departs_at=time(8, 0), valid_from=date(2026, 3, 1))
    route.depot.latitude, route.depot.longitude = 45.60, 4.40
    duerne = services.add_stop(route, stop_data("Duerne", 9, 45.66, 4.48), now=BEFORE_RUNS)
    aveize = services.add_stop(route, stop_data("Aveize", 10, 45.66, 4.40), now=BEFORE_RUNS)
    coise = services.add_stop(route, stop_data("Coise", 11, 45.60, 4.48), now=BEFORE_RUNS)
    materialise_runs(route, date(2026, 3, 31), today=date(2026, 3, 2), now=BEFORE_RUNS)
    return route, duerne, aveize, coise


def run_on(day: date) -> RouteRun:
    return db.session.scalar(select(RouteRun).where(RouteRun.day == day))


def stop_ids(run: RouteRun) -> list[int]:
    db.session.refresh(run)
    return [run_stop.stop_id for run_stop in run.stops]


def run_stops_of(stop: RouteStop) -> int:
    return db.session.scalar(select(func.count(RunStop.id)).where(RunStop.stop_id == stop.id))


def test_a_served_stop_is_retired_and_only_coming_runs_drop_it(stops):
    route, duerne, aveize, coise = stops
    assert services.remove_stop(aveize, now=AFTER_FIRST_RUN) is True
    retired = db.session.get(RouteStop, aveize.id)
    assert retired.retired_at == AFTER_FIRST_RUN
    assert retired.position == -aveize.id
    assert [stop.village for stop in route.stops] == ["Duerne", "Coise"]
    assert (duerne.position, coise.position) == (1, 3)  # the others keep their places
    assert stop_ids(run_on(FIRST_RUN)) == [duerne.id, aveize.id, coise.id]
    assert stop_ids(run_on(SECOND_RUN)) == [duerne.id, coise.id]
    assert run_stops_of(aveize) == 1

    pomeys = services.add_stop(route, stop_data("Pomeys", 12, 45.63, 4.48), now=AFTER_FIRST_RUN)
    assert pomeys.position == 4
    services.set_timetable(
        route,
        [
            services.StopTime(coise.id, time(9, 0), time(9, 20)),
            services.StopTime(pomeys.id, time(10, 0), time(10, 20)),
            services.StopTime(duerne.id, time(11, 0), time(11, 20)),
        ],
        now=AFTER_FIRST_RUN,
    )
    assert [stop.village for stop in route.stops] == ["Coise", "Pomeys", "Duerne"]
    assert stop_ids(run_on(SECOND_RUN)) == [coise.id, pomeys.id, duerne.id]
    assert db.session.get(RouteStop, aveize.id).position == -aveize.id


def test_materialising_again_never_brings_a_retired_stop_back(stops):
    route, _duerne, aveize, _coise = stops
    services.remove_stop(aveize, now=AFTER_FIRST_RUN)
    materialise_runs(route, date(2026, 5, 31), today=date(2026, 3, 5), now=AFTER_FIRST_RUN)
    assert run_stops_of(aveize) == 1  # only the run of 3 March
    assert db.session.scalar(select(func.count(RouteRun.id))) > 10


def test_a_stop_never_served_is_still_deleted(stops):
    route, _duerne, aveize, _coise = stops
    assert services.remove_stop(aveize, now=BEFORE_RUNS) is False
    assert db.session.get(RouteStop, aveize.id) is None
    assert [stop.village for stop in route.stops] == ["Duerne", "Coise"]


def test_pre_orders_waiting_on_a_coming_run_refuse_and_change_nothing(stops):
    route, _duerne, aveize, _coise = stops
    waiting_at = db.session.scalar(
        select(RunStop).where(RunStop.stop_id == aveize.id, RunStop.run_id == run_on(SECOND_RUN).id)
    )
    PreOrderFactory(beneficiary=BeneficiaryFactory(grocery=route.grocery), run_stop=waiting_at)
    with pytest.raises(DomainError) as error:
        services.remove_stop(aveize, now=AFTER_FIRST_RUN)
    assert "Des bénéficiaires ont précommandé à Aveize" in error.value.message
    db.session.expire_all()
    assert db.session.get(RouteStop, aveize.id).retired_at is None
    assert run_stops_of(aveize) == 5
    assert [stop.village for stop in route.stops] == ["Duerne", "Aveize", "Coise"]


def test_a_pre_order_placed_during_the_retirement_is_refused_clearly(stops, monkeypatch):
    route, _duerne, aveize, _coise = stops
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite in the tests does not enforce foreign keys")
    coming = db.session.scalar(
        select(RunStop).where(RunStop.stop_id == aveize.id, RunStop.run_id == run_on(SECOND_RUN).id)
    )
    PreOrderFactory(beneficiary=BeneficiaryFactory(grocery=route.grocery), run_stop=coming)
    # As if the household's pre-order landed just after the service looked.
    monkeypatch.setattr(services, "_check_nothing_waits", lambda stop, run_stop_ids: None)
    with pytest.raises(DomainError) as error:
        services.remove_stop(aveize, now=AFTER_FIRST_RUN)
    assert "Des bénéficiaires ont précommandé à Aveize" in error.value.message
    assert run_stops_of(aveize) == 5


def test_a_cancelled_pre_order_or_a_sale_on_a_coming_run_is_refused_clearly(stops):
    route, _duerne, aveize, _coise = stops
    coming = db.session.scalar(
        select(RunStop).where(RunStop.stop_id == aveize.id, RunStop.run_id == run_on(SECOND_RUN).id)
    )
    WalkInSaleFactory(run_stop=coming, stock_item=StockItemFactory(grocery=route.grocery))
    with pytest.raises(DomainError) as error:
        services.remove_stop(aveize, now=AFTER_FIRST_RUN)
    assert "une fois cette tournée passée" in error.value.message
    assert run_stops_of(aveize) == 5


def test_a_retired_stop_cannot_be_retired_twice(stops):
    _route, _duerne, aveize, _coise = stops
    services.remove_stop(aveize, now=AFTER_FIRST_RUN)
    with pytest.raises(DomainError) as error:
        services.remove_stop(db.session.get(RouteStop, aveize.id), now=AFTER_FIRST_RUN)
    assert "déjà retiré" in error.value.message


def test_planning_ignores_a_retired_stop_and_an_older_plan_cannot_be_accepted(stops):
    route, _duerne, aveize, _coise = stops
    older = compute_route_plan(route, None, 1, TravelModel())
    services.remove_stop(aveize, now=AFTER_FIRST_RUN)
    with pytest.raises(DomainError) as error:
        accept_plan(older, AFTER_FIRST_RUN)
    assert "a changé depuis ce calcul" in error.value.message
    newer = compute_route_plan(route, None, 1, TravelModel())
    planned = [visit["stop_id"] for visit in json.loads(newer.visits_json)]
    assert aveize.id not in planned and len(planned) == 2


# --- Screens and public pages (the real clock) --------------------------------------------------


def a_past_tuesday() -> date:
    today = paris_today()
    return today - timedelta(days=(today.weekday() - 1) % 7 + 7)


@pytest.fixture
def route():
    """Duerne and Aveize, both served by a run a week or two ago, and coming runs."""
    route = RouteFactory(departs_at=time(8, 0), valid_from=paris_today() - timedelta(weeks=4))
    duerne = RouteStopFactory(
        route=route, village="Duerne", slug="duerne", arrives_at=time(9, 0), departs_at=time(9, 30)
    )
    aveize = RouteStopFactory(
        route=route,
        village="Aveize",
        slug="aveize",
        arrives_at=time(10, 0),
        departs_at=time(10, 30),
    )
    past = RouteRunFactory(route=route, occurrence_date=a_past_tuesday())
    RunStopFactory(run=past, stop=duerne)
    RunStopFactory(run=past, stop=aveize)
    materialise_runs(route, paris_today() + timedelta(weeks=4))
    db.session.commit()
    route.aveize = aveize
    return route


def page_url(route) -> str:
    return f"/epiceries/{route.grocery.slug}/tournees/{route.id}"


def retire(client, route, stop):
    return client.post(f"{page_url(route)}/arrets/{stop.id}/supprimer")


def test_staff_retire_a_served_stop_from_the_route_page(client, user_with_role, route):
    user_with_role(Role.GROCERY_STAFF, route.grocery)
    page = client.get(page_url(route)).get_data(as_text=True)
    assert "Retirer l'arrêt" in page
    assert "Les tournées passées gardent cet arrêt" in page
    assert "Oui, retirer Aveize de la tournée" in page
    response = retire(client, route, route.aveize)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Aveize est retiré de la tournée" in page
    assert "Arrêts retirés" in page and "retiré le" in page
    assert "Oui, retirer Aveize de la tournée" not in page
    db.session.expire_all()
    assert db.session.get(RouteStop, route.aveize.id).retired_at is not None
    # Editing a stop that left the route is not offered; retiring again says why not.
    edit = client.get(f"{page_url(route)}/arrets/{route.aveize.id}/modifier")
    assert edit.status_code == 404
    page = client.get(retire(client, route, route.aveize).location).get_data(as_text=True)
    assert "Aveize est déjà retiré de la tournée" in page


@pytest.mark.parametrize("who", ["other grocery's staff", "volunteer", "group member"])
def test_only_the_grocerys_staff_may_retire_a_stop(client, user_with_role, route, who):
    if who == "volunteer":
        user_with_role(Role.VOLUNTEER, route.grocery)
    else:
        other = GroceryFactory() if who == "other grocery's staff" else GroupFactory()
        db.session.commit()
        role = Role.GROCERY_STAFF if who == "other grocery's staff" else Role.MEMBER
        user_with_role(role, other)
    assert retire(client, route, route.aveize).status_code == 403
    db.session.expire_all()
    assert db.session.get(RouteStop, route.aveize.id).retired_at is None


def test_the_route_page_runs_the_same_queries_with_one_or_several_retired_stops(
    client, user_with_role, route
):
    user_with_role(Role.GROCERY_STAFF, route.grocery)
    services.remove_stop(route.aveize, now=datetime.now(UTC))
    db.session.commit()
    with count_queries() as few:
        assert client.get(page_url(route)).status_code == 200
    past_run = db.session.get(RouteRun, run_with(route.aveize))
    for number in range(3):
        served = RouteStopFactory(route=route, village=f"Ancien {number}", position=10 + number)
        RunStopFactory(run=past_run, stop=served)
        db.session.flush()
        services.remove_stop(served, now=datetime.now(UTC))
    db.session.commit()
    with count_queries() as many:
        page = client.get(page_url(route)).get_data(as_text=True)
    assert "Ancien 2" in page
    assert many.count == few.count


def run_with(stop: RouteStop) -> int:
    return db.session.scalar(select(RunStop.run_id).where(RunStop.stop_id == stop.id))


def test_a_retired_stops_public_page_and_feed_stay_and_say_so(client, route):
    services.remove_stop(route.aveize, now=datetime.now(UTC))
    db.session.commit()
    page = client.get("/tournees/arrets/aveize")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Le camion ne passe plus à Aveize depuis le" in text
    assert "Prochains passages" not in text
    feed = client.get("/tournees/arrets/aveize.ics")
    assert feed.status_code == 200
    events = Calendar.from_ical(feed.data).walk("VEVENT")
    assert all(event.decoded("dtstart") < datetime.now(UTC) for event in events)
    for url in (f"/tournees/{route.slug}", f"/tournees/epiceries/{route.grocery.slug}"):
        text = client.get(url).get_data(as_text=True)
        assert "Duerne" in text and "/tournees/arrets/aveize" not in text, url
    route_feed = client.get(f"/tournees/{route.slug}.ics").data.decode()
    assert route_feed.count("BEGIN:VEVENT") >= 4 and "Aveize" not in route_feed
