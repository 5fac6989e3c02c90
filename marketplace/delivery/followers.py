"""Domains that hang rows on distribution days and follow the calendar.

The calendar is more general than the season contracts (imports flow one way), so a more
specific domain registers here what it needs of the calendar: how far ahead a group's days
must exist (the end of its longest season, beyond the usual horizon), and what to do when a
group's coming days change (baskets added for a new day, moved or credited for a cancelled one).
Registration happens once per process, from the app factory (`blueprints.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class CalendarFollower:
    name: str
    # Group ids (None: every group) → the last day that must exist for each group.
    days_needed_until: Callable[[Collection[int] | None], dict[int, date]]
    # The groups whose coming days changed, and the present instant.
    days_changed: Callable[[Collection[int], datetime], object]


_followers: dict[str, CalendarFollower] = {}


def register(follower: CalendarFollower) -> None:
    """Add a follower; registering the same name again replaces it (idempotent)."""
    _followers[follower.name] = follower


def days_needed_until(group_ids: Collection[int] | None) -> dict[int, date]:
    """The furthest day any follower needs, per group (groups that need none are absent)."""
    furthest: dict[int, date] = {}
    for follower in _followers.values():
        for group_id, day in follower.days_needed_until(group_ids).items():
            if group_id not in furthest or day > furthest[group_id]:
                furthest[group_id] = day
    return furthest


def announce_changes(group_ids: Collection[int], now: datetime) -> None:
    """Tell every follower that these groups' coming days changed (in the same transaction)."""
    if not group_ids:
        return
    for follower in _followers.values():
        follower.days_changed(group_ids, now)
