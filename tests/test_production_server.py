"""The production server as configured in gunicorn.conf.py: several workers answering, one
JSON log line per request with its id, and metrics added up over every worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def get(url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read().decode()


@pytest.fixture
def server(app, base_config, tmp_path):
    """gunicorn with 2 workers on the test database (its tables made by the `app` fixture)."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": base_config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "tests-only-secret",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "LOG_FORMAT": "json",
        "RATELIMIT_ENABLED": "0",
    }
    env.pop("REDIS_URL", None)
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - our venv's gunicorn, fixed arguments
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(f"{base}/readyz")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_serves_with_request_ids_json_logs_and_metrics_of_every_worker(server):
    base, log = server

    for number in range(20):
        status, headers, _body = get(f"{base}/healthz", {"X-Request-Id": f"probe-{number}"})
        assert status == 200
        assert headers["X-Request-Id"] == f"probe-{number}"
    status, _headers, body = get(f"{base}/readyz")
    assert status == 200 and json.loads(body)["database"] == "ok"

    _status, _headers, metrics = get(f"{base}/metrics")
    count = next(
        line
        for line in metrics.splitlines()
        if line.startswith("marketplace_request_duration_seconds_count")
        and 'endpoint="health.healthz"' in line
    )
    assert float(count.rsplit(" ", 1)[1]) == 20  # whichever worker answered each one

    time.sleep(0.3)  # the last lines reach the file
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    answered = [line for line in lines if line.get("logger") == "marketplace.requests"]
    assert {line["request_id"] for line in answered} >= {f"probe-{n}" for n in range(20)}
    assert {line["logger"] for line in lines} >= {"gunicorn.error", "marketplace.requests"}
    booted = {line["message"] for line in lines if "Booting worker" in line["message"]}
    assert len(booted) == 2
