"""Travel between stops, from coordinates alone (pure, no database, no network).

No road network is reachable, so a leg is the great-circle distance (haversine) stretched by a
road factor (country roads wind: 1.3 is a usual figure for rural France) and driven at an
average speed. Both are app settings, ROUTE_ROAD_FACTOR and ROUTE_AVERAGE_SPEED_KMH; the
defaults below are used when the app does not set them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EARTH_RADIUS_M = 6_371_000
DEFAULT_ROAD_FACTOR = 1.3
DEFAULT_AVERAGE_SPEED_KMH = 50.0


@dataclass(frozen=True)
class TravelModel:
    road_factor: float = DEFAULT_ROAD_FACTOR
    average_speed_kmh: float = DEFAULT_AVERAGE_SPEED_KMH

    def __post_init__(self) -> None:
        if not self.road_factor >= 1:
            raise ValueError("the road factor is at least 1 (a road is never shorter)")
        if not self.average_speed_kmh > 0:
            raise ValueError("the average speed must be positive")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TravelModel:
        return cls(
            road_factor=float(config.get("ROUTE_ROAD_FACTOR", DEFAULT_ROAD_FACTOR)),
            average_speed_kmh=float(
                config.get("ROUTE_AVERAGE_SPEED_KMH", DEFAULT_AVERAGE_SPEED_KMH)
            ),
        )

    def road_metres(self, origin: Point, destination: Point) -> int:
        return round(great_circle_metres(origin, destination) * self.road_factor)

    def drive_seconds(self, origin: Point, destination: Point) -> int:
        metres_per_second = self.average_speed_kmh * 1000 / 3600
        return round(self.road_metres(origin, destination) / metres_per_second)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def great_circle_metres(origin: Point, destination: Point) -> float:
    """The haversine distance on a spherical Earth (error under 0.5 %, far below the road's)."""
    lat1, lon1 = math.radians(origin.latitude), math.radians(origin.longitude)
    lat2, lon2 = math.radians(destination.latitude), math.radians(destination.longitude)
    half_chord = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(half_chord)))


def distance_matrix(points: Sequence[Point], model: TravelModel) -> list[list[int]]:
    """Road metres between every pair of points (symmetric, zero on the diagonal)."""
    return _matrix(points, model.road_metres)


def duration_matrix(points: Sequence[Point], model: TravelModel) -> list[list[int]]:
    """Driving seconds between every pair of points (whole seconds)."""
    return _matrix(points, model.drive_seconds)


def _matrix(points: Sequence[Point], leg) -> list[list[int]]:
    size = len(points)
    matrix = [[0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1, size):
            matrix[i][j] = matrix[j][i] = leg(points[i], points[j])
    return matrix


def tour_seconds(order: Sequence[int], durations: Sequence[Sequence[int]]) -> int:
    """Driving seconds of depot (index 0) → points in `order` → depot."""
    path = [0, *order, 0]
    return sum(durations[a][b] for a, b in zip(path, path[1:], strict=False))
