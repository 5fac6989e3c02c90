"""The pure planner: travel times from coordinates, and PyVRP's visiting order and timetable."""

from __future__ import annotations

from datetime import time

import pytest

from marketplace.routes.planning import PlanningError, PlanStop, UnservedReason, plan
from marketplace.routes.travel import (
    Point,
    TravelModel,
    duration_matrix,
    great_circle_metres,
    tour_seconds,
)

DEPOT = Point(45.60, 4.40)
BUDGET = 5


def stop(stop_id, latitude, longitude, minutes=20, opens=None, closes=None, village=None):
    return PlanStop(
        id=stop_id,
        village=village or f"Village {stop_id}",
        latitude=latitude,
        longitude=longitude,
        service_minutes=minutes,
        window_opens=opens,
        window_closes=closes,
    )


def minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


# --- travel ---------------------------------------------------------------------------------


def test_great_circle_distance_between_lyon_and_paris():
    lyon, paris = Point(45.7640, 4.8357), Point(48.8566, 2.3522)
    assert great_circle_metres(lyon, paris) == pytest.approx(391_500, rel=0.005)


def test_road_factor_and_speed_stretch_the_drive():
    origin, destination = Point(45.60, 4.40), Point(45.69, 4.40)  # about 10 km north
    crow = great_circle_metres(origin, destination)
    slow = TravelModel(road_factor=1.5, average_speed_kmh=30)
    assert slow.road_metres(origin, destination) == round(crow * 1.5)
    assert slow.drive_seconds(origin, destination) == pytest.approx(crow * 1.5 / (30 / 3.6), abs=1)
    default = TravelModel.from_config({})
    assert (default.road_factor, default.average_speed_kmh) == (1.3, 50.0)
    configured = TravelModel.from_config({"ROUTE_ROAD_FACTOR": 1.2, "ROUTE_AVERAGE_SPEED_KMH": 40})
    assert (configured.road_factor, configured.average_speed_kmh) == (1.2, 40.0)


def test_a_road_factor_below_one_is_refused():
    with pytest.raises(ValueError):
        TravelModel(road_factor=0.8)
    with pytest.raises(ValueError):
        TravelModel(average_speed_kmh=0)


def test_duration_matrix_is_symmetric_with_a_zero_diagonal():
    points = [DEPOT, Point(45.62, 4.45), Point(45.66, 4.38)]
    matrix = duration_matrix(points, TravelModel())
    assert all(matrix[i][i] == 0 for i in range(3))
    assert all(matrix[i][j] == matrix[j][i] > 0 for i in range(3) for j in range(3) if i != j)
    assert tour_seconds([1, 2], matrix) == matrix[0][1] + matrix[1][2] + matrix[2][0]


# --- the visiting order ---------------------------------------------------------------------

# Five villages on the edge of a rectangle whose corner is the depot: the shortest round goes
# round the edge (either way); the order they were typed in crosses it back and forth.
SQUARE = {
    1: (45.60, 4.44),  # south edge
    2: (45.60, 4.48),  # south-east corner
    3: (45.63, 4.48),  # east edge
    4: (45.66, 4.48),  # north-east corner
    5: (45.66, 4.40),  # north-west corner
}
ROUND = [1, 2, 3, 4, 5]


def square_stops(entered=(4, 1, 5, 3, 2), **kwargs):
    return [stop(i, *SQUARE[i], **kwargs) for i in entered]


def test_the_solver_finds_the_known_shortest_round():
    result = plan(DEPOT, square_stops(), time(8, 0), 40, {}, BUDGET)

    order = [visit.stop_id for visit in result.visits]
    assert order in (ROUND, ROUND[::-1])
    assert result.unserved == []
    durations = duration_matrix([DEPOT, *(Point(*SQUARE[i]) for i in ROUND)], TravelModel())
    assert result.drive_minutes == round(tour_seconds([1, 2, 3, 4, 5], durations) / 60)
    assert result.drive_minutes < result.naive_drive_minutes
    assert result.saving_minutes == result.naive_drive_minutes - result.drive_minutes


def test_the_timetable_follows_the_drive_and_the_service_times():
    result = plan(DEPOT, square_stops(minutes=25), time(8, 0), 40, {}, BUDGET)

    first = result.visits[0]
    assert minutes(first.arrives) == 8 * 60 + first.drive_minutes_before
    for before, after in zip(result.visits, result.visits[1:], strict=False):
        assert minutes(before.departs) - minutes(before.arrives) == 25
        assert minutes(after.arrives) >= minutes(before.departs) + after.drive_minutes_before - 1
    assert minutes(result.returns_at) > minutes(result.visits[-1].departs)


def test_the_same_input_gives_the_same_plan():
    first = plan(DEPOT, square_stops(), time(8, 0), 40, {}, BUDGET)
    second = plan(DEPOT, square_stops(), time(8, 0), 40, {}, BUDGET)
    assert first.visits == second.visits


def test_time_windows_are_kept_even_against_the_shortest_round():
    # Village 5 (north-west, last on the shortest round) wants the van first thing; village 1
    # (south, first on it) only late in the morning.
    stops = square_stops()
    stops[2] = stop(5, *SQUARE[5], opens=time(8, 0), closes=time(8, 45))
    stops[1] = stop(1, *SQUARE[1], opens=time(11, 0), closes=time(12, 0))

    result = plan(DEPOT, stops, time(8, 0), 40, {}, BUDGET)

    assert result.unserved == []
    by_id = {visit.stop_id: visit for visit in result.visits}
    assert by_id[5].arrives >= time(8, 0) and by_id[5].departs <= time(8, 45)
    assert by_id[1].arrives >= time(11, 0) and by_id[1].departs <= time(12, 0)
    order = [visit.stop_id for visit in result.visits]
    assert order[0] == 5 and order[-1] == 1


def test_the_van_waits_for_a_window_to_open():
    stops = [stop(1, 45.61, 4.41, opens=time(10, 0), closes=time(12, 0))]
    result = plan(DEPOT, stops, time(8, 0), 40, {}, BUDGET)
    assert result.visits[0].arrives == time(10, 0)
    assert result.visits[0].departs == time(10, 20)


# --- what cannot be served ------------------------------------------------------------------


def test_a_window_closed_before_the_van_can_arrive_is_reported_unserved():
    far = stop(9, 45.90, 4.40, opens=time(8, 0), closes=time(8, 30), village="Montromant")
    result = plan(DEPOT, [*square_stops(), far], time(8, 0), 40, {}, BUDGET)

    assert [item.stop_id for item in result.unserved] == [9]
    assert result.unserved[0].reason == UnservedReason.WINDOW_UNREACHABLE
    assert "avant la fin de son créneau" in result.unserved[0].message
    assert sorted(visit.stop_id for visit in result.visits) == ROUND


def test_a_window_shorter_than_the_stop_is_reported_unserved():
    short = stop(9, 45.61, 4.41, minutes=45, opens=time(9, 0), closes=time(9, 30))
    result = plan(DEPOT, [*square_stops(), short], time(8, 0), 40, {}, BUDGET)
    assert [(item.stop_id, item.reason) for item in result.unserved] == [
        (9, UnservedReason.WINDOW_TOO_SHORT)
    ]
    assert "plus court que la durée" in result.unserved[0].message


def test_two_windows_that_cannot_both_be_kept_leave_one_stop_out():
    # Two villages 30 km apart, both wanting a 40-minute stop between 9:00 and 10:00.
    west = stop(1, 45.60, 4.30, minutes=40, opens=time(9, 0), closes=time(10, 0))
    east = stop(2, 45.60, 4.68, minutes=40, opens=time(9, 0), closes=time(10, 0))
    result = plan(Point(45.60, 4.49), [west, east], time(8, 0), 40, {}, BUDGET)

    assert len(result.visits) == 1
    assert len(result.unserved) == 1
    assert result.unserved[0].reason == UnservedReason.WINDOWS_CONFLICT
    visit = result.visits[0]
    assert visit.arrives >= time(9, 0) and visit.departs <= time(10, 0)


def test_the_van_capacity_is_respected():
    demands = {1: 6, 2: 6, 3: 2, 4: 1, 5: 1}
    result = plan(DEPOT, square_stops(), time(8, 0), 10, demands, BUDGET)

    served = [visit.stop_id for visit in result.visits]
    assert sum(demands[stop_id] for stop_id in served) <= 10
    assert {item.reason for item in result.unserved} == {UnservedReason.CAPACITY}
    assert "plein" in result.unserved[0].message
    # As many stops as fit: one of the two big ones stays at the depot, nothing else.
    assert len(served) == 4


def test_a_stop_bigger_than_the_van_is_unserved_for_capacity():
    result = plan(DEPOT, square_stops(), time(8, 0), 10, {3: 12}, BUDGET)
    assert [(item.stop_id, item.reason) for item in result.unserved] == [
        (3, UnservedReason.CAPACITY)
    ]


# --- input people must fix ------------------------------------------------------------------


def test_a_stop_without_coordinates_is_refused_clearly():
    stops = [*square_stops(), stop(9, None, None, village="Grézieu-le-Marché")]
    with pytest.raises(PlanningError) as refused:
        plan(DEPOT, stops, time(8, 0), 40, {}, BUDGET)
    assert "Grézieu-le-Marché" in refused.value.message
    assert "coordonnées" in refused.value.message


def test_a_route_without_stops_is_refused_clearly():
    with pytest.raises(PlanningError) as refused:
        plan(DEPOT, [], time(8, 0), 40, {}, BUDGET)
    assert "aucun arrêt" in refused.value.message
