"""A whole season lived day by day on a large territory (issue 11), with its invariants.

    .venv/bin/python bench/season.py                       # a throw-away SQLite file
    DATABASE_URL=postgresql://... .venv/bin/python bench/season.py   # an EMPTY database
    .venv/bin/python bench/season.py --groups 2 --households 50 --weeks 8   # smaller

The same engine as tests/simulation (seeded, the clock frozen and moved day by day, the
scheduler's real registry run each morning, people acting through the services, every
invariant checked each evening), at 10 groups and 1 000 households by default. Card and SEPA
installments are charged against a localstripe server started here (`--no-cards`: every
household pays by cheque or transfer instead). Prints the summary and the duration; exits 1 at
the first broken invariant (`--keep-going` lists the first failure of each instead).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import marketplace.models  # noqa: E402, F401 - the whole schema, for create_all
from marketplace import create_app  # noqa: E402
from marketplace.config import database_url  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from tests.clock import test_now  # noqa: E402
from tests.helpers import free_port  # noqa: E402
from tests.simulation.engine import BrokenInvariantError, Simulation  # noqa: E402
from tests.simulation.territory import TerritorySpec  # noqa: E402


def start_localstripe(port: int) -> subprocess.Popen:
    from tests.conftest import wait_for_port

    process = subprocess.Popen(  # noqa: S603 - our own venv's script, fixed arguments
        [str(Path(sys.executable).with_name("localstripe")), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    return process


def run(args: argparse.Namespace, settings: dict) -> int:
    app = create_app(settings)
    spec = TerritorySpec(
        groups=args.groups,
        households_per_group=max(1, args.households // args.groups),
        weeks=args.weeks,
        big_basket_places=max(3, args.households // args.groups // 4),
    )
    start: datetime = test_now()
    engine = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(
        f"Saison simulée sur {engine} : {spec.groups} groupes × {spec.households_per_group} "
        f"foyers, {spec.weeks} semaines, à partir du {start.isoformat()}",
        flush=True,
    )
    with app.app_context():
        db.create_all()
        simulation = Simulation(
            app,
            spec,
            seed=args.seed,
            start=start,
            cards=not args.no_cards,
            keep_going=args.keep_going,
            log=lambda text: print(text, flush=True),
        )
        try:
            with simulation.unsynced_sqlite():
                summary = simulation.run()
        except BrokenInvariantError as broken:
            print(f"INVARIANT ROMPU — {broken}")
            print(simulation.summary.text())
            return 1
        print(summary.text())
        return 1 if summary.failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--households", type=int, default=1000, help="in the whole territory")
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-cards", action="store_true")
    parser.add_argument("--keep-going", action="store_true")
    args = parser.parse_args()
    # A `kill` (or `timeout`) still stops the localstripe server started here.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    instance = Path(tempfile.mkdtemp(prefix="bench-season-"))
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url(instance).replace(
            "marketplace.sqlite3", "bench.sqlite3"
        ),
        "MARKETPLACE_ENV": "development",  # a bench machine, not production
        "SECRET_KEY": "bench-only",
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "folder",
        "MAIL_FOLDER": str(instance / "mail"),
    }
    localstripe = None
    began = time.perf_counter()
    code = 0
    try:
        if not args.no_cards:
            port = free_port()
            localstripe = start_localstripe(port)
            url = f"http://127.0.0.1:{port}"
            settings |= {
                "STRIPE_SECRET_KEY": "sk_test_12345",
                "STRIPE_PUBLISHABLE_KEY": "pk_test_12345",
                "STRIPE_WEBHOOK_SECRET": "whsec_bench",
                "STRIPE_API_BASE": url,
                "STRIPE_JS_URL": f"{url}/js.stripe.com/v3/",
            }
        code = run(args, settings)
    finally:
        if localstripe is not None:
            localstripe.terminate()
            localstripe.wait(timeout=10)
    print(f"Durée totale : {time.perf_counter() - began:.1f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
