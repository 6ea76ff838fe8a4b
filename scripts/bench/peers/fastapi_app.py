"""Peer "FastAPI" of `make bench`: FastAPI, SQLAlchemy 2 (Core) on psycopg 3, orjson.

A FastAPI application as one is commonly written: typed query parameters validated by FastAPI
(pydantic), plain `def` endpoints (run in FastAPI's thread pool), one SQLAlchemy Engine
(`postgresql+psycopg://`, its QueuePool, autocommit) whose connection runs peers/common.py's
SQL text (Connection.exec_driver_sql), and bodies written with orjson. Served by gunicorn
with 2 workers of uvicorn-worker's UvicornWorker (uvloop and httptools installed, so uvicorn
uses them). Nothing is imported from the service.

Settings: DATABASE_URL (postgres://...), DJANGO_SECRET_KEY (the cursors' signing key, as the
service's), DATABASE_POOL_MAX_SIZE (the engine's pool size).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from typing import Annotated, Any

import common
import orjson
from fastapi import FastAPI, Query, Request
from fastapi.responses import Response
from sqlalchemy import create_engine

SECRET = os.environ["DJANGO_SECRET_KEY"]
url = os.environ["DATABASE_URL"]
engine = create_engine(
    "postgresql+psycopg://" + url.split("://", 1)[1],
    pool_size=int(os.environ.get("DATABASE_POOL_MAX_SIZE", "20")),
    max_overflow=0,
    pool_pre_ping=False,
    isolation_level="AUTOCOMMIT",
    connect_args={"options": "-c jit=off -c TimeZone=UTC"},
)
app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

Many = Annotated[list[str], Query()]
Page = Annotated[int, Query(ge=1)]
PageSize = Annotated[int, Query(ge=1, le=common.MAX_PAGE_SIZE)]


def _json(data: Any, status: int = 200, media_type: str = "application/json") -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=media_type)


def _answer(request: Request, build: Any) -> Response:
    """Run `build(run, url, base)` on a pooled connection; a Problem becomes its status."""
    base = f"{request.url.scheme}://{request.url.netloc}/api/v1/"
    try:
        with engine.connect() as connection:

            def run(sql: str, params: Sequence[Any]) -> Sequence[Sequence[Any]]:
                return connection.exec_driver_sql(sql, tuple(params)).all()

            return _json(build(run, str(request.url), base))
    except common.Problem as problem:
        return _json(problem.body(), problem.status, "application/problem+json")


def _event_query(
    country: list[str],
    topic: list[str],
    event_type: list[str],
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    q: str | None,
    page: int = 1,
    page_size: int = common.DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> common.EventQuery:
    return common.EventQuery(
        country=common.split_values(country),
        topic=common.split_values(topic),
        event_type=common.split_values(event_type),
        date_from=date_from,
        date_to=date_to,
        q=q,
        page=page,
        page_size=page_size,
        cursor=cursor,
    )


@app.get("/api/v1/events/")
def events(
    request: Request,
    country: Many = [],  # noqa: B006 - FastAPI copies defaults
    topic: Many = [],  # noqa: B006
    event_type: Many = [],  # noqa: B006
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    q: str | None = None,
    page: Page = 1,
    page_size: PageSize = common.DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> Response:
    query = _event_query(country, topic, event_type, date_from, date_to, q, page, page_size, cursor)
    return _answer(
        request, lambda run, url, base: common.events_list(run, url, base, query, SECRET)
    )


@app.get("/api/v1/events/stats/")
def stats(
    request: Request,
    group_by: str,
    country: Many = [],  # noqa: B006
    topic: Many = [],  # noqa: B006
    event_type: Many = [],  # noqa: B006
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> Response:
    if group_by != "month":
        return _json(common.Problem(400, "group_by: only `month` is implemented here.").body(), 400)
    query = _event_query(country, topic, event_type, date_from, date_to, None)
    return _answer(request, lambda run, url, base: common.stats_by_month(run, query))


@app.get("/api/v1/events/{slug}/")
def event(request: Request, slug: str) -> Response:
    return _answer(request, lambda run, url, base: common.event_detail(run, base, slug))


@app.get("/api/v1/tariff-measures/")
def tariff_measures(
    request: Request,
    target_country: Many = [],  # noqa: B006
    page: Page = 1,
    page_size: PageSize = common.DEFAULT_PAGE_SIZE,
) -> Response:
    return _answer(
        request,
        lambda run, url, base: common.measures_list(
            run, url, base, target_country and common.split_values(target_country), page, page_size
        ),
    )
