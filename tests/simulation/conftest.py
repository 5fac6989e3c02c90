"""The season simulation's marker (select it with `-m simulation`, or run tests/simulation)."""


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "simulation: lives through a whole season day by day (tests/simulation)"
    )
