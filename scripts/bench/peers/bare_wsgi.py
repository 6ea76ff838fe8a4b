"""Peer "bare psycopg" of `make bench`: a WSGI callable, psycopg 3 with psycopg_pool, orjson.

No framework: it parses the query string itself (urllib.parse.parse_qs), runs peers/common.py's
SQL on a pooled connection (autocommit, JIT off, UTC; psycopg binds parameters on the server
and prepares a statement it has run five times) and writes the body with orjson. Served by
gunicorn exactly as the service is (`gunicorn bare_wsgi:application`, gthread workers) with
scripts/bench/peers on the Python path. Nothing is imported from the service.

Settings: DATABASE_URL, DJANGO_SECRET_KEY (the cursors' signing key, as the service's),
DATABASE_POOL_MIN_SIZE / DATABASE_POOL_MAX_SIZE / DATABASE_POOL_TIMEOUT (as the service reads
them).
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

import common
import orjson
from psycopg_pool import ConnectionPool

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

SECRET = os.environ["DJANGO_SECRET_KEY"]
pool = ConnectionPool(
    os.environ["DATABASE_URL"],
    min_size=int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
    max_size=int(os.environ.get("DATABASE_POOL_MAX_SIZE", "20")),
    timeout=float(os.environ.get("DATABASE_POOL_TIMEOUT", "3")),
    kwargs={"autocommit": True, "options": "-c jit=off -c TimeZone=UTC"},
    open=True,
)
DETAIL = re.compile(r"^/api/v1/events/(?P<slug>[-a-zA-Z0-9_]+)/$")
EVENT_PARAMS = frozenset(
    {"page", "page_size", "cursor", "country", "topic", "event_type", "date_from", "date_to", "q"}
)


def _params(query: str, allowed: frozenset[str]) -> dict[str, list[str]]:
    params = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise common.Problem(400, f"Unknown query parameter(s): {', '.join(unknown)}.")
    return params


def _last(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _number(params: dict[str, list[str]], name: str, default: int, top: int | None) -> int:
    raw = _last(params, name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1 or (top and int(raw) > top):
        raise common.Problem(
            400, f"{name}: a whole number from 1" + (f" to {top}." if top else ".")
        )
    return int(raw)


def _date(params: dict[str, list[str]], name: str) -> datetime.date | None:
    raw = _last(params, name)
    if raw is None:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise common.Problem(400, f"{name}: not a date (YYYY-MM-DD).") from None


def event_query(params: dict[str, list[str]]) -> common.EventQuery:
    return common.EventQuery(
        country=common.split_values(params.get("country", [])),
        topic=common.split_values(params.get("topic", [])),
        event_type=common.split_values(params.get("event_type", [])),
        date_from=_date(params, "date_from"),
        date_to=_date(params, "date_to"),
        q=_last(params, "q"),
        page=_number(params, "page", 1, None),
        page_size=_number(params, "page_size", common.DEFAULT_PAGE_SIZE, common.MAX_PAGE_SIZE),
        cursor=_last(params, "cursor"),
    )


def route(run: common.Run, path: str, query: str, url: str, base: str) -> Any:
    if path == "/api/v1/events/":
        return common.events_list(run, url, base, event_query(_params(query, EVENT_PARAMS)), SECRET)
    if path == "/api/v1/events/stats/":
        params = _params(query, EVENT_PARAMS | {"group_by"})
        if _last(params, "group_by") != "month":
            raise common.Problem(400, "group_by: only `month` is implemented here.")
        return common.stats_by_month(run, event_query(params))
    if path == "/api/v1/tariff-measures/":
        params = _params(query, frozenset({"page", "page_size", "target_country"}))
        return common.measures_list(
            run,
            url,
            base,
            common.split_values(params.get("target_country", [])),
            _number(params, "page", 1, None),
            _number(params, "page_size", common.DEFAULT_PAGE_SIZE, common.MAX_PAGE_SIZE),
        )
    match = DETAIL.match(path)
    if match:
        _params(query, frozenset())
        return common.event_detail(run, base, match.group("slug"))
    raise common.Problem(404, "Not found.")


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    scheme = environ.get("wsgi.url_scheme", "http")
    url = f"{scheme}://{host}{path}" + (f"?{query}" if query else "")
    base = f"{scheme}://{host}/api/v1/"
    status, content_type = 200, "application/json"
    try:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            raise common.Problem(405, "Only GET.")
        with pool.connection() as conn, conn.cursor() as cursor:

            def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
                cursor.execute(sql, params)
                return cursor.fetchall()

            data = route(run, path, query, url, base)
    except common.Problem as problem:
        status, content_type, data = problem.status, "application/problem+json", problem.body()
    body = orjson.dumps(data)
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]
