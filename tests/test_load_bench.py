"""bench/load.py keeps running: the production processes, a few households and a small rush.

On PostgreSQL only (the bench creates its own database beside DATABASE_URL's) and with a
redis-server binary (a throwaway Redis of scripts/with-redis). The speed floors are loosened
(a test machine is shared): what must hold is 0 errors, 0 oversold and every scheduled
period run once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the load test runs on PostgreSQL (DATABASE_URL)",
    ),
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="redis-server absent : apt-get install redis-server (Debian)",
    ),
]


def test_the_load_bench_runs_a_tiny_territory_with_no_error_and_nothing_oversold():
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our scripts, this interpreter, the project's bench
        [
            str(ROOT / "scripts" / "with-redis"),
            sys.executable,
            str(ROOT / "bench" / "load.py"),
            *("--households", "20", "--duration", "5", "--burst-units", "5"),
            *("--workers", "1", "--threads", "2", "--think", "0.1"),
            *("--page-p95-ms", "10000", "--burst-seconds", "30"),
            *("--ports", os.environ.get("BENCH_PORTS", "0")),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for figure in ("phase A: errors", "phase B: oversold", "schedulers: periods run twice"):
        line = next(line for line in result.stdout.splitlines() if line.startswith(figure))
        assert line.endswith(" ok"), line
    assert "units sold of 5 (database)" in result.stdout
    assert time.monotonic() - started < 90
