"""gunicorn's settings (`gunicorn --config policyapi/gunicorn.py policyapi.wsgi`), from the
environment like the service's own. `make serve` uses them; so can any deployment.

Threads (gthread workers) serve the API well: a request mostly waits for PostgreSQL or Redis,
and a thread waiting costs far less than a process. One worker per core keeps every core busy.
"""

import ipaddress
import os
from typing import Any


def _count(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"gunicorn: {name}={raw!r} is not a whole number of at least 1.")
    return int(raw)


def _addresses(name: str) -> str:
    """Comma-separated IP addresses or networks (`10.0.0.0/8`), or `*`; none when unset (in
    gunicorn's form: one string)."""
    raw = os.environ.get(name) or ""
    values = [value.strip() for value in raw.split(",") if value.strip()]
    for value in values:
        if value != "*":
            try:
                ipaddress.ip_network(value)
            except ValueError:
                raise SystemExit(
                    f"gunicorn: {name}={raw!r}: {value!r} is not an IP address or network."
                ) from None
    return ",".join(values)


bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
# Rate limits are counted in the cache: in Redis when REDIS_URL is set, shared by every worker;
# without it, in each worker's memory, so that N workers would let a client through N times its
# rate (password guessing included). Without Redis, one worker process (its threads serve
# requests at once) unless WEB_CONCURRENCY asks for more, which is then said at start-up.
workers = _count("WEB_CONCURRENCY", (os.cpu_count() or 1) if os.environ.get("REDIS_URL") else 1)


def when_ready(server: Any) -> None:
    if workers > 1 and not os.environ.get("REDIS_URL"):
        server.log.warning(
            "WEB_CONCURRENCY=%d without REDIS_URL: each worker counts rate limits on its own, so "
            "a client gets %d times each rate (the login limit included); set REDIS_URL to "
            "share them",
            workers,
            workers,
        )


# gthread, answering what gunicorn refuses before Django (an over-long request line, malformed
# or too many headers) with problem+json instead of gunicorn's HTML page.
worker_class = "policyapi.gunicorn_worker.ProblemThreadWorker"
threads = _count("GUNICORN_THREADS", 4)
# A request still running after this many seconds is a bug (or a stuck database): the worker is
# restarted rather than left hanging.
timeout = _count("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
# What gunicorn reads before the application. The request line (method, path and query) may be
# 8190 bytes, the most gunicorn can bound (its default is 4094; 0 would read without limit). The
# longest events list a client is likely to ask for, every filter at its 100 values with the
# data's longest slugs and a 500-character q, is 8127 bytes comma-joined (11416 with repeated
# parameters); the schema allows more than any limit (README: Deployment, What never reaches
# Django). Headers keep gunicorn's defaults: 100 fields of up to 8190 bytes each (a token and a
# session cookie are well under 100 bytes).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Which peers are proxies whose X-Forwarded-Proto (the request's scheme, so every URL the API
# writes) gunicorn believes: none unless the operator names them. gunicorn's own default trusts
# 127.0.0.1, so any local process, or a proxy on the same host passing its clients' headers
# through, could turn every link into https.
forwarded_allow_ips = _addresses("FORWARDED_ALLOW_IPS")
# The service is always served at /: no proxy sets SCRIPT_NAME or PATH_INFO. gunicorn's default
# takes both from a trusted peer, and a SCRIPT_NAME the path does not start with was a 500
# ("The server is misconfigured"). Now such headers, with their underscore, are dropped from
# every peer (gunicorn's header_map "drop").
forwarder_headers = ""
keepalive = 5  # seconds; a load balancer in front keeps connections open for longer
# The application writes one JSON line per request (events/middleware.py); gunicorn's own access
# log would repeat it. Its error log (start-up, worker restarts, refused requests, an error in
# the middle of a streamed export) goes to stderr as JSON lines too, through the application's
# formatter (a traceback in its `traceback` field, not over many lines): every log record is one
# JSON line (README: Logs).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
logconfig_dict = {
    "formatters": {"json": {"()": "events.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    # Replaces gunicorn's defaults (plain text, the root logger on stdout); Django's LOGGING
    # configures its own loggers in each worker and leaves these alone.
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
# Nothing here uses gunicornc, and the control socket's default path is one per user: several
# servers on one machine (a test's, a load test's) would fight over it.
control_socket_disable = True
