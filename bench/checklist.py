"""The pickup checklist's server time at 500 households (baskets + extras).

    .venv/bin/python bench/checklist.py            # a throw-away SQLite file
    DATABASE_URL=postgresql://... .venv/bin/python bench/checklist.py   # an EMPTY database

It builds one distribution day with 500 households (each a basket, one in two with extras),
then prints the median time of the checklist page and of its JSON list, measured through the
Flask test client (server time only: no network, no browser).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import marketplace.models  # noqa: E402, F401 - the whole schema, for create_all
from marketplace import create_app  # noqa: E402
from marketplace.config import database_url  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from tests.helpers import login_id  # noqa: E402
from tests.pickup import scenario  # noqa: E402

HOUSEHOLDS = 500
RUNS = 21
GOAL = 3  # × the floor, for the page and for the JSON list


FLOOR_SQL = """
SELECT d.id, d.state, d.quantity, u.id, u.name, s.offer_id
FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id JOIN users u ON u.id = s.user_id
WHERE d.distribution_day_id = %s ORDER BY u.name, d.id
"""


def median_ms(client, url: str, floor) -> tuple[float, float]:
    """The page's median and, taken in turns, the floor's: one bare SQL query on the driver's
    cursor returning the day's deliveries with their households (no ORM, Flask or template).
    The list is built once per version of it: the first request builds it (printed apart),
    the others find it kept."""
    started = time.perf_counter()
    assert client.get(url).status_code == 200
    print(
        f"  first request (builds the list) {url}: {(time.perf_counter() - started) * 1000:.1f} ms"
    )
    timings, floors = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        floors.append(floor())
    return statistics.median(timings), statistics.median(floors)


def floor_timer(app, day_id: int):
    with app.app_context():
        connection = db.engine.raw_connection()
    marker = "?" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "%s"
    sql = FLOOR_SQL.replace("%s", marker)

    def run() -> float:
        cursor = connection.cursor()
        started = time.perf_counter()
        cursor.execute(sql, (day_id,))
        cursor.fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        cursor.close()
        connection.rollback()
        return elapsed

    return run


def main() -> None:
    instance = Path(tempfile.mkdtemp(prefix="bench-checklist-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(instance).replace(
                "marketplace.sqlite3", "bench.sqlite3"
            ),
            "SECRET_KEY": "bench-only",
            "MARKETPLACE_ENV": "development",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        setup = scenario.make_day()
        scenario.add_households(setup, HOUSEHOLDS)
        volunteer = scenario.volunteer(setup)
        db.session.commit()
        day_id = setup.day.id
        # The planner's statistics, as autovacuum (PostgreSQL) would have gathered them in
        # production: measured right after the build, the tables would look empty.
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
        cookie = login_id(volunteer)
        db.session.remove()

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = cookie
    floor = floor_timer(app, day_id)
    page, page_floor = median_ms(client, f"/distributions/{day_id}/liste", floor)
    listing, list_floor = median_ms(client, f"/api/pickup/days/{day_id}/checklist", floor)
    engine = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(f"Checklist at {HOUSEHOLDS} households ({engine}), median of {RUNS} requests:")
    for what, measured, floor in (
        ("page (HTML)", page, page_floor),
        ("JSON list (API)", listing, list_floor),
    ):
        ratio = measured / floor
        verdict = "ok" if ratio <= GOAL else "NOT MET"
        print(
            f"  {what:<17} {measured:7.1f} ms  floor {floor:5.2f} ms  {ratio:5.1f}×"
            f"  goal ≤ {GOAL:g}×  {verdict}"
        )


if __name__ == "__main__":
    main()
