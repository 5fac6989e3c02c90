"""Route planning with PyVRP against the stops in the order they were entered (the naive plan).

    .venv/bin/python bench/route_planning.py

No database and no app: it calls the pure planner (marketplace/routes/planning.py) on
generated rounds of 15, 40 and 100 village stops in the Monts du Lyonnais (latitudes 45.55 to
45.75, longitudes 4.30 to 4.60), from a depot at Saint-Symphorien-sur-Coise, leaving at 7:00,
with the default travel model (great-circle distance × 1.3 at 50 km/h). For each size and
solver time budget it prints the planning time, the stops served, the driving minutes of the
solver's plan and of the entered order (windows ignored), and the saving.

The instances are generated from a fixed seed, so every run plans the same rounds:
- a stop stays 20-30 min in a round of 15, 10-15 min in a round of 40 and 5-8 min in one of
  100 (a day has only so many hours: a 100-stop day is a quick hand-over of pre-orders);
- two stops in three have a 3-hour window, placed where a sweep around the depot would reach
  them, so neighbouring villages want the van at about the same time, as on a real timetable
  built over the years; the others take the van whenever it comes;
- the entered order is random (the order the staff typed the villages in).

A search stops at its time budget or after some thousand iterations without improvement,
whichever comes first: "planning" is the time it really took. The whole run lasts about two
minutes.
"""

from __future__ import annotations

import math
import random
import sys
from datetime import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace.routes.planning import PlanStop, plan  # noqa: E402
from marketplace.routes.travel import Point  # noqa: E402

DEPOT = Point(45.6317, 4.4556)  # Saint-Symphorien-sur-Coise
DEPARTURE = time(7, 0)
AREA = ((45.55, 45.75), (4.30, 4.60))
SERVICE_MINUTES = {15: (20, 30), 40: (10, 15), 100: (5, 8)}
BUDGETS_SECONDS = {15: (1, 10), 40: (5, 30), 100: (10, 60)}
DAY_MINUTES = {15: 9 * 60, 40: 12 * 60, 100: 15 * 60}  # the round's expected length
VAN_CRATES = 1_000  # capacity plays no part here: a round's timetable carries no demand
SEED = 69590


def generate(count: int, rng: random.Random) -> list[PlanStop]:
    (south, north), (west, east) = AREA
    places = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(count)]
    # Where a sweep around the depot would reach each village, in minutes after departure.
    by_angle = sorted(
        range(count),
        key=lambda i: math.atan2(places[i][0] - DEPOT.latitude, places[i][1] - DEPOT.longitude),
    )
    expected = {index: rank * DAY_MINUTES[count] / count for rank, index in enumerate(by_angle)}
    shortest, longest = SERVICE_MINUTES[count]
    stops = []
    for index, (latitude, longitude) in enumerate(places):
        opens = closes = None
        if rng.random() < 2 / 3:
            start = DEPARTURE.hour * 60 + 30 * round((expected[index] - 60) / 30)
            start = min(max(start, DEPARTURE.hour * 60), 20 * 60)
            opens, closes = time(start // 60, start % 60), time(start // 60 + 3, start % 60)
        stops.append(
            PlanStop(
                id=index + 1,
                village=f"Village {index + 1}",
                latitude=latitude,
                longitude=longitude,
                service_minutes=rng.randint(shortest, longest),
                window_opens=opens,
                window_closes=closes,
            )
        )
    rng.shuffle(stops)  # the order the staff typed them in
    return stops


def main() -> None:
    rng = random.Random(SEED)
    header = (
        f"{'stops':>5} {'budget s':>9} {'planning s':>10} {'served':>7} "
        f"{'drive min':>9} {'naive min':>9} {'saving':>7}"
    )
    print(header)
    print("-" * len(header))
    for count in (15, 40, 100):
        stops = generate(count, rng)
        for budget in BUDGETS_SECONDS[count]:
            result = plan(DEPOT, stops, DEPARTURE, VAN_CRATES, {}, budget)
            saving = 1 - result.drive_minutes / result.naive_drive_minutes
            print(
                f"{count:>5} {budget:>9} {result.elapsed_seconds:>10.1f} "
                f"{len(result.visits):>3}/{count:<3} {result.drive_minutes:>9} "
                f"{result.naive_drive_minutes:>9} {saving:>7.0%}",
                flush=True,
            )


if __name__ == "__main__":
    main()
