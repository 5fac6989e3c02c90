"""A whole season lived day by day through the real services (issue 11).

`engine.Simulation` drives the clock, the scheduler's registry and the people (actors.py) over a
territory (territory.py), and checks the database's invariants (invariants.py) after every
simulated day. `tests/simulation/test_season.py` runs a small territory in CI; `bench/season.py`
a large one.
"""
