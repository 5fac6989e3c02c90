"""The suite's clock: every test starts at the same instant, whatever the real date.

`MARKETPLACE_TEST_NOW` (an ISO 8601 instant with its offset) chooses it; `.ci/run` sweeps it
across daylight-saving changes, month and year ends and 29 February. Time flows from there
(`tick=True`) so timeouts and durations still work, and each test starts again at the same
instant. Only this process is pinned: localstripe and Chromium keep the machine's clock.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import time_machine

DEFAULT_TEST_NOW = "2026-12-07T10:00:00+01:00"  # a Monday, mid-season for the demo contracts


def test_now() -> datetime:
    value = os.environ.get("MARKETPLACE_TEST_NOW") or DEFAULT_TEST_NOW
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(f"MARKETPLACE_TEST_NOW needs an offset, e.g. +01:00: {value!r}")
    return instant


_travel: time_machine.travel | None = None
_coordinates: time_machine.Coordinates | None = None


def start() -> datetime:
    """Pin the process's clock for the whole run (called once, before any test is collected)."""
    global _travel, _coordinates
    instant = test_now()
    _travel = time_machine.travel(instant, tick=True)
    _coordinates = _travel.start()
    return instant


def rewind() -> None:
    """Bring the clock back to the pinned instant, at the start of each test."""
    if _coordinates is not None:
        _coordinates.move_to(test_now())


def shift(delta: timedelta) -> None:
    """Move the clock forward (or back) by `delta`, e.g. past the outbox's retry delay."""
    if _coordinates is not None:
        _coordinates.shift(delta)


def stop() -> None:
    if _travel is not None:
        _travel.stop()
