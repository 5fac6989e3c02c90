"""What bench/load.py checks and prints: readiness of the servers, the schedulers' catch-up
and their periods, the stock after the rush, the pages' figures and the final table."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from load_client import Recorder, summary

PUBLIC_HOST = "charge.example.org"
BURST_PAGE = "burst order (POST)"


def wait_ready(processes, servers: list[str], path: str, seconds: float = 90) -> None:
    import requests

    headers = {"X-Forwarded-Host": PUBLIC_HOST, "X-Forwarded-Proto": "https"}
    deadline = time.monotonic() + seconds
    waiting = list(servers)
    while waiting:
        if processes.dead():
            raise RuntimeError(f"stopped before being ready: {', '.join(processes.dead())}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} never answered 200 on {', '.join(waiting)}")
        try:
            if requests.get(waiting[0] + path, headers=headers, timeout=5).status_code == 200:
                waiting.pop(0)
                continue
        except requests.RequestException:
            pass
        time.sleep(0.3)


def job_runs_summary(app) -> tuple[int, int]:
    from sqlalchemy import func, select

    from marketplace.extensions import db
    from marketplace.scheduler.models import JobRun

    with app.app_context():
        total = db.session.scalar(select(func.count(JobRun.id)))
        running = db.session.scalar(
            select(func.count(JobRun.id)).where(JobRun.outcome == "running")
        )
        db.session.remove()
    return total, running


def wait_caught_up(app, processes, seconds: float = 240) -> int:
    """Until both schedulers' first (catch-up) pass is over: nothing running, no new row."""
    deadline = time.monotonic() + seconds
    previous, stable = -1, 0
    while time.monotonic() < deadline:
        if processes.dead():
            raise RuntimeError(f"stopped while catching up: {', '.join(processes.dead())}")
        total, running = job_runs_summary(app)
        stable = stable + 1 if (total == previous and running == 0 and total > 0) else 0
        if stable >= 3:
            return total
        previous = total
        time.sleep(1)
    raise RuntimeError("the schedulers never finished their catch-up pass")


def periods_due(cadence, since: datetime, until: datetime) -> list[str]:
    """Every period of the cadence falling due in (since, until] (each minute, for a job
    run every minute, where due_periods keeps the latest only)."""
    from marketplace.scheduler.registry import Minutely

    if not isinstance(cadence, Minutely):
        return [period.key for period in cadence.due_periods(since, until)]
    keys, minute = [], cadence.period_of(since).due_at
    while minute <= until:
        if since < minute:
            keys.append(cadence.period_of(minute).key)
        minute += timedelta(minutes=1)
    return keys


def scheduler_report(app, since: datetime, until: datetime) -> dict:
    """Each period due during the phases: ran once? And no period anywhere ran twice."""
    from sqlalchemy import func, select

    from marketplace.extensions import db
    from marketplace.jobs import load_jobs
    from marketplace.scheduler.models import JobRun

    due = {(job.name, key) for job in load_jobs() for key in periods_due(job.cadence, since, until)}
    deadline = time.monotonic() + 75
    while True:
        with app.app_context():
            rows = db.session.execute(
                select(JobRun.job_name, JobRun.period_key, JobRun.outcome, JobRun.worker)
            ).all()
            doubles = db.session.scalar(
                select(func.count()).select_from(
                    select(JobRun.job_name)
                    .group_by(JobRun.job_name, JobRun.period_key)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            db.session.remove()
        done = {(row.job_name, row.period_key): row for row in rows}
        missing = sorted(due - {key for key, row in done.items() if row.outcome != "running"})
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(2)
    ran = [done[key] for key in sorted(due) if key in done]
    return {
        "due": len(due),
        "ran": len(ran),
        "missing": missing,
        "doubles": doubles,
        "failed": [f"{row.job_name} {row.period_key}" for row in ran if row.outcome == "failed"],
        "workers": sorted({row.worker for row in rows}),
        "by_job": sorted({(row.job_name, row.period_key, row.worker) for row in ran}),
    }


def outbox_report(app) -> str:
    """How many emails the site queued, by status (sent at once or by the scheduler)."""
    from sqlalchemy import func, select

    from marketplace.extensions import db
    from marketplace.outbox.models import OutboxMessage

    with app.app_context():
        counts = db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
        db.session.remove()
    return ", ".join(f"{count} {status}" for status, count in sorted(counts)) or "none"


def stock_report(app, territory, recorder: Recorder) -> dict:
    from sqlalchemy import func, select

    from marketplace.catalogue.models import Availability
    from marketplace.extensions import db
    from marketplace.shop.models import Order, OrderLine

    with app.app_context():
        offer = db.session.get(Availability, territory.rush_availability_id)
        sold = db.session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity_milli), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.availability_id == territory.rush_availability_id,
                Order.status == "placed",
            )
        )
        figures = {
            "stock": offer.quantity_milli // 1000,
            "reserved": offer.reserved_milli // 1000,
            "sold": sold // 1000,
        }
        db.session.remove()
    orders = recorder.by_page().get(BURST_PAGE, [])
    figures["accepted"] = sum(sample.status == 302 for sample in orders)
    figures["refused"] = sum(sample.status == 422 for sample in orders)
    return figures


# --- The table --------------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, bool]] = []

    def add(self, figure: str, measured: str, floor: str, ok: bool) -> None:
        self.rows.append((figure, measured, floor, ok))

    def print(self) -> None:
        print(f"\n{'figure':<56} {'measured':>16} {'floor':>12}")
        for figure, measured, floor, ok in self.rows:
            print(f"{figure:<56} {measured:>16} {floor:>12}  {'ok' if ok else 'NOT OK'}")

    @property
    def ok(self) -> bool:
        return all(row[3] for row in self.rows)


def print_pages(title: str, recorder: Recorder) -> None:
    print(f"\n{title}")
    print(f"  {'page':<26} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7}")
    errors = recorder.errors()
    for page, samples in sorted(recorder.by_page().items()):
        figures = summary(samples)
        wrong = sum(sample in errors for sample in samples)
        print(
            f"  {page:<26} {figures['count']:>6} {figures['p50']:>8.0f} {figures['p95']:>8.0f}"
            f" {figures['max']:>8.0f} {wrong:>7}"
        )
    for sample in errors[:10]:
        print(f"  error: {sample.page} answered {sample.status or 'nothing'}")
    for note in recorder.notes[:5]:
        print(f"  note: {note}")


def final_table(
    args, login_failures, spread, unfinished, burst, stuck, drained, stock, schedulers, dead
) -> Table:
    """Every figure against its floor."""
    table = Table()
    table.add(
        "households logged in through the form",
        f"{args.households - login_failures}",
        f"{args.households}",
        login_failures == 0,
    )
    errors = spread.errors()
    table.add(
        "phase A: errors (5xx, no answer, unexpected 4xx)",
        str(len(errors)),
        "0",
        not errors and not unfinished,
    )
    for page, samples in sorted(spread.by_page().items()):
        p95 = summary(samples)["p95"]
        table.add(
            f"phase A: {page} p95",
            f"{p95:.0f} ms",
            f"≤ {args.page_p95_ms:.0f} ms",
            p95 <= args.page_p95_ms,
        )
    burst_errors = burst.errors()
    table.add(
        "phase B: errors (5xx, no answer)",
        str(len(burst_errors)),
        "0",
        not burst_errors and not stuck,
    )
    wanted = min(args.households, stock["stock"])
    table.add(
        f"phase B: units sold of {stock['stock']} (database)",
        str(stock["sold"]),
        f"= {wanted}",
        stock["sold"] == wanted,
    )
    table.add(
        "phase B: oversold",
        str(max(0, stock["sold"] - stock["stock"])),
        "0",
        stock["sold"] <= stock["stock"] and stock["reserved"] == stock["sold"],
    )
    table.add(
        "phase B: orders accepted / refused (302 / 422)",
        f"{stock['accepted']} / {stock['refused']}",
        f"{wanted} / {args.households - wanted}",
        stock["accepted"] == stock["sold"] == wanted,
    )
    orders = burst.by_page().get(BURST_PAGE, [])
    burst_p95 = summary(orders)["p95"] / 1000 if orders else float("inf")
    table.add(
        "phase B: p95 of the burst's orders",
        f"{burst_p95:.2f} s",
        f"≤ {args.burst_seconds:.1f} s",
        burst_p95 <= args.burst_seconds,
    )
    table.add(
        "phase B: the whole burst drained",
        f"{drained:.2f} s",
        f"≤ {args.burst_seconds:.1f} s",
        drained <= args.burst_seconds,
    )
    table.add(
        "schedulers: periods due that ran once",
        f"{schedulers['ran']}/{schedulers['due']}",
        "all",
        not schedulers["missing"] and not schedulers["failed"],
    )
    table.add(
        "schedulers: periods run twice", str(schedulers["doubles"]), "0", schedulers["doubles"] == 0
    )
    table.add("processes stopped during the run", str(len(dead)), "0", not dead)
    return table
