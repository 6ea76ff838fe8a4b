"""The views of baseline (a): SQL by hand on Django's connection, bodies by events/fast.py
(through scripts/bench/baseline_sql.py, which baseline (b) shares), encoded with orjson."""

from collections.abc import Callable
from typing import Any

import baseline_sql
import orjson
from django.db import connection
from django.http import HttpRequest, HttpResponse


def _answer(request: HttpRequest, handler: Callable[..., Any], *args: Any) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            data = handler(
                cursor, request.build_absolute_uri(), request.META.get("QUERY_STRING", ""), *args
            )
    except baseline_sql.Problem as problem:
        return HttpResponse(
            orjson.dumps(problem.body()),
            status=problem.status,
            content_type="application/problem+json",
        )
    return HttpResponse(orjson.dumps(data), content_type="application/json")


def events(request: HttpRequest) -> HttpResponse:
    return _answer(request, baseline_sql.events_list)


def stats(request: HttpRequest) -> HttpResponse:
    return _answer(request, baseline_sql.events_stats)


def event(request: HttpRequest, slug: str) -> HttpResponse:
    return _answer(request, baseline_sql.event_detail, slug)


def tariff_measures(request: HttpRequest) -> HttpResponse:
    return _answer(request, baseline_sql.tariff_measures_list)
