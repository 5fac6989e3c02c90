"""Ten times the territory: the figures of a 10,000-household territory against their floors.

Run from the project root:

    .venv/bin/python bench/scale.py                          # a throwaway SQLite file
    scripts/with-postgres .venv/bin/python bench/scale.py    # PostgreSQL (the database is WIPED)
    .venv/bin/python bench/scale.py --households 200 --requests 3   # a tiny run (the test's)

It builds 10 groups of households/10 each (the 10× territory) and one group of a tenth of that
(a group of the 1× territory), each with a weekly 26-week contract, then prints one table,
every time measured in the same run as its floor so that both see the same machine:

- planning the season's deliveries of every subscription (signed before their seasons were
  planned: `plan_seasons`, as `flask seasons repair` runs it) against a bare bulk insert of
  the same delivery rows (best of two runs each, goal ≤ 3×);
- for the coordinators' main pages: SQL statements in the 1× group and in a 10× group (goal:
  the same), and the HTML size at 10× (goal ≤ 200 KB);
- the shop with 1,000 products, cached and right after another household's order, against
  one bare SQL query returning the same rows (goals ≤ 2× and ≤ 3×; bench/shop.py);
- the checklist for 500 households against one bare SQL query (goal ≤ 3×; bench/checklist.py);
- one worker's resident memory (a fresh process, as a gunicorn worker) after the main pages of
  the 10× group (goal ≤ 120 MiB).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, insert, select  # noqa: E402

from marketplace.extensions import db  # noqa: E402

GROUPS = 10
WEEKS = 26
KIB = 1024


def _bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shop_bench = _bench_module("shop")
checklist_bench = _bench_module("checklist")


# --- The territory -----------------------------------------------------------------------------


def build_group(households: int, index: int) -> dict:
    """A group, its coordinator, a weekly contract over WEEKS weeks (published: its days
    exist), and `households` members subscribed before the season was planned (no delivery)."""
    from marketplace.accounts.models import User
    from marketplace.baskets import offers
    from marketplace.baskets.models import Subscription
    from marketplace.db import utcnow
    from marketplace.organisations.models import Membership
    from marketplace.timezones import paris_today
    from tests import factories

    today = paris_today()
    offer = factories.BasketOfferFactory(
        status="draft", season_starts_on=today, season_ends_on=today + timedelta(weeks=WEEKS)
    )
    group = offer.group
    point = factories.PickupPointFactory(group=group)
    factories.DistributionScheduleFactory(
        pickup_point=point, rrule="FREQ=WEEKLY;BYDAY=TH", starts_on=today
    )
    size = factories.BasketSizeFactory(offer=offer, price_cents=1500, capacity=None)
    tier = factories.PriceTierFactory(offer=offer, name="Standard", percent=100)
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    db.session.commit()
    offers.publish_offer(offer)
    db.session.commit()

    prefix = f"foyer-{index}-"
    db.session.execute(
        insert(User),
        [
            {
                "name": f"Foyer {index}-{number:05d}",
                "email": f"{prefix}{number}@example.org",
                "password_hash": "!bench",
            }
            for number in range(households)
        ],
    )
    user_ids = db.session.scalars(
        select(User.id).where(User.email.startswith(prefix)).order_by(User.id)
    ).all()
    db.session.execute(
        insert(Membership),
        [
            {
                "user_id": user_id,
                "organisation_id": group.id,
                "organisation_kind": group.kind,
                "role": "member",
            }
            for user_id in user_ids
        ],
    )
    now = utcnow()
    db.session.execute(
        insert(Subscription),
        [
            {
                "offer_id": offer.id,
                "group_id": group.id,
                "user_id": user_id,
                "size_id": size.id,
                "tier_id": tier.id,
                "tier_status": "approved",
                "pickup_point_id": point.id,
                "payment_plan": ("monthly", "season", "per_delivery")[number % 3],
                "payment_method": "cheque",
                "created_at": now,
            }
            for number, user_id in enumerate(user_ids)
        ],
    )
    db.session.commit()
    return {"slug": group.slug, "coordinator": coordinator.id, "point": point.id}


def delivery_rows() -> list[dict]:
    """The rows planning will write: each subscription × each covered day still open."""
    from marketplace.baskets.models import BasketSize, Subscription
    from marketplace.db import utcnow
    from marketplace.delivery.models import DistributionDay
    from marketplace.timezones import paris_today

    now = utcnow()
    days = db.session.execute(
        select(DistributionDay.pickup_point_id, DistributionDay.id).where(
            DistributionDay.order_closes_at > now,
            DistributionDay.status == "scheduled",
            DistributionDay.day <= paris_today(now) + timedelta(weeks=WEEKS),
        )
    ).all()
    by_point: dict[int, list[int]] = {}
    for point_id, day_id in days:
        by_point.setdefault(point_id, []).append(day_id)
    return [
        {
            "subscription_id": subscription_id,
            "distribution_day_id": day_id,
            "size_id": size_id,
            "quantity": 1,
            "price_cents": price,
            "state": "planned",
            "updated_at": now,
        }
        for subscription_id, point_id, size_id, price in db.session.execute(
            select(
                Subscription.id,
                Subscription.pickup_point_id,
                Subscription.size_id,
                BasketSize.price_cents,
            ).join(BasketSize, BasketSize.id == Subscription.size_id)
        )
        for day_id in by_point.get(point_id, [])
    ]


def measure_planning() -> dict:
    """Best of two: a bare bulk insert of the delivery rows (Core, one executemany), then the
    whole planning (deliveries, commitments, installments); the last planning is kept."""
    from marketplace.baskets.models import Delivery
    from marketplace.baskets.seasons import plan_seasons
    from marketplace.db import utcnow

    rows = delivery_rows()
    floors, plans = [], []
    for attempt in range(2):
        connection = db.session.connection()
        started = time.perf_counter()
        connection.execute(Delivery.__table__.insert(), rows)
        floors.append(time.perf_counter() - started)
        db.session.rollback()
        started = time.perf_counter()
        report = plan_seasons(utcnow())
        plans.append(time.perf_counter() - started)
        if attempt == 0:
            db.session.rollback()
        else:
            db.session.commit()
    assert report.added == len(rows), (report.added, len(rows))
    return {
        "subscriptions": report.subscriptions,
        "rows": len(rows),
        "plan": min(plans) * 1000,
        "floor": min(floors) * 1000,
    }


# --- Pages -------------------------------------------------------------------------------------


def first_day_id(point_id: int) -> int:
    from marketplace.baskets.models import Delivery
    from marketplace.delivery.models import DistributionDay

    return db.session.scalar(
        select(DistributionDay.id)
        .join(Delivery, Delivery.distribution_day_id == DistributionDay.id)
        .where(DistributionDay.pickup_point_id == point_id)
        .group_by(DistributionDay.id, DistributionDay.day)
        .order_by(DistributionDay.day)
        .having(func.count() > 0)
        .limit(1)
    )


def page_urls(group: dict) -> dict[str, str]:
    day_id = first_day_id(group["point"])
    slug = group["slug"]
    return {
        "arrears": f"/groupes/{slug}/gestion/impayes",
        "offline payments": f"/groupes/{slug}/gestion/paiements",
        "sign-off sheet": f"/distributions/{day_id}/emargement",
        "checklist": f"/distributions/{day_id}/liste",
    }


def log_in(app, user_id: int):
    """A test client logged in as the person (a new open session of theirs)."""
    from marketplace.accounts.models import User
    from tests.helpers import login_id

    with app.app_context():
        cookie = login_id(db.session.get(User, user_id))
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = cookie
        session["_fresh"] = True
    return client


class StatementCounter:
    def __init__(self, engine) -> None:
        self.engine, self.count = engine, 0

    def __call__(self, *args) -> None:
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self)


def measure_pages(app, urls: dict[str, dict[str, str]], clients: dict, requests: int) -> list:
    """Requests outside any app context, as a server runs them (each its own session)."""
    with app.app_context():
        engine = db.engine
    figures = []
    for name, url in urls["large"].items():
        counts = {}
        for key in ("small", "large"):
            with StatementCounter(engine) as counter:
                response = clients[key].get(urls[key][name])
            assert response.status_code == 200, (urls[key][name], response.status_code)
            counts[key] = counter.count
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = clients["large"].get(url)
            timings.append((time.perf_counter() - started) * 1000)
        figures.append(
            {
                "page": name,
                "statements_1x": counts["small"],
                "statements_10x": counts["large"],
                "kib": len(response.data) / KIB,
                "ms": statistics.median(timings),
            }
        )
    return figures


MEMORY_SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
from bench.scale import worker_memory
print(json.dumps(worker_memory({url!r}, {visits!r})))
"""


def worker_memory(url: str, visits: list[tuple[int, list[str]]]) -> dict:
    """In a fresh process, as a web worker: the app, the main pages once each, then VmRSS."""
    # Only what a web worker loads: the tests' helpers would bring their SMTP server along.
    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.accounts.sessions import open_session

    app = create_app(
        {
            "SECRET_KEY": "bench-only",
            "MARKETPLACE_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
        }
    )
    for user_id, urls in visits:
        with app.app_context():
            token = open_session(db.session.get(User, user_id), remember=False, device="bench")
            db.session.commit()
            cookie = f"{user_id}:{token}"
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = cookie
        for page in urls:
            assert client.get(page).status_code == 200, page
    status = Path("/proc/self/status").read_text()
    rss_kib = int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
    return {
        "rss_mib": rss_kib / KIB,
        "pyvrp": "pyvrp" in sys.modules,
        "stripe": "stripe" in sys.modules,
    }


def measure_memory(url: str, visits: list[tuple[int, list[str]]]) -> dict:
    script = MEMORY_SCRIPT.format(root=str(ROOT), url=url, visits=visits)
    result = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Shop and checklist (their own benches' builders and floors) -------------------------------


def measure_shop(app, requests: int) -> dict:
    day, user_ids = shop_bench.build_territory()
    figures = shop_bench.measure(app, day, user_ids[0], requests)
    refreshed, floor = shop_bench.measure_after_orders(
        app, day, user_ids[: 1 + shop_bench.REFRESHES]
    )
    figures["after_order"], figures["after_order_floor"] = refreshed, floor
    figures["day_id"], figures["member"] = day.id, user_ids[0]
    return figures


def measure_checklist(app, households: int, requests: int) -> dict:
    from tests.pickup import scenario

    with app.app_context():
        setup = scenario.make_day()
        scenario.add_households(setup, households)
        volunteer = scenario.volunteer(setup)
        db.session.commit()
        day_id, volunteer_id = setup.day.id, volunteer.id
        db.session.remove()
    client = log_in(app, volunteer_id)
    floor = checklist_bench.floor_timer(app, day_id)
    checklist_bench.RUNS = requests
    page, page_floor = checklist_bench.median_ms(client, f"/distributions/{day_id}/liste", floor)
    return {"page": page, "floor": page_floor}


# --- The table ---------------------------------------------------------------------------------


def row(what: str, measured: str, floor: str, ratio: float | None, goal: str, ok: bool) -> str:
    ratio_text = f"{ratio:6.2f}×" if ratio is not None else "       "
    return (
        f"{what:<52} {measured:>12} {floor:>10} {ratio_text} {goal:<12} {'ok' if ok else 'NOT MET'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000, help="of the 10× territory")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per page")
    parser.add_argument("--checklist", type=int, default=500, help="households on the checklist")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        app = shop_bench.build_app(Path(folder))
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            db.drop_all()
            db.create_all()
            print(f"database: {db.engine.url.render_as_string(hide_password=True)}", flush=True)
            per_group = max(args.households // GROUPS, 1)
            small = build_group(max(per_group // 10, 1), 0)
            large = [build_group(per_group, index) for index in range(1, GROUPS + 1)][0]
            print(f"territory built in {time.perf_counter() - started:.0f} s", flush=True)
            planning = measure_planning()
            print(
                f"planning: {planning['plan']:.0f} ms, floor {planning['floor']:.0f} ms "
                f"({planning['rows']} deliveries)",
                flush=True,
            )
            urls = {"small": page_urls(small), "large": page_urls(large)}
            db.session.remove()
        clients = {
            key: log_in(app, group["coordinator"])
            for key, group in (("small", small), ("large", large))
        }
        pages = measure_pages(app, urls, clients, args.requests)
        with app.app_context():
            shop = measure_shop(app, args.requests)
            db.session.remove()
        checklist = measure_checklist(app, args.checklist, args.requests)
        visits = [
            (large["coordinator"], list(urls["large"].values())),
            (shop["member"], [f"/boutique/distributions/{shop['day_id']}"]),
        ]
        memory = measure_memory(url, visits)
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                db.drop_all()
            db.engine.dispose()

    ratio = planning["plan"] / planning["floor"]
    lines = [
        row("what", "measured", "floor", None, "goal", True).replace("ok", "  "),
        row(
            f"season planning, {planning['subscriptions']} subscriptions, "
            f"{planning['rows']} deliveries",
            f"{planning['plan']:.0f} ms",
            f"{planning['floor']:.0f} ms",
            ratio,
            "≤ 3×",
            ratio <= 3,
        ),
    ]
    for page in pages:
        lines.append(
            row(
                f"{page['page']}: statements 1× → 10×",
                f"{page['statements_1x']} → {page['statements_10x']}",
                "",
                None,
                "constant",
                page["statements_1x"] == page["statements_10x"],
            )
        )
        lines.append(
            row(
                f"{page['page']} at 10×: size (median {page['ms']:.0f} ms)",
                f"{page['kib']:.0f} KiB",
                "",
                None,
                "≤ 200 KB",
                page["kib"] * KIB <= 200_000,
            )
        )
    cached = shop["page"] / shop["floor"]
    after = shop["after_order"] / shop["after_order_floor"]
    checklist_ratio = checklist["page"] / checklist["floor"]
    lines += [
        row(
            f"shop, {shop['rows']} products, cached ({shop['size'] // KIB} KiB)",
            f"{shop['page']:.1f} ms",
            f"{shop['floor']:.2f} ms",
            cached,
            "≤ 2×",
            cached <= 2,
        ),
        row(
            "shop right after another household's order",
            f"{shop['after_order']:.1f} ms",
            f"{shop['after_order_floor']:.2f} ms",
            after,
            "≤ 3×",
            after <= 3,
        ),
        row(
            f"checklist, {args.checklist} households",
            f"{checklist['page']:.1f} ms",
            f"{checklist['floor']:.2f} ms",
            checklist_ratio,
            "≤ 3×",
            checklist_ratio <= 3,
        ),
        row(
            "one worker's memory after the main pages (RSS)",
            f"{memory['rss_mib']:.0f} MiB",
            "",
            None,
            "≤ 120 MiB",
            memory["rss_mib"] <= 120,
        ),
    ]
    print("\n".join(lines))
    loaded = [name for name in ("pyvrp", "stripe") if memory[name]]
    print(f"libraries loaded by those pages: {', '.join(loaded) or 'neither pyvrp nor stripe'}")
    print(f"whole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
