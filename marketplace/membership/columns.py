"""Columns of the members page that more specific domains provide (contracts held, shifts
done): membership sits below them in the layers, so they register here, once per process,
from the app factory (`blueprints.py`), like the calendar's followers."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class MemberColumn:
    key: str
    label: Callable[[], str]  # translated when the page is drawn
    # (group id, user ids or None for every household) → a number per user id (absent: 0),
    # in one query.
    counts: Callable[[int, Collection[int] | None], dict[int, int]]


_columns: dict[str, MemberColumn] = {}


def register(column: MemberColumn) -> None:
    """Add a column; registering the same key again replaces it (idempotent)."""
    _columns[column.key] = column


def registered() -> list[MemberColumn]:
    return list(_columns.values())
