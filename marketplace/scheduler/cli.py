"""`flask scheduler ...`: the scheduler process and commands to inspect or force its jobs.

The scheduler runs in its own process (`flask scheduler run`), never inside web workers.
"""

from __future__ import annotations

import functools
import logging
import signal
from collections.abc import Callable, Iterable
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.scheduler.models import JobRun, RunOutcome
from marketplace.scheduler.registry import Cadence, Daily, JobRegistry, Minutely
from marketplace.scheduler.runner import SKIPPED, RunReport, run_due, run_period
from marketplace.timezones import PARIS, to_paris

scheduler = AppGroup("scheduler", help="Scheduled jobs: run the scheduler, list or force jobs.")

logger = logging.getLogger("marketplace.scheduler")

if TYPE_CHECKING:  # APScheduler is imported by `flask scheduler run` only
    from apscheduler.schedulers.blocking import BlockingScheduler


def _in_default_language(command: Callable[..., Any]) -> Callable[..., Any]:
    """Commands have no visitor whose language to pick: speak the site's default one."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            return command(*args, **kwargs)

    return wrapper


def _outcome_label(outcome: str) -> str:
    labels = {
        RunOutcome.RUNNING.value: _("en cours"),
        RunOutcome.SUCCEEDED.value: _("réussie"),
        RunOutcome.FAILED.value: _("échouée"),
        SKIPPED: _("ignorée (déjà prise ou à réessayer plus tard)"),
    }
    return labels.get(outcome, outcome)


def _report_line(report: RunReport) -> str:
    line = _(
        "%(job)s, période %(period)s : %(outcome)s",
        job=report.job_name,
        period=report.period_key,
        outcome=_outcome_label(report.outcome),
    )
    if report.summary:
        # An error's traceback is long: its last line says what went wrong.
        line += " — " + report.summary.strip().splitlines()[-1]
    return line


def _cadence_label(cadence: Cadence) -> str:
    if isinstance(cadence, Daily):
        return _("chaque jour à %(time)s (heure de Paris)", time=cadence.at.strftime("%H:%M"))
    if isinstance(cadence, Minutely):
        return _("chaque minute")
    return _("chaque heure à la minute %(minute)02d", minute=cadence.minute)


def _exit_code(reports: Iterable[RunReport]) -> int:
    return 1 if any(report.outcome == RunOutcome.FAILED.value for report in reports) else 0


# --- flask scheduler run -------------------------------------------------------------------


def _configure_logging() -> None:
    """Readable lines, or JSON ones like the web server's with LOG_FORMAT=json."""
    import logging.config
    import os

    from flask.logging import default_handler

    from marketplace.logs import logging_config

    logging.config.dictConfig(
        logging_config(os.environ.get("LOG_FORMAT", "text"), os.environ.get("LOG_LEVEL", "INFO"))
    )
    # Flask's handler on the app logger would print our lines a second time.
    logging.getLogger("marketplace").removeHandler(default_handler)


def _pass(app: Flask, registry: JobRegistry, label: str, job_names: list[str] | None) -> None:
    """One pass of run_due in its own app context (APScheduler runs it in a worker thread)."""
    with app.app_context():
        logger.info("%s pass starting", label)
        reports = run_due(registry, utcnow(), job_names)
    failed = sum(report.outcome == RunOutcome.FAILED.value for report in reports)
    logger.info("%s pass done: %d run(s), %d failed", label, len(reports), failed)


def build_scheduler(app: Flask, registry: JobRegistry) -> BlockingScheduler:
    """The APScheduler of the scheduler process: a catch-up pass at once, each job at its
    own time, and an hourly pass that retries failed periods."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    blocking = BlockingScheduler(
        timezone=PARIS,
        # One worker: passes run one after another, so a process never competes with itself.
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            # A pass waiting behind another still runs; the claims keep it from doubling work.
            "misfire_grace_time": 3600,
        },
    )
    blocking.add_job(
        _pass, args=[app, registry, "Catch-up", None], id="catch-up", name="catch-up pass"
    )
    for job in registry:
        blocking.add_job(
            _pass,
            CronTrigger(timezone=PARIS, **job.cadence.cron_fields()),
            args=[app, registry, job.name, [job.name]],
            id=f"job:{job.name}",
            name=job.name,
        )
    blocking.add_job(
        _pass,
        IntervalTrigger(hours=1, timezone=PARIS),
        args=[app, registry, "Retry", None],
        id="retry",
        name="retry pass",
    )
    return blocking


@scheduler.command("run")
def run_command() -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C."""
    _configure_logging()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    registry = load_jobs()
    blocking = build_scheduler(app, registry)

    def stop(signum: int, frame: FrameType | None) -> None:
        logger.info("Received %s: stopping once the current pass ends", signal.Signals(signum).name)
        if blocking.running:
            blocking.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    names = ", ".join(job.name for job in registry) or "none"
    logger.info("Scheduler starting with %d job(s): %s", len(registry.jobs), names)
    blocking.start()
    logger.info("Scheduler stopped")


# --- one-shot commands ---------------------------------------------------------------------


@_in_default_language
def _run_due_now() -> None:
    reports = run_due(load_jobs(), utcnow())
    if not reports:
        click.echo(_("Rien à faire : toutes les périodes sont à jour."))
    for report in reports:
        click.echo(_report_line(report))
    click.get_current_context().exit(_exit_code(reports))


@scheduler.command("run-due")
def run_due_command() -> None:
    """Run every period due now (catching up missed ones) once, then exit."""
    _run_due_now()


@scheduler.command("catch-up")
def catch_up_command() -> None:
    """Same as run-due."""
    _run_due_now()


def _last_runs() -> dict[str, JobRun]:
    """Each job's most recently started run, in one query."""
    ranked = select(
        JobRun.id,
        func.row_number()
        .over(
            partition_by=JobRun.job_name,
            order_by=(JobRun.started_at.desc(), JobRun.id.desc()),
        )
        .label("position"),
    ).subquery()
    runs = db.session.scalars(
        select(JobRun).join(ranked, ranked.c.id == JobRun.id).where(ranked.c.position == 1)
    )
    return {run.job_name: run for run in runs}


def _format_instant(instant: datetime | None) -> str:
    return to_paris(instant).strftime("%d/%m/%Y %H:%M") if instant else "—"


@scheduler.command("list")
@_in_default_language
def list_command() -> None:
    """List the registered jobs with their cadence and last run."""
    registry = load_jobs()
    if not registry.jobs:
        click.echo(_("Aucune tâche planifiée n'est enregistrée."))
        return
    last_runs = _last_runs()
    for job in registry:
        click.echo(f"{job.name} — {_cadence_label(job.cadence)}")
        if job.description:
            click.echo(f"    {job.description}")
        run = last_runs.get(job.name)
        if run is None:
            click.echo("    " + _("Dernière exécution : jamais"))
            continue
        click.echo(
            "    "
            + _(
                "Dernière exécution : période %(period)s, %(outcome)s (essai %(attempts)d), "
                "terminée le %(finished)s",
                period=run.period_key,
                outcome=_outcome_label(run.outcome),
                attempts=run.attempts,
                finished=_format_instant(run.finished_at),
            )
        )


@scheduler.command("run-job")
@click.argument("name")
@click.option("--period", "period_key", help="Period key: YYYY-MM-DD (daily) or YYYY-MM-DDTHH.")
@_in_default_language
def run_job_command(name: str, period_key: str | None) -> None:
    """Run one job now for the current period, or for --period, even if already done."""
    registry = load_jobs()
    if name not in registry:
        known = ", ".join(job.name for job in registry) or _("aucune")
        raise click.BadParameter(
            _("Tâche inconnue « %(name)s ». Tâches connues : %(known)s.", name=name, known=known),
            param_hint="NAME",
        )
    job = registry.get(name)
    now = utcnow()
    if period_key is None:
        period = job.cadence.period_of(now)
    else:
        try:
            period = job.cadence.period_for_key(period_key)
        except ValueError:
            example = (
                "2025-03-30"
                if isinstance(job.cadence, Daily)
                else "2025-03-30T14:05"
                if isinstance(job.cadence, Minutely)
                else "2025-03-30T14"
            )
            raise click.BadParameter(
                _(
                    "Période « %(key)s » invalide : exemple %(example)s.",
                    key=period_key,
                    example=example,
                ),
                param_hint="--period",
            ) from None
    report = run_period(job, period, now, force=True)
    click.echo(_report_line(report))
    click.get_current_context().exit(0 if report.outcome == RunOutcome.SUCCEEDED.value else 1)
