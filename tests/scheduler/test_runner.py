"""The runner: each period once, catch-up after downtime, failures recorded and retried."""

from datetime import UTC, datetime, time, timedelta

import pytest
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.scheduler.models import JobRun
from marketplace.scheduler.registry import Daily, Hourly, Period
from marketplace.scheduler.runner import (
    MAX_ATTEMPTS,
    RETRY_AFTER,
    STALE_AFTER,
    run_due,
    run_period,
)
from tests import factories
from tests.helpers import count_queries
from tests.scheduler.support import NOW, recorded_runs


def groups_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Group))


@pytest.fixture
def three_day_window(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_CATCH_UP_DAYS", 3)


def test_a_period_is_processed_once(registry):
    calls = []

    @registry.register("compter", Daily(time(3, 0)), catch_up="latest")
    def count(period: Period) -> str:
        calls.append(period.key)
        factories.GroupFactory()
        return "1 groupe créé"

    first = run_due(registry, NOW)
    second = run_due(registry, NOW + timedelta(minutes=5))

    assert calls == ["2025-01-20"]
    assert [(report.period_key, report.outcome) for report in first] == [
        ("2025-01-20", "succeeded")
    ]
    assert second == []
    [run] = recorded_runs()
    assert (run.job_name, run.period_key, run.outcome, run.attempts) == (
        "compter",
        "2025-01-20",
        "succeeded",
        1,
    )
    assert run.summary == "1 groupe créé"
    assert NOW <= run.started_at <= run.finished_at < NOW + timedelta(minutes=1)
    assert groups_count() == 1


def test_every_missed_period_is_caught_up_in_order_after_downtime(registry, three_day_window):
    calls = []

    @registry.register("rappel", Daily(time(3, 0)), catch_up="every")
    def remind(period: Period) -> None:
        calls.append(period.key)

    run_due(registry, datetime(2025, 1, 16, 12, tzinfo=UTC))
    calls.clear()
    # The scheduler was down from the 16th to the 19th at noon.
    reports = run_due(registry, datetime(2025, 1, 19, 12, tzinfo=UTC))

    assert calls == ["2025-01-17", "2025-01-18", "2025-01-19"]
    assert [report.outcome for report in reports] == ["succeeded"] * 3
    assert [run.period_key for run in recorded_runs()] == [
        "2025-01-14",
        "2025-01-15",
        "2025-01-16",
        "2025-01-17",
        "2025-01-18",
        "2025-01-19",
    ]


def test_a_latest_job_catches_up_with_its_newest_period_only(registry, three_day_window):
    calls = []

    @registry.register("calendrier", Daily(time(3, 0)), catch_up="latest")
    def materialise(period: Period) -> None:
        calls.append(period.key)

    run_due(registry, datetime(2025, 1, 16, 12, tzinfo=UTC))
    run_due(registry, datetime(2025, 1, 19, 12, tzinfo=UTC))

    assert calls == ["2025-01-16", "2025-01-19"]


def test_nothing_runs_before_the_first_due_time_of_the_window(registry, three_day_window):
    calls = []

    @registry.register("horaire", Hourly(minute=30), catch_up="every")
    def hourly(period: Period) -> None:
        calls.append(period.key)

    run_due(registry, datetime(2025, 1, 20, 12, 29, tzinfo=UTC))
    first_pass = len(calls)
    run_due(registry, datetime(2025, 1, 20, 12, 31, tzinfo=UTC))

    assert first_pass == 3 * 24
    assert calls[-1] == "2025-01-20T12"
    assert len(calls) == first_pass + 1


def test_a_failing_job_is_recorded_rolled_back_and_retried_later(registry):
    calls = []

    @registry.register("fragile", Daily(time(3, 0)))
    def fragile(period: Period) -> str:
        calls.append(period.key)
        factories.GroupFactory(name="Créé par la tâche")
        db.session.flush()
        if len(calls) == 1:
            raise RuntimeError("Serveur du producteur injoignable")
        return "réussi au second essai"

    [failed] = run_due(registry, NOW)

    assert failed.outcome == "failed"
    assert "RuntimeError: Serveur du producteur injoignable" in failed.summary
    [run] = recorded_runs()
    assert run.outcome == "failed"
    assert run.finished_at is not None
    assert "Serveur du producteur injoignable" in run.summary
    assert groups_count() == 0  # the job's work was rolled back

    too_soon = run_due(registry, NOW + RETRY_AFTER - timedelta(minutes=1))
    assert [report.outcome for report in too_soon] == ["skipped"]
    assert len(calls) == 1

    [retried] = run_due(registry, NOW + RETRY_AFTER + timedelta(minutes=1))

    assert retried.outcome == "succeeded"
    [run] = recorded_runs()
    assert (run.outcome, run.attempts, run.summary) == ("succeeded", 2, "réussi au second essai")
    assert groups_count() == 1


def test_a_period_that_keeps_failing_is_given_up_after_the_last_attempt(registry):
    calls = []

    @registry.register("cassee", Daily(time(3, 0)))
    def broken(period: Period) -> None:
        calls.append(period.key)
        raise ValueError("toujours en panne")

    for retry in range(MAX_ATTEMPTS + 2):
        run_due(registry, NOW + retry * (RETRY_AFTER + timedelta(minutes=1)))

    assert len(calls) == MAX_ATTEMPTS
    [run] = recorded_runs()
    assert (run.outcome, run.attempts) == ("failed", MAX_ATTEMPTS)
    assert "ValueError: toujours en panne" in run.summary


def test_a_run_left_running_by_a_crashed_process_is_taken_over(registry):
    calls = []

    @registry.register("reprise", Daily(time(3, 0)))
    def resume(period: Period) -> str:
        calls.append(period.key)
        return "repris"

    db.session.add(
        JobRun(
            job_name="reprise",
            period_key="2025-01-20",
            started_at=NOW - STALE_AFTER - timedelta(minutes=1),
            outcome="running",
            attempts=1,
            worker="serveur-arrete:4242",
        )
    )
    db.session.commit()

    [report] = run_due(registry, NOW)

    assert report.outcome == "succeeded"
    assert calls == ["2025-01-20"]
    [run] = recorded_runs()
    assert (run.outcome, run.attempts) == ("succeeded", 2)
    assert NOW <= run.started_at < NOW + timedelta(minutes=1)
    assert run.worker != "serveur-arrete:4242"


def test_a_run_in_progress_elsewhere_is_left_alone(registry):
    calls = []

    @registry.register("occupee", Daily(time(3, 0)))
    def busy(period: Period) -> None:
        calls.append(period.key)

    db.session.add(
        JobRun(
            job_name="occupee",
            period_key="2025-01-20",
            started_at=NOW - timedelta(minutes=5),
            outcome="running",
            attempts=1,
        )
    )
    db.session.commit()

    [report] = run_due(registry, NOW)

    assert report.outcome == "skipped"
    assert calls == []
    [run] = recorded_runs()
    assert (run.outcome, run.attempts) == ("running", 1)


def test_forcing_runs_a_succeeded_period_again(registry):
    calls = []

    @registry.register("forcee", Daily(time(3, 0)))
    def forced(period: Period) -> None:
        calls.append(period.key)

    job = registry.get("forcee")
    period = job.cadence.period_of(NOW)
    run_period(job, period, NOW)
    not_forced = run_period(job, period, NOW + timedelta(minutes=1))
    forced_report = run_period(job, period, NOW + timedelta(minutes=2), force=True)

    assert not_forced.outcome == "skipped"
    assert forced_report.outcome == "succeeded"
    assert calls == ["2025-01-20", "2025-01-20"]
    [run] = recorded_runs()
    assert (run.outcome, run.attempts) == ("succeeded", 2)


def test_work_done_after_another_process_took_the_period_over_is_discarded(registry):
    @registry.register("doublee", Daily(time(3, 0)))
    def overtaken(period: Period) -> None:
        # Meanwhile another process judged this run abandoned and re-claimed it.
        with db.engine.begin() as connection:
            connection.execute(update(JobRun).values(attempts=JobRun.attempts + 1))
        factories.GroupFactory()
        db.session.flush()

    [report] = run_due(registry, NOW)

    assert report.outcome == "skipped"
    assert groups_count() == 0
    [run] = recorded_runs()
    assert (run.outcome, run.attempts) == ("running", 2)


def test_skipping_done_periods_costs_one_query_per_job_whatever_their_number(
    app, registry, monkeypatch
):
    @registry.register("quotidienne", Daily(time(3, 0)), catch_up="every")
    def daily(period: Period) -> None:
        return None

    def queries_once_all_done(days: int) -> int:
        monkeypatch.setitem(app.config, "SCHEDULER_CATCH_UP_DAYS", days)
        run_due(registry, NOW)
        with count_queries() as counter:
            assert run_due(registry, NOW) == []
        return counter.count

    assert queries_once_all_done(2) == 1
    assert queries_once_all_done(10) == 1
    assert len(recorded_runs()) == 10


def test_an_unknown_job_name_is_refused(registry):
    with pytest.raises(KeyError):
        run_due(registry, NOW, ["inconnue"])


def test_jobs_speak_the_default_language_outside_any_request(registry):
    @registry.register("traduite", Daily(time(3, 0)))
    def translated(period: Period) -> str:
        return _("Distribution du %(day)s préparée", day=period.key)

    [report] = run_due(registry, NOW)

    assert (report.outcome, report.summary) == ("succeeded", "Distribution du 2025-01-20 préparée")
