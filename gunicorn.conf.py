"""The production web server: `gunicorn -c gunicorn.conf.py wsgi:app` (what `make serve` runs).

Every setting can be changed from the environment, so that a systemd unit or a container
only sets variables:

    BIND                 where to listen (default 127.0.0.1:$PORT, PORT default 8000); the
                         TLS proxy or the load balancer is in front
    WEB_CONCURRENCY      worker processes (default 2 × cores + 1, at most 8)
    GUNICORN_THREADS     threads per worker (default 4): a page waiting on PostgreSQL leaves
                         the process to another request
    GUNICORN_TIMEOUT     seconds before a silent worker is restarted (default 30)
    GUNICORN_MAX_REQUESTS  a worker is replaced after about this many requests (default 2000,
                         with jitter), so that its memory never drifts
    FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)
    LOG_FORMAT           "json" (default here) or "text"; LOG_LEVEL (default INFO)
    PROMETHEUS_MULTIPROC_DIR  where workers write their metrics (default: a fresh folder under
                         the temporary directory, emptied at start); /metrics adds them up

The web tier keeps nothing on local disk but those metric files: sessions are signed
cookies, the data lives in PostgreSQL, what replicas share between requests in Redis.
"""

import os
import tempfile

from marketplace.logs import logging_config

# Before the app (and prometheus-client) is imported in any worker: multiprocess metrics.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(tempfile.gettempdir(), f"marketplace-metrics-{os.getpid()}"),
)

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * (os.cpu_count() or 1) + 1, 8))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each worker builds its own app: no database connection is ever shared across a fork.
preload_app = False
proc_name = "marketplace-web"
# No control socket in $HOME: two servers on one host would share its path, and the web tier
# keeps nothing on local disk (stop and reload with signals, as systemd does).
control_socket_disable = True
accesslog = None  # the app writes one line per request, with its id (marketplace/logs.py)
logconfig_dict = logging_config(
    os.environ.get("LOG_FORMAT", "json"), os.environ.get("LOG_LEVEL", "INFO")
)


def on_starting(server):
    """A fresh metrics folder: figures of a previous run's workers must not be added."""
    os.makedirs(_metrics_dir, exist_ok=True)
    for name in os.listdir(_metrics_dir):
        if name.endswith(".db"):  # prometheus-client's files only, whatever else is there
            os.remove(os.path.join(_metrics_dir, name))


def child_exit(server, worker):
    """A worker that ended: its live figures (gauges) leave with it; its counts stay."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
