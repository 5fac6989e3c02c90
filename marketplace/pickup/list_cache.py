"""A checklist's built list (heading, lines, counts, version), kept per version of the list.

The source reads a version of its list with one narrow aggregate query (`cache_version`): what
it depends on that moves whenever a line would change (the day's deliveries and orders, their
`updated_at`, the order lines, the taps, the closing, the week's baskets kept with the list).
A request that finds that version kept builds nothing. Names (a household, a product, a
pickup point, a contract) carry no version: an entry lives at most `MAX_AGE_SECONDS`, so a
renamed household shows within that time.

Kept in Redis when `REDIS_URL` is set (replicas share it; entries expire by themselves), else
in the worker's own LRU bounded in bytes. Either way the key holds the version read from the
database, so no process ever serves a list another one has changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app

from marketplace.redis_store import redis_client

MAX_BYTES = 16 * 1024 * 1024  # per worker; 1,000 households' list is about 0.4 MB pickled
MAX_AGE_SECONDS = 60
_EXTENSION = "pickup_checklist_lists"


class ListCache:
    """An LRU of built lists, bounded in bytes (their pickled size) and in age."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_age: float = MAX_AGE_SECONDS) -> None:
        self._entries: OrderedDict[Hashable, tuple[Any, int, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_bytes = max_bytes
        self._max_age = max_age
        self.bytes = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if time.monotonic() - found[2] > self._max_age:
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        if size > self._max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._remove(key)
            self._entries[key] = (value, size, time.monotonic())
            self.bytes += size
            while self.bytes > self._max_bytes:
                self._remove(next(iter(self._entries)))

    def _remove(self, key: Hashable) -> None:
        self.bytes -= self._entries.pop(key)[1]

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0


def local_cache() -> ListCache:
    found = current_app.extensions.get(_EXTENSION)
    if found is None:
        limit = current_app.config.get("CHECKLIST_CACHE_BYTES", MAX_BYTES)
        found = current_app.extensions.setdefault(_EXTENSION, ListCache(limit))
    return found


def _redis_name(key: tuple) -> str:
    return "checklist:" + hashlib.sha256(repr(key).encode()).hexdigest()


def kept(key: tuple) -> Any | None:
    """The value kept under `key`, or None: never builds anything."""
    client = redis_client()
    if client is None:
        return local_cache().get(key)
    from redis.exceptions import RedisError  # imported with the client it comes from

    try:
        found = client.get(_redis_name(key))
    except RedisError:
        return None
    return None if found is None else pickle.loads(found)  # noqa: S301 - ours only


def cached(key: tuple, build: Callable[[], Any]) -> Any:
    """The value kept under `key`, or `build()`'s, kept for the next request."""
    client = redis_client()
    if client is None:
        store = local_cache()
        found = store.get(key)
        if found is None:
            found = build()
            store.put(key, found, len(pickle.dumps(found, pickle.HIGHEST_PROTOCOL)))
        return found
    from redis.exceptions import RedisError  # imported with the client it comes from

    name = _redis_name(key)
    try:
        kept = client.get(name)
    except RedisError:
        kept = None
    if kept is not None:
        return pickle.loads(kept)  # noqa: S301 - written by this application only
    found = build()
    # Redis down: served without keeping it, the next request builds it again.
    with contextlib.suppress(RedisError):
        client.set(name, pickle.dumps(found, pickle.HIGHEST_PROTOCOL), ex=MAX_AGE_SECONDS)
    return found
