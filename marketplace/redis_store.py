"""The Redis that replicas share (`REDIS_URL`): one client per app, or None without it.

Replicas share only PostgreSQL and Redis: what several web processes must agree on between
requests (the rate limits, caches that must not go stale in one process while another
changed the data) lives there. Without `REDIS_URL` (development, most tests) nothing needs it,
and the client library (several MiB per worker) is not even imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from redis import Redis

# A web request waits at most this long for Redis before treating it as unavailable.
SOCKET_TIMEOUT_SECONDS = 1.0


def redis_client() -> Redis | None:
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        return None
    client = current_app.extensions.get("redis")
    if client is None:
        from redis import Redis

        client = Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            health_check_interval=30,
        )
        current_app.extensions["redis"] = client
    return client
