"""Two scheduler processes started by mistake: the claim lets only one do each period."""

import threading
import time
from datetime import time as clock_time
from datetime import timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.scheduler.registry import Daily, Period
from marketplace.scheduler.runner import RunReport, run_due
from tests import factories
from tests.scheduler.support import NOW, recorded_runs


def run_two_runners_at_once(app, registry, now) -> list[RunReport]:
    barrier = threading.Barrier(2)
    reports: list[RunReport] = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            with app.app_context():  # each thread its own context, so its own session
                barrier.wait(timeout=10)
                reports.extend(run_due(registry, now))
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return reports


def test_two_runners_started_together_do_a_period_exactly_once(app, registry):
    calls: list[str] = []

    @registry.register("lente", Daily(clock_time(3, 0)), catch_up="latest")
    def slow(period: Period) -> str:
        calls.append(period.key)
        factories.GroupFactory()
        db.session.flush()
        time.sleep(0.2)  # long enough for the other runner to try meanwhile
        return "fait"

    days = [NOW + timedelta(days=offset) for offset in range(4)]
    for now in days:
        reports = run_two_runners_at_once(app, registry, now)
        outcomes = sorted(report.outcome for report in reports)
        # The loser either found the period taken (skipped) or already done (no report).
        assert outcomes in (["succeeded"], ["skipped", "succeeded"])

    assert sorted(calls) == ["2025-01-20", "2025-01-21", "2025-01-22", "2025-01-23"]
    assert [(run.outcome, run.attempts) for run in recorded_runs()] == [("succeeded", 1)] * 4
    assert db.session.scalar(select(func.count()).select_from(Group)) == 4
