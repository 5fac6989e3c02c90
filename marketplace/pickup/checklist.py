"""A checklist as the page and the API show it: heading, lines, counts and a version."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from marketplace.catalogue.quantities import format_quantity
from marketplace.db import utcnow
from marketplace.pickup.list_cache import cached, kept
from marketplace.pickup.roster import (
    DayCounts,
    HouseholdLine,
    basket_count_key,
    day_counts,
    extra_count_key,
)
from marketplace.pickup.sources import ChecklistSource, Heading


@dataclass
class Checklist:
    source: ChecklistSource
    subject: Any  # the source's: a distribution day, a stop of the van
    heading: Heading
    lines: list[HouseholdLine]
    counts: DayCounts
    closed: bool
    closed_message: str  # why it is closed ("" while open)
    version: str  # changes whenever a line's content or state changes
    # The source's `built_context` (the day's baskets of the week), covered by the version.
    context: dict[str, Any] = field(default_factory=dict)
    csrf_token: str = ""
    # When the server read it (µs since 1970): a phone shows the newest copy it holds.
    as_of_us: int = field(default_factory=lambda: server_instant_us())


@dataclass(frozen=True)
class _Built:
    """What a checklist holds that depends only on the version of its list (kept in cache)."""

    heading: Heading
    lines: list[HouseholdLine]
    counts: DayCounts
    closed_message: str
    version: str
    context: dict[str, Any]


_UNREAD = object()


def checklist_for(source: ChecklistSource, subject: Any, version: Any = _UNREAD) -> Checklist:
    """The list, built once per version of it: a source that reads its version cheaply
    (`cache_version`) is built only when that version is not kept yet (list_cache.py).
    `version`: the version the request has just read with the subject (`find_to_read`)."""
    if version is _UNREAD:
        version = source.cache_version(subject)
    if version is None:
        built = _build(source, subject)
    else:
        key = (source.segment, id_of(subject), str(get_locale()), version)
        built = cached(key, lambda: _build(source, subject))
    return Checklist(
        source=source,
        subject=subject,
        heading=built.heading,
        lines=built.lines,
        counts=built.counts,
        closed=bool(built.closed_message),
        closed_message=built.closed_message,
        version=built.version,
        context=built.context,
    )


def version_after_taps(source: ChecklistSource, subject: Any) -> str:
    """The list's version after a batch of taps, without building the list: the kept list's
    version when that version of the list is already built (what a GET answers now), else a
    token no built list's version equals ("~" and the read version's digest), so that the
    list is built once, by the next request that shows it, however many batches came first."""
    version = source.cache_version(subject)
    if version is None:
        return _build(source, subject).version
    found = kept((source.segment, id_of(subject), str(get_locale()), version))
    if found is not None:
        return found.version
    return "~" + hashlib.sha256(repr(version).encode()).hexdigest()[:15]


def _build(source: ChecklistSource, subject: Any) -> _Built:
    lines = source.lines(subject)
    closed_message = source.closed_reason(subject) or ""
    context = source.built_context(subject)
    return _Built(
        heading=source.heading(subject),
        lines=lines,
        counts=day_counts(lines),
        closed_message=closed_message,
        version=_version(lines, bool(closed_message), context),
        context=context,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def server_instant_us() -> int:
    """Now, in microseconds since 1970: what a phone compares to know which of its copies of
    a list (the page, the last answer it kept) is the newest."""
    return (utcnow() - _EPOCH) // timedelta(microseconds=1)


def _version(lines: list[HouseholdLine], closed: bool, context: dict[str, Any]) -> str:
    digest = hashlib.sha256(repr((closed, context)).encode())
    for line in lines:
        digest.update(
            repr(
                (
                    line.key,
                    line.name,
                    line.note,
                    _values(line.baskets),
                    _values(line.extras),
                    line.given_to,
                    line.household_name,
                )
            ).encode()
        )
    return digest.hexdigest()[:16]


def quantity_text(milli: int, unit: str) -> str:
    """format_quantity, remembered: a list of 500 households repeats the same few amounts."""
    return _quantity_text(milli, unit, str(get_locale()))


@lru_cache(maxsize=4096)
def _quantity_text(milli: int, unit: str, locale: str) -> str:
    return format_quantity(milli, unit)


ROWS_CACHE_BYTES = 16 * 1024 * 1024  # per worker; 500 households' rows are about 0.5 MB


class RowsCache:
    """Rendered rows by (list, version, language): an LRU bounded in bytes. The version is
    computed from the database on each request, so no process ever serves stale rows."""

    def __init__(self, max_bytes: int = ROWS_CACHE_BYTES) -> None:
        self._entries: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()
        self._max_bytes = max_bytes
        self.bytes = 0

    def get_or_render(self, key: tuple, render: Callable[[], str]) -> str:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        rendered = render()
        size = len(rendered)
        if size <= self._max_bytes:
            with self._lock:
                if key not in self._entries:
                    self._entries[key] = rendered
                    self.bytes += size
                while self.bytes > self._max_bytes:
                    self.bytes -= len(self._entries.popitem(last=False)[1])
        return rendered


def rendered_key(template: str, checklist: Checklist) -> tuple:
    """What a rendering of `template` for this list depends on: the list, its version and the
    language (kept rows, kept pages)."""
    return (
        template,
        checklist.source.segment,
        id_of(checklist.subject),
        checklist.version,
        str(get_locale()),
    )


def rows_html(checklist: Checklist, template: str, **context: Any) -> Markup:
    """The list's rows, rendered once per version of the list and language, then reused."""
    store = current_app.extensions.setdefault("pickup_checklist_rows", RowsCache())
    html = store.get_or_render(
        rendered_key(template, checklist),
        lambda: render_template(template, checklist=checklist, **context),
    )
    return Markup(html)  # noqa: S704 - rendered by our own autoescaping template


def rows_json(checklist: Checklist) -> Markup:
    """The lines as compact JSON for the page's script (safe inside a <script> element).

    {"labels": [[text, meta, count key], ...],
     "lines": [[key, name, meta, note, [[target, state, label index, quantity], ...]], ...]}
    `meta` is "pour <household>" on a delivery given to someone else, else ""."""
    labels: dict[tuple[str, str, str], int] = {}
    lines = []
    for line in checklist.lines:
        items = []
        for basket in line.baskets:
            label = (
                f"{basket.quantity} × {basket.size_name} — {basket.offer_name}",
                f"({basket.producer_name})",
                basket_count_key(basket),
            )
            index = labels.setdefault(label, len(labels))
            items.append([f"delivery:{basket.delivery_id}", basket.state, index, basket.quantity])
        for extra in line.extras:
            label = (
                f"{quantity_text(extra.quantity_milli, extra.unit)} {extra.product_name}",
                f"({extra.producer_name})" if extra.producer_name else "",
                extra_count_key(extra),
            )
            index = labels.setdefault(label, len(labels))
            items.append(
                [f"{extra.order_kind}:{extra.order_id}", extra.state, index, extra.quantity_milli]
            )
        if line.given_to:
            name, meta = line.given_to, _("pour %(household)s", household=line.household_name)
        else:
            name, meta = line.name, ""
        lines.append([line.key, name, meta, line.note, items])
    text = json.dumps(
        {"labels": [list(label) for label in labels], "lines": lines},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    for character, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(character, escaped)
    return Markup(text)  # noqa: S704 - JSON with every character HTML cares about escaped


def id_of(subject: Any) -> Any:
    return getattr(subject, "id", subject)


def _values(items: list) -> tuple:
    """Each item's fields as a plain tuple: their repr is the same whenever the items are,
    and far cheaper than a dataclass's."""
    return tuple(tuple(vars(item).values()) for item in items)
