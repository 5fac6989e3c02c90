"""The checklist's sync service: taps made on phones, maybe offline, applied exactly once.

Each tap carries an id made by the phone (a UUID). It is stored once: a replay answers
"already applied" and changes nothing. A target's state is its latest tap by
(tapped_at, tap_id), recomputed from every stored tap after each batch, so two phones converge
to the same state whatever order their batches arrive in. Batches of one list are serialised by
a row lock (the source's `lock`), so the recomputation always sees every committed tap.

The same algorithm serves every checklist: the source (sources.py: a distribution day, a stop
of the van) says which targets are on its list and what a tap changes on them.

Services flush and never commit; the API view commits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.pickup.day_source import DAYS
from marketplace.pickup.models import ChecklistTap, TapAction
from marketplace.pickup.sources import ChecklistSource

NOTE_MAX = 300
TAP_ID_MAX = 64
DEVICE_ID_MAX = 64
# A phone whose clock runs fast must not win every later tap: its time is capped at arrival.
CLOCK_TOLERANCE = timedelta(minutes=5)

Listed = dict[str, dict[int, Any]]  # target kind → id → the target on the list


class TapStatus(enum.StrEnum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    REFUSED = "refused"


@dataclass(frozen=True)
class TapIn:
    tap_id: str
    target_kind: str  # TapTarget
    target_id: int
    action: str  # TapAction
    tapped_at: datetime  # the phone's clock, timezone-aware
    note: str = ""
    device_id: str = ""


@dataclass(frozen=True)
class TapResult:
    tap_id: str
    status: TapStatus
    message: str = ""


def apply_taps(
    subject: Any,
    user: User,
    taps: list[TapIn],
    now: datetime | None = None,
    source: ChecklistSource = DAYS,
) -> list[TapResult]:
    """Store each new tap once and bring its target's state up to date; one result per tap,
    in the order received. Refusals are per tap and never raise. `subject` is the source's
    (a distribution day unless told otherwise)."""
    now = now or utcnow()
    source.lock(subject)
    refusal = _whole_batch_refusal(source, subject, user)
    if refusal:
        return [TapResult(tap.tap_id, TapStatus.REFUSED, refusal) for tap in taps]

    known = _known_tap_ids([tap.tap_id for tap in taps])
    listed = source.listed_targets(subject, _wanted(source, taps))
    not_listed = source.wording().not_listed
    results: list[TapResult] = []
    touched: set[tuple[str, int]] = set()
    for tap in taps:
        if tap.tap_id in known:
            results.append(TapResult(tap.tap_id, TapStatus.ALREADY_APPLIED, _("Déjà enregistré.")))
            continue
        problem = _problem(tap, listed, not_listed)
        if problem:
            results.append(TapResult(tap.tap_id, TapStatus.REFUSED, problem))
            continue
        if not _store(source, subject, user, tap, now):
            results.append(TapResult(tap.tap_id, TapStatus.ALREADY_APPLIED, _("Déjà enregistré.")))
            continue
        known.add(tap.tap_id)
        touched.add((tap.target_kind, tap.target_id))
        results.append(TapResult(tap.tap_id, TapStatus.APPLIED))
    _recompute(source, subject, touched, listed)
    db.session.flush()
    return results


# --- Checks ------------------------------------------------------------------------------------


def _whole_batch_refusal(source: ChecklistSource, subject: Any, user: User) -> str | None:
    if not source.may_use(user, subject):
        return source.wording().may_not_tick
    return source.closed_reason(subject)


def _problem(tap: TapIn, listed: Listed, not_listed: str) -> str | None:
    if not tap.tap_id or len(tap.tap_id) > TAP_ID_MAX:
        return _("Identifiant de pointage invalide.")
    if tap.action not in TapAction._value2member_map_:
        return _("Action inconnue.")
    if tap.tapped_at.tzinfo is None:
        return _("L'heure du pointage doit préciser son fuseau horaire.")
    if len(tap.note) > NOTE_MAX or len(tap.device_id) > DEVICE_ID_MAX:
        return _("La note ne doit pas dépasser %(max)d caractères.", max=NOTE_MAX)
    if tap.target_id not in listed.get(tap.target_kind, {}):
        return not_listed
    return None


def _known_tap_ids(tap_ids: list[str]) -> set[str]:
    wanted = [tap_id for tap_id in tap_ids if tap_id and len(tap_id) <= TAP_ID_MAX]
    if not wanted:
        return set()
    return set(
        db.session.scalars(select(ChecklistTap.tap_id).where(ChecklistTap.tap_id.in_(wanted)))
    )


def _wanted(source: ChecklistSource, taps: list[TapIn]) -> dict[str, set[int]]:
    """The tapped targets of the kinds this list holds (others are refused as not listed)."""
    wanted: dict[str, set[int]] = {}
    for tap in taps:
        if tap.target_kind in source.target_kinds:
            wanted.setdefault(tap.target_kind, set()).add(tap.target_id)
    return wanted


# --- Changes -----------------------------------------------------------------------------------


def _store(source: ChecklistSource, subject: Any, user: User, tap: TapIn, now: datetime) -> bool:
    """Insert the tap; False when another request stored the same id first."""
    try:
        with db.session.begin_nested():
            db.session.add(
                ChecklistTap(
                    tap_id=tap.tap_id,
                    target_kind=tap.target_kind,
                    target_id=tap.target_id,
                    action=tap.action,
                    note=tap.note.strip() if tap.action == TapAction.NOTE else "",
                    device_id=tap.device_id,
                    tapped_at=min(tap.tapped_at, now + CLOCK_TOLERANCE),
                    received_at=now,
                    user_id=user.id,
                    **{source.tap_column: subject.id},
                )
            )
    except IntegrityError:
        return False
    return True


def _recompute(
    source: ChecklistSource, subject: Any, touched: set[tuple[str, int]], listed: Listed
) -> None:
    """Set each touched target to its latest tap (one query for all of them)."""
    if not touched:
        return
    latest_state: dict[tuple[str, int], str] = {}
    latest_note: dict[tuple[str, int], str] = {}
    rows = db.session.execute(
        select(
            ChecklistTap.target_kind, ChecklistTap.target_id, ChecklistTap.action, ChecklistTap.note
        )
        .where(
            getattr(ChecklistTap, source.tap_column) == subject.id,
            ChecklistTap.target_id.in_({target_id for _kind, target_id in touched}),
        )
        .order_by(ChecklistTap.tapped_at, ChecklistTap.tap_id)
    )
    for row in rows:
        target = (row.target_kind, row.target_id)
        if target not in touched:
            continue
        if row.action == TapAction.NOTE:
            latest_note[target] = row.note
        else:
            latest_state[target] = row.action

    for (kind, target_id), action in latest_state.items():
        source.write_state(kind, listed[kind][target_id], action)
    for (kind, target_id), note in latest_note.items():
        source.write_note(kind, listed[kind][target_id], note)
