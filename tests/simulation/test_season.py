"""A whole season, on every day of the year (issue 11): a small territory lived day by day.

    .venv/bin/pytest tests/simulation -s          # prints the season's summary
    scripts/with-postgres .venv/bin/pytest -q tests/simulation
    SIMULATION_SURVEY=1 .venv/bin/pytest tests/simulation -s   # every broken invariant, not
                                                               # only the first
    SIMULATION_WEEKS=8 .venv/bin/pytest tests/simulation      # a shorter season

Two groups, two dozen households, a weekly and a fortnightly contract over 26 weeks, cards
and SEPA mandates charged off-session against localstripe. The run stops at the first broken
invariant, naming the simulated day and the rows involved.
"""

from __future__ import annotations

import os

import pytest

from tests import clock
from tests.simulation.engine import Simulation
from tests.simulation.territory import TerritorySpec

pytestmark = [pytest.mark.simulation, pytest.mark.usefixtures("stripe_server")]

SMALL = TerritorySpec(
    groups=2, households_per_group=12, weeks=int(os.environ.get("SIMULATION_WEEKS", "26"))
)


def test_a_whole_season_keeps_every_invariant(app, capsys):
    # SIMULATION_SURVEY=1 lists the first failure of every invariant instead of stopping.
    survey = os.environ.get("SIMULATION_SURVEY") == "1"
    simulation = Simulation(app, SMALL, seed=2026, start=clock.test_now(), keep_going=survey)

    try:
        with simulation.unsynced_sqlite():
            simulation.run()
    finally:  # the summary of the days lived, also when an invariant stopped the season
        with capsys.disabled():
            print("\n" + simulation.summary.text())
    summary = simulation.summary
    assert not summary.failures, "\n".join(summary.failures.values())
    assert summary.days >= SMALL.weeks * 7
    assert summary.deliveries > 0 and summary.received_cents > 0
