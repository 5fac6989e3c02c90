"""The season simulation's engine: the clock, the scheduler's registry, people, invariants.

Each simulated day, in order:
  01:00  coordinators change the calendar (a public holiday skipped, a day cancelled);
  10:30  the scheduler's real registry runs what is due (`run_due`): every daily job of the
         day (all due between 03:00 and 10:00) and the latest period of each hourly one;
  12:00  people act through the services: sign-ups (before the season, mid-season, from the
         waiting list), absences, gifts, cancellations, solidarity tiers, cheques and
         transfers, extras, availability, volunteer shifts, renewal;
  evening  each distribution: the volunteer ticks the checklist, then closes the day (except
         the one day nobody uses the checklist: the next morning's pass of the hourly job
         finds it);
  23:30  every invariant is checked; the first broken one stops the run with the day and
         the rows.

The clock is frozen (time-machine, tick=False) and moved to each of those instants; every
decision comes from one `random.Random(seed)`.
"""

from __future__ import annotations

import contextlib
import random
import time as wallclock
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import time_machine
from flask import Flask
from sqlalchemy import event, func, select

from marketplace.baskets.models import Delivery, Subscription
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.invoicing.sending import issue_missing
from marketplace.jobs import load_jobs
from marketplace.payments.models import LedgerEntry
from marketplace.scheduler.registry import Daily
from marketplace.scheduler.runner import run_due
from marketplace.timezones import paris_today, to_paris
from tests.simulation import actors, debits, invariants
from tests.simulation import chaos as chaos_module
from tests.simulation.territory import GroupRef, HouseholdRef, Territory, TerritorySpec, build
from tests.simulation.treasurer import treasurer

MAX_ROWS_SHOWN = 10


@contextlib.contextmanager
def _unsynced_sqlite():
    engine = db.engine
    if engine.dialect.name != "sqlite":
        yield
        return

    def unsynced(connection, _record):
        connection.execute("PRAGMA synchronous=OFF")

    event.listen(engine, "connect", unsynced)
    db.session.remove()
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, "connect", unsynced)
        db.session.remove()
        engine.dispose()


class BrokenInvariantError(AssertionError):
    pass


@dataclass
class Summary:
    days: int = 0
    households: int = 0
    subscriptions: int = 0
    deliveries: int = 0
    baskets: int = 0
    committed_cents: int = 0
    received_cents: int = 0
    checks: int = 0
    invariant_runs: int = 0
    seconds: float = 0.0
    actions: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)
    jobs: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    phases: Counter = field(default_factory=Counter)  # seconds spent per phase

    def text(self) -> str:
        euros = lambda cents: f"{cents / 100:,.2f} €".replace(",", " ").replace(".", ",")  # noqa: E731
        lines = [
            f"Saison simulée : {self.days} jours, {self.households} foyers, "
            f"{self.subscriptions} abonnements, {self.deliveries} livraisons "
            f"({self.baskets} paniers), {euros(self.committed_cents)} engagés, "
            f"{euros(self.received_cents)} encaissés, {self.checks} vérifications d'invariants "
            f"({self.invariant_runs} invariants × jour), {self.seconds:.1f} s",
            "  actions : " + ", ".join(f"{k} {v}" for k, v in sorted(self.actions.items())),
            "  refus : "
            + (", ".join(f"{k} {v}" for k, v in sorted(self.refusals.items())) or "aucun"),
            "  tâches planifiées : " + ", ".join(f"{k} {v}" for k, v in sorted(self.jobs.items())),
            "  durée par phase : "
            + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(self.phases.items())),
        ]
        lines += [f"  {note}" for note in self.notes]
        lines += [f"  ÉCHEC {failure}" for failure in self.failures.values()]
        return "\n".join(lines)


class Simulation:
    def __init__(
        self,
        app: Flask,
        spec: TerritorySpec,
        *,
        seed: int = 2026,
        start: datetime,
        cards: bool = True,
        extra_days: int = 7,
        keep_going: bool = False,
        payment_chaos: bool = False,
        log=None,
    ) -> None:
        """`keep_going`: record the first failure of each invariant and go on (a survey of
        what is broken, for reports); by default the first broken invariant stops the run."""
        self.app = app
        self.spec = spec
        self.seed = seed
        self.rng = random.Random(seed)
        self.start = start
        self.cards = cards
        self.extra_days = extra_days
        self.log = log or (lambda text: None)
        self.summary = Summary()
        self.stats = self.summary.actions
        self.notes = self.summary.notes
        self.registry = load_jobs()
        self.daily_jobs = sorted(
            job.name for job in self.registry if isinstance(job.cadence, Daily)
        )
        self.simulated_days: list[date] = []
        self.published: set = set()
        self.shifts: set = set()
        self.unticked_day_ids: set[int] = set()
        self.unticked_settled: set[int] = set()
        self.cheque_counter = 0
        self.keep_going = keep_going
        self.failures = self.summary.failures
        self.payment_chaos = payment_chaos
        self.chaos: chaos_module.PaymentChaos | None = None
        self.invariants = list(invariants.INVARIANTS)
        self._coordinates: time_machine.Coordinates | None = None
        self._last_instant: datetime | None = None
        self.debits = debits.DebitPlan()

    # --- The database ---------------------------------------------------------------------

    @staticmethod
    def unsynced_sqlite():
        """A context manager for SQLite: commits without fsync while the season runs (each
        simulated day commits a few hundred times); PostgreSQL is left as it is."""
        return _unsynced_sqlite()

    # --- The clock ------------------------------------------------------------------------------

    def at(self, instant: datetime) -> None:
        """Move the frozen clock forward to `instant` (never back: a start late in the
        evening simply runs the day's later events at once)."""
        if self._last_instant is None or instant > self._last_instant:
            self._last_instant = instant
            self._coordinates.move_to(instant)

    def now(self) -> datetime:
        return utcnow()

    def today(self) -> date:
        return paris_today()

    # --- Acting like a view -----------------------------------------------------------------------

    def act(self, name: str, service, *args, **kwargs):
        """Call a service and commit, or roll back on a DomainError (a refusal shown to the
        person): one commit per action, as a view does."""
        try:
            result = service(*args, **kwargs)
            db.session.commit()
        except DomainError:
            db.session.rollback()
            self.summary.refusals[name] += 1
            return None
        self.summary.actions[name] += 1
        return result

    def households_of(self, group: GroupRef) -> list[HouseholdRef]:
        return [h for h in self.territory.households if h.group_index == group.index]

    # --- Running ------------------------------------------------------------------------------

    def run(self) -> Summary:
        started = wallclock.perf_counter()
        traveller = time_machine.travel(self.start, tick=False)
        self._coordinates = traveller.start()
        try:
            with self._phase("installation"):
                self._setup()
            first = self.territory.first_day
            last = self.territory.season_ends_on + timedelta(days=self.extra_days)
            day_number, today = 0, first
            while today <= last:
                self._live(day_number, today)
                day_number += 1
                today += timedelta(days=1)
            if self.chaos is not None:  # Stripe read once more, after the last day
                self.chaos.final_check = True
                self.check(today - timedelta(days=1))
        finally:
            if self.chaos is not None:
                self.chaos.stop()
            traveller.stop()
            self.summary.seconds = wallclock.perf_counter() - started
            # The totals of the days lived, even when an invariant (or an error) stopped them.
            with contextlib.suppress(Exception):
                db.session.rollback()
                self._totals()
        return self.summary

    def _setup(self) -> None:
        self.territory: Territory = build(self.spec, self.rng, self.start, paris_today(self.start))
        self.household_by_user = {h.user_id: h for h in self.territory.households}
        self.group_by_id = {g.group_id: g for g in self.territory.groups}
        self.coordinator_of_group = {g.group_id: g.coordinator_id for g in self.territory.groups}
        self.producer_ids = sorted(
            {g.veg_producer_id for g in self.territory.groups}
            | {g.eggs_producer_id for g in self.territory.groups}
        )
        self.summary.households = len(self.territory.households)
        if self.payment_chaos:
            self.chaos = chaos_module.PaymentChaos(self)
            self.invariants = chaos_module.chaos_invariants(self.chaos)
        for household in self.territory.households:
            actors.save_payment_method(self, household)
        debits.set_up(self)
        self.notes.append(
            f"saison du {self.territory.season_starts_on} au {self.territory.season_ends_on}, "
            f"graine {self.seed}"
        )

    @contextlib.contextmanager
    def _phase(self, name: str):
        started = wallclock.perf_counter()
        try:
            yield
        finally:
            self.summary.phases[name] += wallclock.perf_counter() - started

    def _scheduler(self) -> bool:
        """One pass of the scheduler; False when its process was killed (payment chaos)."""
        with self._phase("planificateur"):
            try:
                for report in run_due(self.registry, self.now()):
                    self.summary.jobs[report.outcome] += 1
            except chaos_module.KilledProcess:
                db.session.rollback()  # the process died: what it had not committed is gone
                self.summary.jobs["killed"] += 1
                return False
            finally:
                db.session.expire_all()
        return True

    def _live(self, day_number: int, today: date) -> None:
        first_instant = self.start if day_number == 0 else actors.morning(today, 1)
        self.at(first_instant)
        actors.calendar_changes(self, day_number, today)

        self.at(max(first_instant, actors.morning(today, 10, 30)))
        if self.chaos is not None:
            self.chaos.before_scheduler(day_number)
            self.chaos.after_scheduler(day_number, killed=not self._scheduler())
        else:
            self._scheduler()
        self.simulated_days.append(today)

        self.at(max(first_instant, actors.morning(today, 12)) + timedelta(minutes=1))
        with self._phase("actions"):
            self._daytime(day_number, today)
            if self.chaos is not None:
                self.chaos.midday(day_number, today)
        if self.chaos is not None and self.chaos.wants_afternoon_pass(day_number):
            # Later that day the scheduler retries the failed run, or takes over the dead one.
            self.at(actors.morning(today, 16))
            self._scheduler()
            self.chaos.after_afternoon_pass()

        with self._phase("distributions"):
            self._evening(day_number, today)

        self.at(actors.morning(today, 23, 29))
        with self._phase("documents"):
            # The issuing job's next pass, brought forward so that the check below finds
            # every document due (without emailing: the 10:30 pass emails what it issues).
            issue_missing(today, self.now())
            db.session.commit()

        self.at(actors.morning(today, 23, 30))
        with self._phase("invariants"):
            self.check(today)
        if day_number % 7 == 0:
            self.log(
                f"jour {day_number} ({today}) : "
                + ", ".join(f"{k} {v:.0f} s" for k, v in sorted(self.summary.phases.items()))
            )

    def _daytime(self, day_number: int, today: date) -> None:
        actors.memberships(self, day_number)
        actors.gifts_to_fund(self, day_number)
        for household in self.territory.households:
            if household.signup_day == day_number:
                for key in household.wants:
                    actors.sign_up(self, household, key)
        actors.accept_offered_places(self)
        actors.renew_offers(self, day_number)
        actors.renewals(self)
        actors.tier_decisions(self)
        actors.absences_and_gifts(self, today)
        actors.cancellations(self, day_number)
        actors.cheques_and_transfers(self, today)
        treasurer(self, day_number, today)
        actors.publish_availability(self, today)
        actors.extras(self, today)
        actors.volunteer_shifts(self, today)
        actors.settle_unticked(self)
        debits.daily(self, today)

    def _evening(self, day_number: int, today: date) -> None:
        days = actors.todays_days(today)
        unticked_target = self.territory.spec.weeks * 7 // 2
        for day in days:
            group = self.group_by_id[day.group_id]
            if group.index == 0 and day_number >= unticked_target and not self.unticked_day_ids:
                # Nobody uses the checklist today (the paper sheet was used), nobody closes.
                self.unticked_day_ids.add(day.id)
                self.notes.append(f"distribution {day.id} du {day.day} : personne n'a coché")
                continue
            self.at(actors.evening_instant(day, 45))
            actors.tick_checklist(self, db.session.get(type(day), day.id))
            self.at(day.ends_at + timedelta(minutes=10))
            actors.close_day(self, db.session.get(type(day), day.id))

    # --- Invariants ---------------------------------------------------------------------------

    def check(self, today: date) -> None:
        ctx = invariants.CheckContext(
            now=self.now(),
            today=today,
            simulated_days=self.simulated_days,
            daily_jobs=self.daily_jobs,
            unticked_day_ids=self.unticked_day_ids,
            producer_ids=self.producer_ids,
        )
        for invariant in self.invariants:
            violations = invariant(ctx)
            self.summary.invariant_runs += 1
            if violations:
                self.summary.days = len(self.simulated_days)
                rows = "\n  ".join(violations[:MAX_ROWS_SHOWN])
                more = len(violations) - MAX_ROWS_SHOWN
                tail = f"\n  … and {more} more" if more > 0 else ""
                message = (
                    f"day {len(self.simulated_days)} ({today.isoformat()}, "
                    f"{to_paris(self.now()):%H:%M}): invariant {invariant.__name__} broken, "
                    f"{len(violations)} row(s):\n  {rows}{tail}"
                )
                if self.keep_going:
                    self.failures.setdefault(invariant.__name__, message)
                    continue
                raise BrokenInvariantError(message + "\n" + "\n".join(self.notes))
            self.summary.checks += self._subjects()
        db.session.rollback()

    def _subjects(self) -> int:
        """How many rows an invariant checked today (subscriptions: a cheap proxy)."""
        if not hasattr(self, "_subject_count_day") or self._subject_count_day != len(
            self.simulated_days
        ):
            self._subject_count_day = len(self.simulated_days)
            self._subject_count = max(
                1, db.session.scalar(select(func.count(Subscription.id))) or 0
            )
        return self._subject_count

    def slowest_jobs(self, count: int = 5) -> list[tuple[str, float]]:
        """Seconds each job spent over the season (its runs' recorded durations)."""
        from marketplace.scheduler.models import JobRun

        spent: Counter = Counter()
        for name, started, finished in db.session.execute(
            select(JobRun.job_name, JobRun.started_at, JobRun.finished_at)
        ):
            if finished is not None:
                spent[name] += (finished - started).total_seconds()
        return spent.most_common(count)

    def _totals(self) -> None:
        summary = self.summary
        summary.notes.append(debits.summary_note(self))
        summary.notes.append(
            "tâches les plus lentes : "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.slowest_jobs())
        )
        summary.days = len(self.simulated_days)
        summary.subscriptions = db.session.scalar(select(func.count(Subscription.id))) or 0
        summary.deliveries = db.session.scalar(select(func.count(Delivery.id))) or 0
        summary.baskets = (
            db.session.scalar(
                select(func.coalesce(func.sum(Delivery.quantity), 0)).where(
                    Delivery.state.in_(("collected", "given"))
                )
            )
            or 0
        )
        summary.committed_cents = -int(
            db.session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.kind == "commitment"
                )
            )
        )
        summary.received_cents = int(
            db.session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.kind == "payment"
                )
            )
        )
