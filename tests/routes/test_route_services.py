"""Route, stop, van and exception services: clear refusals, nothing half-saved."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.routes import routes as services
from marketplace.routes.models import Route, RouteRun, RouteStop, RunStop
from marketplace.routes.vans import DepotData, VanData, create_depot, create_van
from marketplace.timezones import paris_today
from tests.factories import (
    BeneficiaryFactory,
    DepotFactory,
    GroceryFactory,
    PreOrderFactory,
    RouteFactory,
    VanFactory,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def route_data(van, depot, **changes) -> services.RouteData:
    values = {
        "name": "Tournée des Monts",
        "van_id": van.id,
        "depot_id": depot.id,
        "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "valid_from": date(2026, 3, 1),
        "valid_until": None,
        "departs_at": time(8, 0),
    }
    return services.RouteData(**(values | changes))


def stop_data(**changes) -> services.StopData:
    values = {
        "village": "Duerne",
        "place": "Place de l'église",
        "latitude": 45.6833,
        "longitude": 4.5264,
        "service_minutes": 30,
        "window_opens": None,
        "window_closes": None,
        "arrives_at": time(9, 0),
        "departs_at": time(9, 30),
    }
    return services.StopData(**(values | changes))


def test_create_route_materialises_its_runs_and_gets_a_slug():
    van = VanFactory()
    depot = DepotFactory(grocery=van.grocery)
    route = services.create_route(van.grocery, route_data(van, depot), today=date(2026, 3, 2))
    assert route.slug == "tournee-des-monts"
    runs = db.session.scalars(select(RouteRun).where(RouteRun.route_id == route.id)).all()
    assert len(runs) == 8 and all(run.day.weekday() == 1 for run in runs)
    other = services.create_route(
        van.grocery, route_data(van, depot, name="Tournée des  Monts"), today=date(2026, 3, 2)
    )
    assert other.slug == "tournee-des-monts-2"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31"}, "rrule", "ne donne aucune date"),
        ({"rrule": "n'importe quoi"}, "rrule", "n'est pas valide"),
        ({"valid_until": date(2026, 2, 1)}, "valid_until", "après son début"),
        (
            {"valid_until": date(2026, 3, 2), "rrule": "FREQ=WEEKLY;BYDAY=FR"},
            "rrule",
            "aucune date entre",
        ),
        ({"name": "  "}, "name", "nom de la tournée"),
        ({"van_id": None}, "van_id", "camion"),
    ],
)
def test_bad_route_is_refused_and_nothing_saved(changes, field, message):
    van = VanFactory()
    depot = DepotFactory(grocery=van.grocery)
    with pytest.raises(DomainError) as error:
        services.create_route(
            van.grocery, route_data(van, depot, **changes), today=date(2026, 3, 2)
        )
    assert error.value.field == field
    assert message in error.value.message
    assert db.session.scalar(select(func.count(Route.id))) == 0


def test_a_van_of_another_grocery_is_refused():
    van = VanFactory()
    foreign_van = VanFactory()
    depot = DepotFactory(grocery=van.grocery)
    with pytest.raises(DomainError) as error:
        services.create_route(van.grocery, route_data(foreign_van, depot), today=date(2026, 3, 2))
    assert error.value.field == "van_id"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latitude": None}, "latitude"),
        ({"longitude": None}, "longitude"),
        ({"latitude": 95.0}, "latitude"),
        ({"longitude": -200.0}, "longitude"),
        ({"window_opens": time(11, 0), "window_closes": time(10, 0)}, "window_closes"),
        ({"window_opens": time(11, 0)}, "window_closes"),
        ({"arrives_at": time(7, 0), "departs_at": time(7, 30)}, "arrives_at"),  # before depot
        ({"departs_at": time(8, 45)}, "departs_at"),  # leaves before it arrives
        ({"service_minutes": 0}, "service_minutes"),
    ],
)
def test_bad_stop_is_refused_and_nothing_saved(changes, field):
    route = RouteFactory(departs_at=time(8, 0))
    with pytest.raises(DomainError) as error:
        services.add_stop(route, stop_data(**changes), now=NOW)
    assert error.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(RouteStop.id))) == 0


def test_stop_times_must_increase_along_the_route():
    route = RouteFactory(departs_at=time(8, 0))
    first = services.add_stop(route, stop_data(), now=NOW)
    with pytest.raises(DomainError) as error:
        services.add_stop(
            route,
            stop_data(village="Aveize", arrives_at=time(9, 15), departs_at=time(9, 45)),
            now=NOW,
        )
    assert "avant le départ de Duerne (09:30)" in error.value.message
    with pytest.raises(DomainError):
        services.update_stop(first, stop_data(arrives_at=time(7, 0)), now=NOW)


def test_two_people_adding_a_stop_at_once_get_a_clear_message(monkeypatch):
    route = RouteFactory(departs_at=time(8, 0))
    services.add_stop(route, stop_data(), now=NOW)
    db.session.commit()
    # The other person's stop took the slug between our check and our insert.
    monkeypatch.setattr(services, "_unique_slug", lambda column, base: "duerne")

    with pytest.raises(DomainError) as error:
        services.add_stop(
            route,
            stop_data(village="Aveize", arrives_at=time(10, 0), departs_at=time(10, 30)),
            now=NOW,
        )

    assert "Quelqu'un vient de modifier les arrêts de cette tournée" in error.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(RouteStop.id))) == 1


def test_set_timetable_reorders_stops_and_coming_runs_follow():
    route = RouteFactory(departs_at=time(8, 0), valid_from=paris_today())
    duerne = services.add_stop(route, stop_data(), now=NOW)
    aveize = services.add_stop(
        route, stop_data(village="Aveize", arrives_at=time(10, 0), departs_at=time(10, 30)), now=NOW
    )
    services.materialise_runs(route, paris_today() + timedelta(weeks=3))
    services.set_timetable(
        route,
        [
            services.StopTime(aveize.id, time(8, 30), time(9, 0)),
            services.StopTime(duerne.id, time(9, 30), time(10, 0)),
        ],
        now=datetime.now(UTC),
    )
    assert [stop.village for stop in route.stops] == ["Aveize", "Duerne"]
    run = db.session.scalars(
        select(RouteRun).where(RouteRun.day > paris_today()).order_by(RouteRun.day)
    ).first()
    assert [run_stop.stop_id for run_stop in run.stops] == [aveize.id, duerne.id]
    with pytest.raises(DomainError):
        services.set_timetable(
            route,
            [
                services.StopTime(aveize.id, time(9, 30), time(10, 0)),
                services.StopTime(duerne.id, time(8, 30), time(9, 0)),
            ],
            now=datetime.now(UTC),
        )


def test_a_stop_with_pre_orders_cannot_be_removed_and_once_served_is_retired():
    route = RouteFactory(departs_at=time(8, 0), valid_from=date(2026, 3, 1))
    stop = services.add_stop(route, stop_data(), now=NOW)
    services.materialise_runs(route, date(2026, 3, 20), today=date(2026, 3, 2), now=NOW)
    run_stop = db.session.scalars(select(RunStop).where(RunStop.stop_id == stop.id)).first()
    PreOrderFactory(beneficiary=BeneficiaryFactory(grocery=route.grocery), run_stop=run_stop)
    with pytest.raises(DomainError) as error:
        services.remove_stop(stop, now=NOW)
    assert "précommandé" in error.value.message
    # Once the run of 3 March has left, its pre-order is history: the stop is retired.
    assert services.remove_stop(stop, now=datetime(2026, 3, 4, tzinfo=UTC)) is True
    assert stop.retired_at is not None
    assert db.session.get(RunStop, run_stop.id).stop_id == stop.id


def test_removing_a_stop_takes_it_off_coming_runs():
    route = RouteFactory(departs_at=time(8, 0), valid_from=date(2026, 3, 1))
    stop = services.add_stop(route, stop_data(), now=NOW)
    services.add_stop(
        route, stop_data(village="Aveize", arrives_at=time(10, 0), departs_at=time(10, 30)), now=NOW
    )
    services.materialise_runs(route, date(2026, 3, 20), today=date(2026, 3, 2), now=NOW)
    services.remove_stop(stop, now=NOW)
    assert db.session.scalar(select(func.count(RouteStop.id))) == 1
    assert db.session.scalar(select(func.count(RunStop.id)).where(RunStop.stop_id == stop.id)) == 0


def test_exceptions_cancel_or_move_and_are_checked():
    route = RouteFactory(departs_at=time(8, 0), valid_from=date(2026, 3, 1))
    today = date(2026, 3, 2)
    services.materialise_runs(route, date(2026, 4, 30), today=today, now=NOW)
    services.add_exception(
        route,
        services.ExceptionData(date(2026, 4, 7), "cancelled", None, "Lundi de Pâques"),
        today=today,
        now=NOW,
    )
    run = db.session.scalar(select(RouteRun).where(RouteRun.occurrence_date == date(2026, 4, 7)))
    assert (run.status, run.note) == ("cancelled", "Lundi de Pâques")
    bad = [
        (services.ExceptionData(date(2026, 4, 8), "cancelled", None), "occurrence_date"),
        (services.ExceptionData(date(2026, 4, 7), "cancelled", None), "occurrence_date"),
        (services.ExceptionData(date(2026, 4, 14), "moved", None), "moved_to"),
        (services.ExceptionData(date(2026, 4, 14), "moved", date(2026, 4, 14)), "moved_to"),
        (services.ExceptionData(None, "cancelled", None), "occurrence_date"),
    ]
    for data, field in bad:
        with pytest.raises(DomainError) as error:
            services.add_exception(route, data, today=today, now=NOW)
        assert error.value.field == field
    exception = services.exceptions_of(route)[0]
    services.remove_exception(exception, today=today, now=NOW)
    db.session.refresh(run)
    assert run.status == "scheduled"


def test_van_and_depot_checks():
    grocery = GroceryFactory()
    create_van(grocery, VanData("Camion frigo", 40, 800))
    with pytest.raises(DomainError) as error:
        create_van(grocery, VanData("Camion frigo", 20))
    assert error.value.field == "name"
    with pytest.raises(DomainError) as error:
        create_van(grocery, VanData("Autre", 0))
    assert error.value.field == "capacity_crates"
    with pytest.raises(DomainError) as error:
        create_depot(grocery, DepotData("Entrepôt", "", None, 4.4))
    assert error.value.field == "latitude"
