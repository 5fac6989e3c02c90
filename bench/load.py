"""The load test: the production processes on loopback, 200 households for a bounded minute,
then 200 simultaneous orders on the 50 last units of a product.

    scripts/with-postgres scripts/with-redis .venv/bin/python bench/load.py
    ... bench/load.py --households 20 --duration 5 --burst-units 5 --workers 1   # a tiny run

It needs DATABASE_URL (PostgreSQL: it creates a fresh database beside that one and drops it at
the end) and REDIS_URL (an empty Redis database, e.g. scripts/with-redis's; emptied at the end).
It migrates the fresh database, builds the territory (bench/load_territory.py), then starts
2 gunicorn processes (gunicorn.conf.py, --workers each, MARKETPLACE_ENV=production with every
setting production asks for), 2 scheduler processes and an SMTP server that drops what it
receives, and waits until both servers answer /readyz and the schedulers have caught up.

- Login: every household logs in once through the real form (before the timed minute).
- Phase A, spread: the households arrive evenly over --duration seconds; each opens the shop,
  orders two products, opens its order, its orders and its statement; one in ten is a
  volunteer who reads the day's checklist (JSON API) and ticks five lines. Requests alternate
  between the two servers, as a load balancer sends them. Per page: count, p50, p95, max.
- Phase B, burst: every household orders one of the --burst-units last units at the same
  instant (a barrier); the time for the burst to drain, its p95, and, read in the database
  afterwards, what was sold (never more than the stock, all of it when enough was wanted).
- The schedulers: each period that fell due during the phases ran exactly once.
It ends with one table (figure, measured, floor, ok / NOT OK) and exits with 1 if a floor is
missed. Every process it started is stopped (their process groups), even on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import load_territory  # noqa: E402
from load_checks import (  # noqa: E402
    BURST_PAGE,
    PUBLIC_HOST,
    final_table,
    outbox_report,
    print_pages,
    scheduler_report,
    stock_report,
    wait_caught_up,
    wait_ready,
)
from load_client import Household, Recorder  # noqa: E402

BIN = Path(sys.executable).parent


def refuse(message: str) -> None:
    print(f"bench/load.py: {message}", file=sys.stderr)
    sys.exit(2)


# --- Processes --------------------------------------------------------------------------------


class Processes:
    """Every process the bench starts, each the leader of its own process group."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        with (self.folder / f"{name}.log").open("w") as log:
            process = subprocess.Popen(  # noqa: S603 - our venv's programs, fixed arguments
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((name, process))
        return process

    def cpu_seconds(self, prefix: str) -> float:
        """CPU time used so far by the process groups whose name starts with `prefix` (a
        figure the other programs of the machine do not change, unlike a duration)."""
        groups = {process.pid for name, process in self.started if name.startswith(prefix)}
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) in groups:  # pgrp; then utime and stime are fields 11 and 12
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def dead(self) -> list[str]:
        return [name for name, process in self.started if process.poll() is not None]

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.folder / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop_all(self) -> None:
        for _name, process in self.started:
            if process.poll() is None:
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for _name, process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(OSError):  # stragglers of the group (gunicorn's workers) too
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                process.wait(timeout=5)
        self.started.clear()


def free_ports(count: int, span: str) -> list[int]:
    """`count` free loopback ports, from the range `span` ("7100-7199") or any ("0")."""
    if span == "0":
        candidates = [0] * count
    else:
        low, high = (int(part) for part in span.split("-"))
        candidates = list(range(low, high + 1))
    ports: list[int] = []
    for candidate in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            ports.append(sock.getsockname()[1])
        if len(ports) == count:
            return ports
    refuse(f"not {count} free ports in {span}")
    return []


# --- The database and the environment ---------------------------------------------------------


def fresh_database(url: str) -> str:
    """A new database beside DATABASE_URL's, created with its credentials."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"marketplace_load_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_url(url).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = target.set(
        drivername="postgresql", database=make_url(os.environ["DATABASE_URL"]).database
    )
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


def production_env(database: str, redis: str, smtp_port: int, folder: Path) -> dict[str, str]:
    """What production refuses to start without (marketplace/config.py), for a site behind
    a TLS proxy at https://PUBLIC_HOST; Stripe's keys point nowhere (no page here pays)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STRIPE_")}
    env.update(
        MARKETPLACE_ENV="production",
        DATABASE_URL=database,
        REDIS_URL=redis,
        RATELIMIT_STORAGE_URI=redis,
        SECRET_KEY=secrets.token_hex(32),
        PUBLIC_BASE_URL=f"https://{PUBLIC_HOST}",
        TRUSTED_HOSTS=PUBLIC_HOST,
        TRUSTED_PROXIES="1",
        SESSION_COOKIE_SECURE="1",
        STRIPE_SECRET_KEY="sk_test_load_bench_not_a_key",
        STRIPE_PUBLISHABLE_KEY="pk_test_load_bench_not_a_key",
        STRIPE_WEBHOOK_SECRET="whsec_load_bench_" + secrets.token_hex(8),
        STRIPE_API_BASE="http://127.0.0.1:9",
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        LOG_FORMAT="json",
        LOG_LEVEL="WARNING",
        TMPDIR=str(folder),
    )
    return env


def build_territory(database: str, args):
    import marketplace.models  # noqa: F401 - the whole schema
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app(
        {
            "MARKETPLACE_ENV": "development",
            "SECRET_KEY": "bench-only",
            "SQLALCHEMY_DATABASE_URI": database.replace(
                "postgresql://", "postgresql+psycopg://", 1
            ),
            "RATELIMIT_ENABLED": False,
            "PUBLIC_BASE_URL": f"https://{PUBLIC_HOST}",
        }
    )
    with app.test_request_context():
        territory = load_territory.build(
            args.households, args.products, args.burst_units, args.volunteer_every
        )
        db.session.remove()
    return app, territory


# --- The phases -------------------------------------------------------------------------------


def run_threads(targets: list, deadline_seconds: float) -> int:
    """Start one daemon thread per callable, wait for them; how many never finished."""
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + deadline_seconds
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return sum(thread.is_alive() for thread in threads)


def each(households: list[Household], action, concurrency: int) -> None:
    """`action(household)` for every household, `concurrency` at a time."""
    queue = list(households)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                household = queue.pop()
            action(household)

    run_threads([worker] * concurrency, 600)


def log_in_everyone(households: list[Household], territory, concurrency: int) -> int:
    """Each household through the login form; how many failed."""
    failed = []

    def log_in(household: Household) -> None:
        email = territory.emails[household.number]
        if not household.log_in(territory.urls.login, email, load_territory.PASSWORD):
            failed.append(household.number)

    each(households, log_in, concurrency)
    return len(failed)


def volunteer_round(household: Household, territory, rng: random.Random) -> None:
    urls = territory.urls
    response = household.request("GET", urls.checklist, "checklist (JSON)")
    if response is None or response.status_code != 200:
        return
    listing = response.json()
    lines = [line for line in listing["lines"] if line["targets"]]
    now = datetime.now(UTC).isoformat()
    taps = [
        {
            "tap_id": str(uuid.uuid4()),
            "target_kind": target["kind"],
            "target_id": target["id"],
            "action": "collected",
            "tapped_at": now,
            "device_id": f"phone-{household.number}",
        }
        for line in rng.sample(lines, min(5, len(lines)))
        for target in line["targets"][:1]
    ]
    answer = household.request(
        "POST",
        urls.taps,
        "taps (JSON)",
        json={"taps": taps},
        headers={"X-CSRFToken": listing["csrf_token"]},
    )
    if answer is not None and answer.status_code == 200:
        refused = [r for r in answer.json()["results"] if r["status"] == "refused"]
        if refused:
            household.recorder.add_note(f"taps refused: {refused[:2]}")


def journey(household: Household, territory, rng: random.Random, think: float) -> None:
    """Open the shop, order two products, open the order, the orders and the statement."""
    urls = territory.urls
    household.remember_csrf(household.request("GET", urls.shop, "shop page"))
    time.sleep(think)
    chosen = rng.sample(territory.shop_products, min(2, len(territory.shop_products)))
    response = household.order(urls.shop, dict.fromkeys(chosen, 1), "order (POST)")
    if response is not None and response.status_code == 302:
        location = urlsplit(response.headers["Location"])
        household.request("GET", location.path, "order page")
    time.sleep(think)
    household.request("GET", urls.my_orders, "my orders")
    household.request("GET", urls.statement, "statement")
    if household.number in territory.volunteers:
        time.sleep(think)
        volunteer_round(household, territory, rng)


def phase_spread(households: list[Household], territory, args) -> tuple[float, float, int]:
    """Arrivals evenly over the duration; (start, end) instants and unfinished journeys."""
    started = time.time()
    origin = time.monotonic()
    step = args.duration / len(households)

    def arrive(household: Household, at: float):
        def run():
            time.sleep(max(0.0, origin + at - time.monotonic()))
            journey(household, territory, random.Random(household.number), args.think)

        return run

    unfinished = run_threads(
        [arrive(h, n * step) for n, h in enumerate(households)], args.duration + 120
    )
    return started, time.time(), unfinished


def phase_burst(households: list[Household], territory, processes: Processes):
    """Every household's order for one last unit, released at once: its requests, the
    seconds for all of them to be answered, how many never were, and the CPU seconds the
    web workers spent on them."""

    recorder = Recorder()
    for household in households:
        household.recorder = recorder

    def open_page(household: Household) -> None:  # the page each has open, its form's token
        page = "rush page (before)"
        household.remember_csrf(household.request("GET", territory.urls.rush, page))

    each(households, open_page, 8)
    barrier = threading.Barrier(len(households) + 1)
    quantities = {territory.rush_availability_id: 1}

    def order(household: Household):
        def run():
            barrier.wait()
            household.order(territory.urls.rush, quantities, BURST_PAGE, expected=(302, 422))

        return run

    threads = [threading.Thread(target=order(h), daemon=True) for h in households]
    for thread in threads:
        thread.start()
    cpu = processes.cpu_seconds("gunicorn")
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=120)
    drained = time.perf_counter() - started
    cpu = processes.cpu_seconds("gunicorn") - cpu
    return recorder, drained, sum(thread.is_alive() for thread in threads), cpu


# --- Main -------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60, help="seconds of arrivals")
    parser.add_argument("--burst-units", type=int, default=50, help="units left for the rush")
    parser.add_argument("--products", type=int, default=30, help="products of each shop day")
    parser.add_argument("--volunteer-every", type=int, default=10, help="one volunteer in N")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per process")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--think", type=float, default=0.3, help="seconds between two pages")
    parser.add_argument("--page-p95-ms", type=float, default=500, help="floor of phase A")
    parser.add_argument("--burst-seconds", type=float, default=3.0, help="floor of the burst")
    parser.add_argument("--ports", default="0", help='a range like "7100-7199"; 0: any free')
    parser.add_argument("--keep-logs", action="store_true", help="print the logs' folder")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgresql", "postgres:")):
        refuse(
            "DATABASE_URL must name a PostgreSQL server, e.g.\n"
            "  scripts/with-postgres scripts/with-redis .venv/bin/python bench/load.py"
        )
    if not redis_url.startswith("redis"):
        refuse("REDIS_URL must name an empty Redis database (scripts/with-redis starts one)")
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://") :]
        os.environ["DATABASE_URL"] = database_url
    import redis

    redis_client = redis.Redis.from_url(redis_url)
    if redis_client.dbsize():
        refuse("the Redis database of REDIS_URL is not empty: use a throwaway one")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    processes = Processes(folder)
    database = None
    try:
        database = fresh_database(database_url)
        return run(args, folder, processes, database, redis_url)
    finally:
        processes.stop_all()
        if database:
            drop_database(database)
        redis_client.flushdb()
        redis_client.close()
        if args.keep_logs:
            print(f"logs kept in {folder}")
        else:
            subprocess.run(["rm", "-rf", str(folder)], check=False)  # noqa: S603, S607


def start_smtp_sink(processes: Processes, port: int) -> None:
    """The mail server the site sends to (aiosmtpd, its own process: it accepts and drops)."""
    processes.start(
        "smtp",
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
        + ["-l", f"127.0.0.1:{port}"],
        dict(os.environ),
    )
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline or processes.dead():
            raise RuntimeError("the SMTP sink did not start")
        time.sleep(0.2)


def run(args, folder: Path, processes: Processes, database: str, redis_url: str) -> int:
    started = time.perf_counter()
    *gunicorn_ports, smtp_port = free_ports(3, args.ports)
    try:
        start_smtp_sink(processes, smtp_port)
        env = production_env(database, redis_url, smtp_port, folder)
        upgrade = subprocess.run(  # noqa: S603 - our venv's flask, fixed arguments
            [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if upgrade.returncode:
            raise RuntimeError(f"db upgrade failed:\n{upgrade.stderr[-3000:]}")
        app, territory = build_territory(database, args)
        print(
            f"territory: {args.households} households, 2 shop days of {args.products} products,"
            f" {territory.rush_units} last units, {len(territory.volunteers)} volunteers"
            f" ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        for number, port in enumerate(gunicorn_ports):
            processes.start(
                f"gunicorn-{number}",
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                {
                    **env,
                    "BIND": f"127.0.0.1:{port}",
                    "WEB_CONCURRENCY": str(args.workers),
                    "GUNICORN_THREADS": str(args.threads),
                    "PROMETHEUS_MULTIPROC_DIR": str(folder / f"metrics-{number}"),
                },
            )
        for number in range(2):
            processes.start(
                f"scheduler-{number}",
                [str(BIN / "flask"), "--app", "wsgi", "scheduler", "run"],
                {**env, "LOG_LEVEL": "INFO"},
            )
        servers = [f"http://127.0.0.1:{port}" for port in gunicorn_ports]
        wait_ready(processes, servers, territory.urls.readyz)
        caught_up = wait_caught_up(app, processes)
        print(
            f"ready: 2 × gunicorn ({args.workers} workers × {args.threads} threads) on "
            f"{', '.join(servers)}, 2 schedulers ({caught_up} periods caught up)",
            flush=True,
        )
        return measure(args, app, territory, processes, servers)
    except BaseException:
        for name, _process in processes.started:
            print(f"\n--- {name} (last lines) ---\n{processes.log_tail(name)}", file=sys.stderr)
        raise


def measure(args, app, territory, processes, servers) -> int:
    logins = Recorder()
    households = [
        Household(number, servers, PUBLIC_HOST, logins) for number in range(args.households)
    ]
    try:
        login_failures = log_in_everyone(households, territory, 8)
        print(f"logged in: {args.households - login_failures} households", flush=True)
        spread = Recorder()
        for household in households:
            household.recorder = spread
        since, until, unfinished = phase_spread(households, territory, args)
        print_pages(
            f"Phase A: {args.households} households over {args.duration:.0f} s "
            f"({until - since:.1f} s from the first arrival to the last answer)",
            spread,
        )
        burst, drained, stuck, cpu = phase_burst(households, territory, processes)
        burst_end = datetime.now(UTC)
        print_pages(f"Phase B: {args.households} simultaneous orders", burst)
        print(
            f"  drained in {drained:.2f} s; CPU used by the web workers during the burst: "
            f"{cpu:.2f} s "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    finally:
        for household in households:
            household.close()
    stock = stock_report(app, territory, burst)
    dead = processes.dead()
    schedulers = scheduler_report(
        app, datetime.fromtimestamp(since, UTC), burst_end - timedelta(seconds=2)
    )
    print(
        f"\nSchedulers: {schedulers['due']} periods due during the phases, {schedulers['ran']} "
        f"ran, run by {', '.join(schedulers['workers'])}"
    )
    for job_name, key, worker in schedulers["by_job"]:
        print(f"  {job_name} {key} by {worker}")
    print(f"emails in the outbox: {outbox_report(app)}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    table = final_table(
        args,
        login_failures,
        spread,
        unfinished,
        burst,
        stuck,
        drained,
        stock,
        schedulers,
        dead,
    )
    table.print()
    return 0 if table.ok else 1


if __name__ == "__main__":
    sys.exit(main())
