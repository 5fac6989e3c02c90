"""A plan drawn as an SVG map from coordinates alone (no tile server is reachable).

An equirectangular projection centred on the points (longitudes shrunk by the cosine of the
mean latitude, so a village 10 km east is as far on screen as one 10 km north) is exact
enough at the scale of a round. Positions are in the SVG's own user units; the CSS scales it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MAP_WIDTH = 640
MAP_HEIGHT = 440
MARGIN = 36  # room for the markers and their labels at the edges


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    label: str  # the visiting number, or the village for an unserved stop
    title: str  # shown on hover and read by screen readers


@dataclass(frozen=True)
class PlanMap:
    width: int
    height: int
    depot: Marker
    stops: list[Marker]  # in visiting order
    unserved: list[Marker]

    @property
    def path(self) -> str:
        """The round as a polyline: depot, stops in order, back to the depot."""
        points = [self.depot, *self.stops, self.depot]
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in points)


@dataclass(frozen=True)
class MapPoint:
    latitude: float
    longitude: float
    title: str


def draw(depot: MapPoint, visits: Sequence[MapPoint], unserved: Sequence[MapPoint]) -> PlanMap:
    everything = [depot, *visits, *unserved]
    mean_latitude = sum(p.latitude for p in everything) / len(everything)
    shrink = math.cos(math.radians(mean_latitude))
    xs = [p.longitude * shrink for p in everything]
    ys = [p.latitude for p in everything]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-6)
    scale = min((MAP_WIDTH - 2 * MARGIN), (MAP_HEIGHT - 2 * MARGIN)) / span
    # Centre the drawing in the frame whatever the shape of the area.
    offset_x = (MAP_WIDTH - (max(xs) - min(xs)) * scale) / 2
    offset_y = (MAP_HEIGHT - (max(ys) - min(ys)) * scale) / 2

    def place(point: MapPoint, label: str) -> Marker:
        x = offset_x + (point.longitude * shrink - min(xs)) * scale
        y = offset_y + (max(ys) - point.latitude) * scale  # north is up
        return Marker(x=x, y=y, label=label, title=point.title)

    return PlanMap(
        width=MAP_WIDTH,
        height=MAP_HEIGHT,
        depot=place(depot, ""),
        stops=[place(point, str(number)) for number, point in enumerate(visits, start=1)],
        unserved=[place(point, "×") for point in unserved],
    )
