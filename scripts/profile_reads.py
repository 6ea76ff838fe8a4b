"""Where a read's time goes on a cache miss: cProfile over varied requests, by layer.

Runs the service in this process (production settings: debug off, the request log, the
throttle in the cache, the response cache off unless --cache) against the database in
DATABASE_URL, sends REQUESTS requests cycling through distinct URLs of one scenario (pages,
countries, topics, events: values read from the data, so that no two consecutive requests are
the same), and prints each layer's share of the time: the self time of every profiled function,
grouped by the package or module it is in. Wall time per request is printed too (cProfile
slows Python code, not the database: the shares of Python layers are upper bounds).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db with synthetic events> \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python scripts/profile_reads.py \\
        --scenario list --requests 400

Scenarios: first (the first page), list (pages of varied page sizes), country (?country=XX
cycling countries), filtered (the bench's combined filter: a country, a topic with topics
below it and a date range, cycling), detail (/events/<slug>/ cycling events), tariff
(?target_country=XX), search (?q=<a place named in event titles>), vocabularies (a request
that reads one small table: the cost of any request). `--top N` prints the N functions with
the most self time as well; PROFILE_DUMP=<file> saves the profile (for `python -m pstats
<file>`: sort cumulative, restrict to events/).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Production settings, as `make serve` runs (the database and cache from the environment).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policyapi.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "profile-reads-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("THROTTLE_ANON_RATE", "1000000/s")

# (label, what a function's file path contains), first match wins: most specific first.
LAYERS = [
    ("database: driver and wait (psycopg)", ("/psycopg/", "/psycopg_pool/", "psycopg_binary")),
    ("database: Django's SQL compiler and ORM", ("/django/db/",)),
    ("cache and throttle: Redis client", ("/redis/", "/django_redis/")),
    ("cache and throttle: Django cache, DRF throttle", ("/django/core/cache/", "throttling")),
    ("request log and JSON logging", ("/logging/", "events/logs.py", "events/middleware.py")),
    ("filters: django-filter and forms", ("/django_filters/", "/django/forms/", "filters.py")),
    ("pagination and caching", ("pagination.py", "caching.py", "/django/core/paginator.py")),
    ("JSON encoding (renderer, orjson)", ("renderers.py", "orjson", "/json/")),
    ("row builders (events/fast.py, serializers)", ("fast.py", "/serializers/", "/fields.py")),
    ("DRF request, negotiation, views", ("/rest_framework/",)),
    (
        "Django middleware, request, response",
        (
            "/django/middleware/",
            "/django/http/",
            "/corsheaders/",
            "/whitenoise/",
            "/django/contrib/",
        ),
    ),
    ("Django URL resolving and handlers", ("/django/urls/", "/django/core/handlers/")),
    ("the service's views", ("events/views.py", "events/")),
    ("other Django", ("/django/",)),
]


def layer_of(filename: str) -> str:
    for label, needles in LAYERS:
        if any(needle in filename for needle in needles):
            return label
    if filename == "~":  # built-ins (socket reads, str methods, ...)
        return "built-ins (C functions)"
    return "other Python"


SCENARIOS = ["first", "list", "country", "filtered", "detail", "tariff", "search", "vocabularies"]


def write(line: str) -> None:
    sys.stdout.write(line + "\n")


def urls(scenario: str, count: int) -> list[str]:
    from events.models import Country, Event, Topic

    if scenario == "first":  # the first page (the response cache off: each one a miss)
        return ["/api/v1/events/"] * count
    if scenario == "list":
        sizes = (10, 25, 50, 100)
        return [
            f"/api/v1/events/?page={1 + i % 40}&page_size={sizes[i % len(sizes)]}"
            for i in range(count)
        ]
    if scenario == "country":
        codes = list(
            Country.objects.filter(events__isnull=False)
            .values_list("iso2", flat=True)
            .distinct()[:200]
        )
        return [f"/api/v1/events/?country={codes[i % len(codes)]}" for i in range(count)]
    if scenario == "filtered":  # the bench's combined filter: country + topic tree + dates
        codes = list(
            Country.objects.filter(events__isnull=False)
            .values_list("iso2", flat=True)
            .distinct()[:100]
        )
        roots = list(
            Topic.objects.filter(parent=None, children__isnull=False)
            .values_list("slug", flat=True)
            .distinct()
        )
        return [
            f"/api/v1/events/?country={codes[i % len(codes)]}&topic={roots[i % len(roots)]}"
            f"&date_from=2012-03-15&date_to=2019-10-{10 + i % 20}"
            for i in range(count)
        ]
    if scenario == "tariff":
        codes = list(Country.objects.values_list("iso2", flat=True)[:200])
        base = "/api/v1/tariff-measures/?target_country="
        return [f"{base}{codes[i % len(codes)]}" for i in range(count)]
    if scenario == "search":  # `q`: a place named in event titles ("... talks in Rivira 123")
        titles = Event.objects.filter(title__contains=" in ").order_by("?")[:count]
        places = [
            title.rsplit(" in ", 1)[1].split()[0]
            for title in titles.values_list("title", flat=True)
        ]
        return [f"/api/v1/events/?q={places[i % len(places)]}" for i in range(count)]
    if scenario == "vocabularies":  # a static answer: the cost of any API request
        return ["/api/v1/vocabularies/"] * count
    if scenario == "detail":
        slugs = list(Event.objects.order_by("?").values_list("slug", flat=True)[:count])
        return [f"/api/v1/events/{slugs[i % len(slugs)]}/" for i in range(count)]
    raise SystemExit(f"unknown scenario {scenario!r}")


def check(response: Any, path: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {response.content[:200]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="list", choices=SCENARIOS)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cache", action="store_true", help="keep the response cache on")
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--callers", help="print who calls the functions matching this name")
    args = parser.parse_args()
    if not args.cache:
        os.environ["RESPONSE_CACHE_SECONDS"] = "0"

    import django

    django.setup()
    import logging

    from django.test import Client

    logging.getLogger("policyapi.requests").handlers  # noqa: B018 - configured by settings
    client = Client()
    paths = urls(args.scenario, args.requests)
    state = "on" if args.cache else "off"
    write(f"scenario {args.scenario}: {len(paths)} requests, response cache {state}")
    for path in paths[:20]:  # warm: connections, caches of code, the planner
        check(client.get(path), path)

    # Unprofiled wall time, and the part of it spent in SQL (every query, from send to the
    # last row fetched into Python) and in the cache (Redis round trips).
    from django.core.cache import cache
    from django.db import connection

    spent = {"sql": 0.0, "queries": 0, "cache": 0.0, "cache_calls": 0}
    by_query: dict[str, list[float]] = {}

    def timed_sql(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - began
            spent["sql"] += took
            spent["queries"] += 1
            shape = " ".join(sql.split())[:110]
            by_query.setdefault(shape, []).append(took)

    cache_client = getattr(cache, "_cache", None)
    originals = {}
    for name in ("get", "set", "incr", "get_many", "add"):
        if hasattr(cache, name):
            originals[name] = getattr(cache, name)

            def wrapper(*a, _name=name, **k):  # type: ignore[no-untyped-def]
                began = time.perf_counter()
                try:
                    return originals[_name](*a, **k)
                finally:
                    spent["cache"] += time.perf_counter() - began
                    spent["cache_calls"] += 1

            setattr(cache, name, wrapper)
    del cache_client
    from events import throttling

    counter = throttling.count_request

    def timed_count(*a, **k):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return counter(*a, **k)
        finally:
            spent["cache"] += time.perf_counter() - began
            spent["cache_calls"] += 1

    throttling.count_request = timed_count
    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed_sql):
        for path in paths:
            client.get(path)
    plain = (time.perf_counter() - started) / len(paths)
    cpu = (time.process_time() - cpu_started) / len(paths)
    for name, original in originals.items():
        setattr(cache, name, original)
    throttling.count_request = counter
    sql_lines = [
        f"  SQL {sum(times) / len(paths) * 1000:6.2f} ms/request, {len(times)} x: {shape}"
        for shape, times in sorted(by_query.items(), key=lambda item: -sum(item[1]))
    ]
    n = len(paths)
    write(
        f"unprofiled: {plain * 1000:.2f} ms per request; in SQL {spent['sql'] / n * 1000:.2f} ms "
        f"({spent['queries'] / n:.1f} queries); in the cache {spent['cache'] / n * 1000:.2f} ms "
        f"({spent['cache_calls'] / n:.1f} calls); the rest (Python) "
        f"{(plain - (spent['sql'] + spent['cache']) / n) * 1000:.2f} ms; this process's CPU "
        f"{cpu * 1000:.2f} ms"
    )
    for line in sql_lines:
        write(line)

    profile = cProfile.Profile()
    profile.enable()
    for path in paths:
        check(client.get(path), path)
    profile.disable()

    stats = pstats.Stats(profile)
    if os.environ.get("PROFILE_DUMP"):
        stats.dump_stats(os.environ["PROFILE_DUMP"])
    by_layer: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_layer[layer_of(filename)] += tottime
        total += tottime
    write(f"profiled time per request: {total / len(paths) * 1000:.2f} ms, by layer (self time):")
    for label, seconds in sorted(by_layer.items(), key=lambda item: -item[1]):
        write(f"  {seconds / total * 100:5.1f}%  {seconds / len(paths) * 1000:6.2f} ms  {label}")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)
    if args.callers:
        stats.sort_stats("cumulative").print_callers(args.callers)


if __name__ == "__main__":
    main()
