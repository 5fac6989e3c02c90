"""`flask scheduler run-due | catch-up | list | run-job`, on a registry of test jobs."""

from datetime import time, timedelta

import pytest

from marketplace.db import utcnow
from marketplace.scheduler import cli
from marketplace.scheduler.registry import Daily, Hourly, JobRegistry, Period
from tests.helpers import count_queries
from tests.scheduler.support import recorded_runs


@pytest.fixture
def registry(monkeypatch) -> JobRegistry:
    test_registry = JobRegistry()
    monkeypatch.setattr(cli, "load_jobs", lambda: test_registry)
    return test_registry


@pytest.fixture
def invoke(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["scheduler", *args])


def latest_daily_key(at: time) -> str:
    """The newest period of a daily job that is due now. Look back two days: the 25-hour day of
    October's change of time has 24-hour stretches without any 03:00 in them."""
    now = utcnow()
    return list(Daily(at).due_periods(now - timedelta(days=2), now))[-1].key


def register_greeting(registry: JobRegistry, calls: list[str]) -> None:
    @registry.register(
        "saluer", Daily(time(3, 0)), catch_up="latest", description="Dit bonjour aux adhérent·es."
    )
    def greet(period: Period) -> str:
        calls.append(period.key)
        return "Bonjour envoyé"


@pytest.mark.parametrize("command", ["run-due", "catch-up"])
def test_run_due_runs_what_is_due_and_prints_one_line_per_run(invoke, registry, command):
    calls: list[str] = []
    register_greeting(registry, calls)
    key = latest_daily_key(time(3, 0))

    result = invoke(command)

    assert result.exit_code == 0, result.output
    assert result.output == f"saluer, période {key} : réussie — Bonjour envoyé\n"
    assert calls == [key]

    again = invoke(command)

    assert again.exit_code == 0
    assert "Rien à faire" in again.output
    assert calls == [key]


def test_run_due_exits_with_an_error_when_a_job_fails(invoke, registry):
    @registry.register("cassee", Daily(time(3, 0)))
    def broken(period: Period) -> None:
        raise RuntimeError("Base des producteurs indisponible")

    result = invoke("run-due")

    assert result.exit_code == 1
    assert ": échouée — RuntimeError: Base des producteurs indisponible" in result.output
    [run] = recorded_runs()
    assert run.outcome == "failed"


def test_list_shows_each_job_with_its_cadence_and_last_run(invoke, registry):
    calls: list[str] = []
    register_greeting(registry, calls)

    @registry.register("horaire", Hourly(minute=5))
    def hourly(period: Period) -> None:
        return None

    before = invoke("list")
    invoke("run-due")
    after = invoke("list")

    assert before.exit_code == 0
    assert "saluer — chaque jour à 03:00 (heure de Paris)" in before.output
    assert "Dit bonjour aux adhérent·es." in before.output
    assert "horaire — chaque heure à la minute 05" in before.output
    assert before.output.count("Dernière exécution : jamais") == 2
    key = latest_daily_key(time(3, 0))
    assert f"Dernière exécution : période {key}, réussie (essai 1), terminée le" in after.output
    assert "jamais" not in after.output


def test_list_costs_the_same_queries_whatever_the_number_of_jobs_and_runs(invoke, registry):
    def add_job(name: str) -> None:
        registry.register(name, Daily(time(3, 0)), catch_up="every")(lambda period: None)

    add_job("a")
    invoke("run-due")
    with count_queries() as few:
        invoke("list")
    for name in ("b", "c", "d"):
        add_job(name)
    invoke("run-due")
    with count_queries() as many:
        invoke("list")

    assert len(recorded_runs()) > 4 * 10  # a fortnight of daily runs for each job
    assert many.count == few.count == 1


def test_list_says_when_no_job_is_registered(invoke, registry):
    result = invoke("list")
    assert result.exit_code == 0
    assert "Aucune tâche planifiée" in result.output


def test_run_job_forces_a_job_for_the_current_or_a_given_period(invoke, registry):
    calls: list[str] = []
    register_greeting(registry, calls)
    today = Daily(time(3, 0)).period_of(utcnow()).key

    now_result = invoke("run-job", "saluer")
    again = invoke("run-job", "saluer")
    given = invoke("run-job", "saluer", "--period", "2025-03-30")

    assert now_result.exit_code == 0, now_result.output
    assert f"saluer, période {today} : réussie" in now_result.output
    assert again.exit_code == 0  # forced: done again even though it succeeded
    assert given.exit_code == 0
    assert "période 2025-03-30 : réussie" in given.output
    assert calls == [today, today, "2025-03-30"]
    assert [(run.period_key, run.attempts) for run in recorded_runs()] == sorted(
        [(today, 2), ("2025-03-30", 1)]
    )


def test_run_job_refuses_an_unknown_job(invoke, registry):
    register_greeting(registry, [])

    result = invoke("run-job", "inconnue")

    assert result.exit_code == 2
    assert "Tâche inconnue « inconnue ». Tâches connues : saluer." in result.output
    assert recorded_runs() == []


def test_run_job_refuses_a_malformed_period(invoke, registry):
    calls: list[str] = []
    register_greeting(registry, calls)

    result = invoke("run-job", "saluer", "--period", "demain")

    assert result.exit_code == 2
    assert "Période « demain » invalide : exemple 2025-03-30." in result.output
    assert calls == []
