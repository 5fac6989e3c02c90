"""Planning a round with PyVRP: the visiting order and timetable that drive the least (pure).

The model, one van leaving the depot at the route's departure time and back the same day:
- travel from coordinates (travel.py); the solver minimises road metres, which at one average
  speed is the same as minimising driving time;
- a stop's time window is when the village wants the van *there*: it arrives at the opening at
  the earliest (it waits if early) and leaves by the closing, so service starts at the latest
  `closes - service_minutes`;
- every stop is optional with a prize larger than any round's length, so the solver serves as
  many stops as it can and only then drives less: a stop that cannot be served (its window, the
  van's capacity) is reported unserved with a reason, instead of the problem being infeasible;
- the stops in their entered order are the solver's starting point, so its plan never drives
  more than the naive one when that one keeps every window;
- a fixed seed, and a stop after some iterations without improvement within the time budget, so
  a small instance gives the same plan on every run.

Times are seconds since local midnight of the run's day; the timetable is shown to the minute.
"""

from __future__ import annotations

import enum
import math
import time as clock
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from marketplace.errors import DomainError
from marketplace.routes.travel import Point, TravelModel, distance_matrix, duration_matrix

if TYPE_CHECKING:  # PyVRP (and numpy) are imported when a round is first planned.
    from pyvrp import Solution

SOLVER_NAME = "pyvrp 0.14"
SEED = 20240611
# Iterations without a better plan after which the search stops before its time budget.
PATIENCE_ITERATIONS = 5_000
END_OF_DAY = 24 * 3600 - 60  # back at the depot by 23:59


class PlanningError(DomainError):
    """The stops cannot be planned as given; the message says what to fix."""


class UnservedReason(enum.StrEnum):
    WINDOW_TOO_SHORT = "window_too_short"  # shorter than the time spent at the stop
    WINDOW_UNREACHABLE = "window_unreachable"  # closed before the van can get there
    CAPACITY = "capacity"  # the van is full
    WINDOWS_CONFLICT = "windows_conflict"  # reachable alone, not with the other stops


def describe_unserved(reason: str) -> str:
    """Why a stop was left out, in words for the staff (in the reader's language)."""
    messages = {
        UnservedReason.WINDOW_TOO_SHORT: _(
            "Son créneau est plus court que la durée de l'arrêt : allongez le créneau ou "
            "raccourcissez l'arrêt."
        ),
        UnservedReason.WINDOW_UNREACHABLE: _(
            "Le camion ne peut pas y arriver avant la fin de son créneau, même en y allant "
            "directement depuis le dépôt : avancez le départ ou élargissez le créneau."
        ),
        UnservedReason.CAPACITY: _(
            "Le camion est plein : sa capacité ne suffit pas pour cet arrêt en plus des autres."
        ),
        UnservedReason.WINDOWS_CONFLICT: _(
            "Son créneau ne peut pas être tenu en même temps que ceux des autres arrêts : "
            "élargissez l'un des créneaux ou répartissez les arrêts sur deux tournées."
        ),
    }
    return messages.get(reason, _("Cet arrêt ne peut pas être desservi."))


@dataclass(frozen=True)
class PlanStop:
    """A stop to visit; coordinates may be missing in what people typed, and are refused."""

    id: int
    village: str
    latitude: float | None
    longitude: float | None
    service_minutes: int
    window_opens: time | None = None
    window_closes: time | None = None


@dataclass(frozen=True)
class Visit:
    stop_id: int
    arrives: time  # when the van opens at the stop (after waiting if it came early)
    departs: time
    drive_minutes_before: int  # from the previous stop (or the depot)


@dataclass(frozen=True)
class Unserved:
    stop_id: int
    reason: UnservedReason

    @property
    def message(self) -> str:
        return describe_unserved(self.reason)


@dataclass(frozen=True)
class PlanResult:
    visits: list[Visit]  # in visiting order
    unserved: list[Unserved]
    drive_minutes: int
    naive_drive_minutes: int  # every stop in the entered order, windows ignored
    returns_at: time | None  # back at the depot (None: no stop served)
    time_budget_seconds: float
    elapsed_seconds: float
    solver: str = field(default=SOLVER_NAME)

    @property
    def saving_minutes(self) -> int:
        return self.naive_drive_minutes - self.drive_minutes


def plan(
    depot: Point,
    stops: Sequence[PlanStop],
    departs_at: time,
    van_capacity: int,
    demands: Mapping[int, int],
    time_budget_seconds: float,
    travel: TravelModel | None = None,
) -> PlanResult:
    """The visiting order of `stops` from and back to `depot` that drives least.

    `demands` maps a stop id to the crates it needs (missing: none); `van_capacity` is in
    crates too. Raises PlanningError for input people must fix (no stop, missing coordinates).
    """
    travel = travel or TravelModel()
    _check(stops, van_capacity, demands, time_budget_seconds)
    started = clock.perf_counter()
    points = [depot, *(Point(float(s.latitude), float(s.longitude)) for s in stops)]
    metres = distance_matrix(points, travel)
    seconds = duration_matrix(points, travel)
    start = _seconds(departs_at)
    # A window shorter than the stop itself can never be kept: not worth asking the solver.
    candidates = [
        index
        for index, stop in enumerate(stops, start=1)
        if _service_start_bounds(stop)[1] >= _service_start_bounds(stop)[0]
    ]
    solution = (
        _solve(
            stops,
            candidates,
            points,
            metres,
            seconds,
            start,
            van_capacity,
            demands,
            time_budget_seconds,
        )
        if candidates
        else None
    )
    visits, returns_at, drive_seconds = _visits(solution, stops, candidates, seconds)
    served = {visit.stop_id for visit in visits}
    load = sum(demands.get(stop_id, 0) for stop_id in served)
    unserved = [
        Unserved(stop.id, _reason(stop, demands, van_capacity, load, start, seconds[0][index]))
        for index, stop in enumerate(stops, start=1)
        if stop.id not in served
    ]
    entered = [0, *range(1, len(points)), 0]
    naive_seconds = sum(seconds[a][b] for a, b in zip(entered, entered[1:], strict=False))
    return PlanResult(
        visits=visits,
        unserved=unserved,
        drive_minutes=round(drive_seconds / 60),
        naive_drive_minutes=round(naive_seconds / 60),
        returns_at=returns_at,
        time_budget_seconds=time_budget_seconds,
        elapsed_seconds=clock.perf_counter() - started,
    )


def _solve(
    stops: Sequence[PlanStop],
    candidates: list[int],
    points: list[Point],
    metres: list[list[int]],
    seconds: list[list[int]],
    start: int,
    van_capacity: int,
    demands: Mapping[int, int],
    time_budget_seconds: float,
) -> Solution:
    """PyVRP's best plan over the candidate stops (matrix indices; 0 is the depot)."""
    from pyvrp import Model, Solution
    from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

    model = Model()
    matrix_indices = [0, *candidates]
    locations = [
        model.add_location(x=points[i].longitude, y=points[i].latitude) for i in matrix_indices
    ]
    model.add_depot(locations[0])
    model.add_vehicle_type(
        num_available=1,
        capacity=van_capacity,
        tw_early=start,
        start_late=start,  # the van leaves at the route's departure time
        tw_late=END_OF_DAY,
    )
    # Serving one more stop must always beat any detour: the prize exceeds any round's length.
    prize = (len(matrix_indices) + 1) * max(max(row) for row in metres) + 1
    for index, location in zip(candidates, locations[1:], strict=True):
        stop = stops[index - 1]
        early, late = _service_start_bounds(stop)
        model.add_client(
            location,
            delivery=demands.get(stop.id, 0),
            service_duration=stop.service_minutes * 60,
            tw_early=early,
            tw_late=late,
            prize=prize,
            required=False,
            name=stop.village,
        )
    for i, origin in enumerate(matrix_indices):
        for j, destination in enumerate(matrix_indices):
            if i != j:
                model.add_edge(
                    locations[i],
                    locations[j],
                    metres[origin][destination],
                    seconds[origin][destination],
                )
    entered_order = Solution(model.data(), [list(range(len(candidates)))])
    result = model.solve(
        MultipleCriteria([MaxRuntime(time_budget_seconds), NoImprovement(PATIENCE_ITERATIONS)]),
        seed=SEED,
        collect_stats=False,
        display=False,
        initial_solution=entered_order,
    )
    if not result.is_feasible():
        raise PlanningError(
            _(
                "Le calcul n'a pas trouvé de tournée réalisable dans le temps imparti : "
                "réessayez avec plus de temps."
            )
        )
    return result.best


def _check(
    stops: Sequence[PlanStop],
    van_capacity: int,
    demands: Mapping[int, int],
    time_budget_seconds: float,
) -> None:
    if not stops:
        raise PlanningError(_("La tournée n'a aucun arrêt à planifier : ajoutez-en d'abord."))
    for stop in stops:
        if stop.latitude is None or stop.longitude is None:
            raise PlanningError(
                _(
                    "L'arrêt « %(village)s » n'a pas de coordonnées : indiquez sa latitude et "
                    "sa longitude pour calculer les trajets.",
                    village=stop.village,
                ),
                field="stops",
            )
    if len({stop.id for stop in stops}) != len(stops):
        raise ValueError("each stop once")
    if van_capacity <= 0 or any(amount < 0 for amount in demands.values()):
        raise ValueError("a positive capacity and demands that are not negative")
    if time_budget_seconds <= 0:
        raise ValueError("a positive time budget")


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _clock(seconds: int) -> time:
    """Seconds since midnight → the minute shown in the timetable (rounded up, so a van never
    shows up before the time it can really be there)."""
    minutes = min(math.ceil(seconds / 60), 24 * 60 - 1)
    return time(minutes // 60, minutes % 60)


def _service_start_bounds(stop: PlanStop) -> tuple[int, int]:
    if stop.window_opens is None or stop.window_closes is None:
        return 0, END_OF_DAY
    return _seconds(stop.window_opens), _seconds(stop.window_closes) - stop.service_minutes * 60


def _visits(
    solution: Solution | None,
    stops: Sequence[PlanStop],
    candidates: list[int],
    seconds: list[list[int]],
) -> tuple[list[Visit], time | None, int]:
    routes = solution.routes() if solution is not None else []
    if not routes:
        return [], None, 0
    route = routes[0]
    visits = []
    previous = 0  # matrix index: the depot
    for activity in route.schedule():
        if not activity.is_client():
            continue
        index = candidates[activity.idx]
        stop = stops[index - 1]
        arrives = _clock(activity.start_time)
        departs_minutes = arrives.hour * 60 + arrives.minute + stop.service_minutes
        visits.append(
            Visit(
                stop_id=stop.id,
                arrives=arrives,
                departs=time(departs_minutes // 60, departs_minutes % 60),
                drive_minutes_before=round(seconds[previous][index] / 60),
            )
        )
        previous = index
    return visits, _clock(route.end_time()), route.travel_duration()


def _reason(
    stop: PlanStop,
    demands: Mapping[int, int],
    van_capacity: int,
    served_load: int,
    departure: int,
    direct_seconds: int,
) -> UnservedReason:
    early, late = _service_start_bounds(stop)
    if late < early:
        return UnservedReason.WINDOW_TOO_SHORT
    if departure + direct_seconds > late:
        return UnservedReason.WINDOW_UNREACHABLE
    if served_load + demands.get(stop.id, 0) > van_capacity:
        return UnservedReason.CAPACITY
    return UnservedReason.WINDOWS_CONFLICT
