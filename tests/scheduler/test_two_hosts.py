"""Two scheduler instances (two hosts, for availability) on one database: every period of
every registered job is done exactly once, by one of them.

The proof needs no advisory lock: the claim is the `job_runs` row (UNIQUE job and period,
committed before the work), and a second claim of the same period can only be a conditional
UPDATE that adds an attempt; so a period done once shows one row, succeeded, at attempt 1.
"""

import os
import subprocess
import sys
from collections import Counter

from sqlalchemy import select

from marketplace import PROJECT_ROOT
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.scheduler.models import JobRun


def test_two_scheduler_processes_run_each_period_of_each_job_exactly_once(app, smtp_server):
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],  # the test database
        "SECRET_KEY": app.config["SECRET_KEY"],
        # Two days of hourly and daily periods to catch up: hundreds of claims to race for.
        "SCHEDULER_CATCH_UP_DAYS": "2",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": smtp_server.hostname,
        "MAIL_PORT": str(smtp_server.port),
        "LANG": "C.UTF-8",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run-due"]
    processes = [
        subprocess.Popen(  # noqa: S603 - a fixed command line
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    db.session.rollback()  # see what the processes committed
    runs = db.session.scalars(select(JobRun)).all()
    assert {run.job_name for run in runs} == set(load_jobs().jobs)
    assert Counter((run.outcome, run.attempts) for run in runs) == {("succeeded", 1): len(runs)}
    # Each period was reported done by exactly one process; the other skipped or saw it done.
    done = [
        line
        for output in outputs
        for line in output.splitlines()
        if line.endswith(": réussie") or ": réussie — " in line
    ]
    assert len(done) == len(runs)
    assert len({(run.job_name, run.period_key) for run in runs}) == len(runs)
