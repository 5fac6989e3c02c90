"""Where a checklist's lines come from: its "source".

One page, one JSON API, one service worker and one sync algorithm (taps.py) serve every
checklist: a group's distribution day (day_source.py, here in pickup) and, registered by the
mobile grocery when the app starts, a stop of a van's run. A source knows its subject (the day,
the stop): how to find it, who may use it, whether it is closed, how to lock it while a batch of
taps is applied, its lines, its heading, which taps belong to it and what a tap changes.

Sources are registered per application (`register_source`, called from
marketplace/blueprints.py) and found by the URL segment that names them ("days", "stops").
This package never imports the ones above it: they register themselves through that call.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app

from marketplace.accounts.models import User
from marketplace.pickup.roster import HouseholdLine

_EXTENSION = "checklist_sources"


@dataclass(frozen=True)
class Heading:
    """What the top of the page says: which list, on which day, where, from when to when."""

    id: int
    day: date
    place: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Wording:
    """The source's own words for refusals (translated when the source is asked)."""

    not_found: str
    may_not_view: str
    may_not_tick: str
    not_listed: str


@dataclass(frozen=True)
class ListEntry:
    """A checklist the person may open, on the page of their lists (/distributions/)."""

    url: str
    day: date
    starts_at: datetime
    place: str
    owner: str  # the group, or the round and its grocery


@dataclass
class ListSection:
    title: str
    help: str
    entries: list[ListEntry] = field(default_factory=list)


class ChecklistSource(ABC):
    """A kind of checklist. Subjects are ORM objects (a DistributionDay, a RunStop)."""

    segment: str  # /api/pickup/<segment>/<id>/checklist ("days": /distributions/<id>/liste)
    tap_column: str  # the ChecklistTap column that names the subject
    target_kinds: frozenset[str]  # the TapTarget kinds its lines tick
    page_template: str = "pickup/checklist.html"

    @abstractmethod
    def find(self, subject_id: int) -> Any | None:
        """The subject, or None when there is no such thing."""

    @abstractmethod
    def may_use(self, user: User, subject: Any) -> bool:
        """Whether the person may see and tick this list."""

    def find_for(self, user: User, subject_id: int) -> tuple[Any | None, bool]:
        """The subject (None when there is no such thing) and whether the person may use its
        list: what every request of a list asks first, which a source may read at once."""
        subject = self.find(subject_id)
        return subject, subject is not None and self.may_use(user, subject)

    def find_to_read(self, user: User, subject_id: int) -> tuple[Any | None, bool, tuple | None]:
        """`find_for` and, when the person may use the list, its `cache_version`: what a
        request that shows the list reads first (a source may read the three at once)."""
        subject, allowed = self.find_for(user, subject_id)
        version = self.cache_version(subject) if subject is not None and allowed else None
        return subject, allowed, version

    @abstractmethod
    def wording(self) -> Wording: ...

    @abstractmethod
    def closed_reason(self, subject: Any) -> str | None:
        """Why the list can no longer change (read fresh from the database), or None."""

    @abstractmethod
    def lock(self, subject: Any) -> None:
        """Serialise the batches of taps of this list (a row lock, held until commit)."""

    @abstractmethod
    def lines(self, subject: Any) -> list[HouseholdLine]:
        """The lines, sorted by name, in a constant number of queries."""

    @abstractmethod
    def heading(self, subject: Any) -> Heading: ...

    @abstractmethod
    def listed_targets(
        self, subject: Any, wanted: dict[str, set[int]]
    ) -> dict[str, dict[int, Any]]:
        """Of the wanted targets (kind → ids), those on this list: kind → id → object."""

    @abstractmethod
    def write_state(self, kind: str, target: Any, action: str) -> None:
        """Bring a target to the pickup state its latest tap (an action) says."""

    @abstractmethod
    def write_note(self, kind: str, target: Any, note: str) -> None:
        """Keep a target's latest note where the source keeps notes (maybe only in taps)."""

    @abstractmethod
    def list_section(self, user: User, first: date, last: date) -> ListSection:
        """The person's lists of this kind between two days (one query)."""

    def cache_version(self, subject: Any) -> tuple | None:
        """What moves whenever a line, a count or the closing would change, read by one narrow
        query; None: the list is built on every request (never cached)."""
        return None

    def built_context(self, subject: Any) -> dict[str, Any]:
        """What the page shows beside the lines that `cache_version` covers (it moves whenever
        this would change): built and kept with the list, folded into its version."""
        return {}

    def page_context(self, subject: Any) -> dict[str, Any]:
        """What the source's page template needs besides the checklist."""
        return {}

    def page_context_key(self, context: dict[str, Any]) -> str | None:
        """A text that changes whenever `context` (page_context's) would change the page, so
        that the page is kept per version of the list (page_cache.py); None: the page is
        rendered on every request."""
        return None


def register_source(app: Flask, source: ChecklistSource) -> None:
    """Serve `source` (its pages and its API) in this application (registered again: replaced)."""
    app.extensions.setdefault(_EXTENSION, {})[source.segment] = source


def source_for(segment: str) -> ChecklistSource | None:
    return current_app.extensions.get(_EXTENSION, {}).get(segment)


def registered_sources() -> list[ChecklistSource]:
    """In the order they were registered (the distribution days first)."""
    return list(current_app.extensions.get(_EXTENSION, {}).values())
