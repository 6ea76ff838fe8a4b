"""Baseline (b) of `make bench`: a bare WSGI application, no framework at all.

A psycopg_pool ConnectionPool (sized like the service's: DATABASE_POOL_MIN_SIZE,
DATABASE_POOL_MAX_SIZE, DATABASE_POOL_TIMEOUT; autocommit, JIT off, UTC), the SQL and builders
of scripts/bench/baseline_sql.py (events/fast.py's), orjson. Served by gunicorn exactly like the
service: `gunicorn baseline_wsgi:application` with scripts/bench and the repository root on the
Python path (run.sh passes --pythonpath). psycopg's default cursor binds parameters on the
server (and prepares a statement it sees five times); Django's binds them on the client.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import baseline_sql
import orjson
from psycopg_pool import ConnectionPool

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

pool = ConnectionPool(
    os.environ["DATABASE_URL"],
    min_size=int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
    max_size=int(os.environ.get("DATABASE_POOL_MAX_SIZE", "20")),
    timeout=float(os.environ.get("DATABASE_POOL_TIMEOUT", "3")),
    kwargs={"autocommit": True, "options": "-c jit=off -c TimeZone=UTC"},
    open=True,
)


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    scheme = environ.get("wsgi.url_scheme", "http")
    url = f"{scheme}://{host}{path}?{query}" if query else f"{scheme}://{host}{path}"
    status, content_type = 200, "application/json"
    try:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            raise baseline_sql.Problem(405, "Only GET.")
        with pool.connection() as conn, conn.cursor() as cursor:
            data = baseline_sql.route(cursor, path, url, query)
    except baseline_sql.Problem as problem:
        status, content_type, data = problem.status, "application/problem+json", problem.body()
    body = orjson.dumps(data)
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]
