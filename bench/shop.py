"""Benchmark of the weekly shop: the shop page against the floor, then an order rush.

Run from the project root:

    .venv/bin/python bench/shop.py                       # a throwaway SQLite file
    DATABASE_URL=postgresql://postgres@127.0.0.1:5433/marketplace_bench \\
        .venv/bin/python bench/shop.py --requests 100    # PostgreSQL (the database is WIPED)

It builds a territory with 1,000 products from 10 producers on one distribution day, then:
1. times the shop page (Flask test client, logged in as a member): the cold (first) request,
   then N requests taken in turns with N runs of the floor, the same rows returned by one bare
   SQL query on the driver's cursor (no ORM, Flask or templates), so that both medians see the
   same machine; prints both medians and their ratio. The product list is cached per version
   of the day's catalogue (shop/fragments.py) and stock moves do not change it, so it also
   prints the median of page loads each right after another household's order against the
   floor (only what is left is read again);
2. runs an order rush: 200 households order at the same moment (one thread and one test
   client each, through the real view); prints the errors (must be 0) and the time taken.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace import create_app  # noqa: E402
from marketplace.accounts.models import User  # noqa: E402
from marketplace.config import engine_options  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.shop import queries  # noqa: E402

PRODUCERS = 10
PRODUCTS_PER_PRODUCER = 100
RUSH = 200
REFRESHES = 20  # page loads each right after another household's order


def build_app(tmp: Path):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}"
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    import marketplace.models  # noqa: F401 - the whole schema

    return create_app(
        {
            "SECRET_KEY": "bench-only",
            "MARKETPLACE_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {**engine_options(url), "pool_size": RUSH + 10},
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_BACKEND": "folder",
            "MAIL_FOLDER": str(tmp / "mail"),
        }
    )


def build_territory():
    """One group, one open distribution day, 1,000 products, 1 + REFRESHES + RUSH households."""
    from tests import factories
    from tests.shop.helpers import Shop, add_products, open_day

    day = open_day()
    for _ in range(PRODUCERS):
        supply = factories.ProducerSuppliesGroupFactory(group=day.group)
        add_products(Shop(day.group, supply.producer, day), PRODUCTS_PER_PRODUCER)
    shop = Shop(day.group, supply.producer, day)
    members = [shop.member() for _ in range(1 + REFRESHES + RUSH)]
    db.session.commit()
    return day, [member.id for member in members]


def session_cookie(user_id: int) -> str:
    """A new open session of the household's (inside an app context), as the login sets it."""
    from tests.helpers import login_id

    return login_id(db.session.get(User, user_id))


def log_in(client, user_id: int, cookie: str | None = None) -> None:
    cookie = cookie or session_cookie(user_id)
    with client.session_transaction() as session:
        session["_user_id"] = cookie
        session["_fresh"] = True


def verdict(met: bool) -> str:
    return "ok" if met else "NOT MET"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def page_timer(app, day, user_id: int):
    client = app.test_client()
    log_in(client, user_id)
    url = f"/boutique/distributions/{day.id}"

    def request_page() -> tuple[float, int]:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        return elapsed, len(response.data)

    return request_page


def floor_timer(day):
    """One bare SQL query returning the page's rows, on the driver's cursor."""
    statement = queries.shop_rows_query(day).compile(
        dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
    )
    sql = str(statement)
    connection = db.engine.raw_connection()

    def run_query() -> tuple[float, int]:
        cursor = connection.cursor()
        started = time.perf_counter()
        cursor.execute(sql)
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - started
        cursor.close()
        connection.rollback()
        return elapsed, len(rows)

    return run_query, connection


def measure(app, day, user_id: int, requests: int) -> dict:
    """The cold request, then N page requests and N floor queries taken in turns, so that both
    medians see the same machine (other processes, CPU frequency)."""
    request_page = page_timer(app, day, user_id)
    run_query, connection = floor_timer(day)
    try:
        run_query()  # the floor's statement prepared, its pages in the cache
        cold, size = request_page()
        pages, floors = [], []
        for _ in range(requests):
            pages.append(request_page()[0])
            elapsed, rows = run_query()
            floors.append(elapsed)
    finally:
        connection.close()
    return {
        "cold": cold * 1000,
        "page": median_ms(pages),
        "floor": median_ms(floors),
        "rows": rows,
        "size": size,
    }


def measure_after_orders(app, day, user_ids: list[int]) -> tuple[float, float]:
    """Median page time when someone else has ordered just before (the stock changed, the list
    stays cached: only what is left is read again), with the floor measured in turns."""
    from marketplace.db import utcnow
    from marketplace.shop import ordering

    request_page = page_timer(app, day, user_ids[0])
    run_query, connection = floor_timer(day)
    offered = [row.availability_id for row in queries.shop_rows(day)]
    samples, floors = [], []
    try:
        for index, user_id in enumerate(user_ids[1:]):
            buyer = db.session.get(User, user_id)
            ordering.place_order(buyer, day, {offered[index]: 1000}, now=utcnow())
            db.session.commit()
            samples.append(request_page()[0])
            floors.append(run_query()[0])
    finally:
        connection.close()
    return median_ms(samples), median_ms(floors)


def order_rush(app, day, user_ids: list[int]) -> tuple[int, float]:
    from sqlalchemy import select

    from marketplace.catalogue.models import Availability

    with app.app_context():
        offered = db.session.scalars(
            select(Availability.id).where(Availability.day == day.day).order_by(Availability.id)
        ).all()
        cookies = {user_id: session_cookie(user_id) for user_id in user_ids}
    start = threading.Barrier(len(user_ids))

    def order(index_and_user):
        index, user_id = index_and_user
        client = app.test_client()
        log_in(client, user_id, cookies[user_id])
        # Three products each, overlapping between households so rows are contended.
        chosen = [offered[(index * 7 + step * 13) % 40] for step in range(3)]
        data = {"shown": chosen, "action": "order"}
        data.update({f"q-{availability_id}": "1" for availability_id in chosen})
        start.wait()
        response = client.post(f"/boutique/distributions/{day.id}", data=data)
        return response.status_code == 302

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(user_ids)) as pool:
        results = list(pool.map(order, enumerate(user_ids)))
    return results.count(False), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="page requests to time")
    parser.add_argument("--no-rush", action="store_true", help="skip the order rush")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        with app.app_context():
            db.drop_all()
            db.create_all()
            print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
            day, user_ids = build_territory()
            figures = measure(app, day, user_ids[0], args.requests)
            print(f"shop page, {figures['rows']} products ({figures['size'] // 1024} KiB of HTML)")
            print(f"  cold (first) request: {figures['cold']:.1f} ms")
            print(f"  median of {args.requests} requests: {figures['page']:.1f} ms")
            print(
                f"  floor, one bare SQL query returning the same {figures['rows']} rows: "
                f"median {figures['floor']:.2f} ms"
            )
            ratio = figures["page"] / figures["floor"]
            print(f"  ratio page / floor: {ratio:.2f} (goal ≤ 2: {verdict(ratio <= 2)})")
            refreshed, floor = measure_after_orders(app, day, user_ids[: 1 + REFRESHES])
            ratio = refreshed / floor
            print(
                f"  median of {REFRESHES} requests each right after another household's order: "
                f"{refreshed:.1f} ms, floor {floor:.2f} ms, ratio {ratio:.2f} "
                f"(goal ≤ 3: {verdict(ratio <= 3)})"
            )
            db.session.remove()
            db.session.remove()
        if args.no_rush:
            return
        errors, seconds = order_rush(app, day, user_ids[1 + REFRESHES :])
        rush = len(user_ids) - 1 - REFRESHES
        print(f"order rush: {rush} concurrent orders, {errors} errors, {seconds:.2f} s")
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                db.session.remove()
                db.drop_all()
            db.engine.dispose()
        if errors:
            sys.exit(1)


if __name__ == "__main__":
    main()
