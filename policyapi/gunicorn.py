"""gunicorn's settings (`gunicorn --config policyapi/gunicorn.py policyapi.wsgi`), from the
environment like the service's own. `make serve` uses them; so can any deployment.

Threads (gthread workers) serve the API well: a request mostly waits for PostgreSQL or Redis,
and a thread waiting costs far less than a process. One worker per core keeps every core busy.
"""

import os


def _count(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"gunicorn: {name}={raw!r} is not a whole number of at least 1.")
    return int(raw)


bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
workers = _count("WEB_CONCURRENCY", os.cpu_count() or 1)
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
keepalive = 5  # seconds; a load balancer in front keeps connections open for longer
# The application writes one JSON line per request (events/middleware.py); gunicorn's own access
# log would repeat it. Its error log (start-up, worker restarts) goes to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
# Nothing here uses gunicornc, and the control socket's default path is one per user: several
# servers on one machine (a test's, a load test's) would fight over it.
control_socket_disable = True
