"""`flask scheduler run` as a real process: it catches up at start and stops on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from marketplace import PROJECT_ROOT
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.scheduler.models import JobRun


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def test_the_scheduler_process_catches_up_at_start_and_stops_cleanly(
    app, smtp_server, tmp_path: Path
):
    registry = load_jobs()
    log_path = tmp_path / "scheduler.log"
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],  # the test database
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SCHEDULER_CATCH_UP_DAYS": "2",
        "MARKETPLACE_ENV": "development",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": smtp_server.hostname,
        "MAIL_PORT": str(smtp_server.port),
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        caught_up = wait_until(lambda: "Catch-up pass done" in log_path.read_text())
        assert caught_up, log_path.read_text()
        assert process.poll() is None, "the scheduler must keep running after its catch-up"
        db.session.rollback()  # see what the other process committed
        recorded = set(db.session.scalars(select(JobRun.job_name)))
    finally:
        exit_code = stop(process)

    log_text = log_path.read_text()
    assert f"Scheduler starting with {len(registry.jobs)} job(s)" in log_text
    # Until a domain registers a job the registry may be empty: the pass then runs nothing.
    assert recorded == set(registry.jobs)
    assert "Received SIGTERM" in log_text
    assert "Scheduler stopped" in log_text
    assert "Traceback" not in log_text
    assert exit_code == 0
