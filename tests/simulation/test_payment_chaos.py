"""A season with payment chaos (issue 14): Stripe down for a morning, the scheduler killed
before and after a charge, webhooks repeated and out of order, cash recorded while a card
waits for 3-D Secure. Every season invariant holds, and: each installment charged at Stripe
at most once, every Stripe refund in the ledger, every job run done by the end of its day.

    .venv/bin/pytest tests/simulation/test_payment_chaos.py -s    # prints the summary
"""

from __future__ import annotations

import pytest

from tests import clock
from tests.simulation.engine import Simulation
from tests.simulation.territory import TerritorySpec

pytestmark = [pytest.mark.simulation, pytest.mark.usefixtures("stripe_server")]

CHAOTIC = TerritorySpec(groups=2, households_per_group=8, weeks=10)


def test_a_season_with_payment_chaos_keeps_every_invariant(app, capsys):
    simulation = Simulation(app, CHAOTIC, seed=2027, start=clock.test_now(), payment_chaos=True)
    try:
        with simulation.unsynced_sqlite():
            simulation.run()
    finally:
        with capsys.disabled():
            print("\n" + simulation.summary.text())
    summary = simulation.summary
    assert not summary.failures, "\n".join(summary.failures.values())
    notes = "\n".join(summary.notes)
    assert "Stripe injoignable" in notes
    assert notes.count("planificateur tué") == 2
    assert "3-D Secure confirmé" in notes and "ÉCHEC" not in notes
    assert summary.jobs["killed"] == 2 and summary.jobs["failed"] >= 1
    assert summary.refusals["espèces pendant un 3-D Secure"] == 1
    assert simulation.chaos.events_sent > 0
