"""The read path both baselines of `make bench` share: the service's SQL, written by hand.

Each handler takes a DB-API cursor (Django's `connection.cursor()` in baseline_django, a psycopg
cursor from a pool in baseline_wsgi.py), the request's absolute URL and its query string, and
returns the response body as plain data, built by the service's own builders (events/fast.py).
The queries are the ones the service runs for the same request (captured from it): the same
filters, the same count, the same page (OFFSET or keyset), the same ordering. The differences,
all on purpose:

- nothing is cached: every request counts its rows and computes its statistics again (the
  service caches counts and stats per data version, events/caching.py);
- no data version, ETag, throttle, CORS or security headers;
- a country or topic parameter is checked with one query of its own (the service loads the
  records through its FilterSet; for a topic, the whole topic table) and the codes go into the
  EXISTS directly, where the service's SQL wraps them in a subquery on the country table.

Only what `make bench`'s scenarios need is implemented: event lists (page numbers or cursor;
country, topic, date_from, date_to, q), an event's detail, tariff-measure lists (target_country)
and event stats by month. Anything else is a 400 or 404 with a short problem body.

The sort orders follow the service's models: run.sh reads them (Event._meta.ordering,
TariffMeasure._meta.ordering) and passes them as BENCH_EVENT_ORDERING and
BENCH_MEASURE_ORDERING ("-start_date,-slug", "-announced_on:nulls_last,-slug"); the defaults
here are the models' at the time of writing.
"""

# ruff: noqa: S608
# (SQL assembled from this module's constants, column names checked against SORTABLE, and %s
# placeholders; every value from a request goes in as a parameter. As events/fast.py.)

from __future__ import annotations

import datetime
import math
import os
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from django.core import signing

from events import fast

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
CURSOR_START = "start"
CONFIG = "english"

# Columns a sort may name (the env values are checked against these before going into SQL).
SORTABLE = frozenset({"start_date", "slug", "title", "updated_at", "announced_on", "effective_on"})


class Problem(Exception):
    """An error answer: status and detail."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"type": "about:blank", "status": self.status, "detail": self.detail}


class SortKey:
    """A column of a sort: its name, direction, and NULLs last (a nullable column)."""

    def __init__(self, spec: str) -> None:
        text, _, nulls = spec.strip().partition(":")
        self.column = text.lstrip("-")
        self.descending = text.startswith("-")
        self.nulls_last = nulls == "nulls_last"
        if self.column not in SORTABLE or nulls not in ("", "nulls_last"):
            raise RuntimeError(f"{spec!r} is not a sort key of the baseline")

    def sql(self, table: str) -> str:
        direction = "DESC" if self.descending else "ASC"
        return f'"{table}"."{self.column}" {direction}' + (" NULLS LAST" if self.nulls_last else "")


def _cursor_signer(ordering: Sequence[SortKey]) -> signing.Signer:
    """The service's cursor signature (events/pagination.py: HMAC-SHA256 with the secret key,
    the list order in the salt), made from the same DJANGO_SECRET_KEY without Django settings."""
    order = ",".join(("-" if key.descending else "") + key.column for key in ordering)
    return signing.Signer(
        key=os.environ["DJANGO_SECRET_KEY"],
        fallback_keys=[],
        salt=f"policyapi.cursor:{order}",
        sep=".",
    )


def _ordering(name: str, default: str) -> list[SortKey]:
    """The sort keys from "-start_date,-slug" (a key may end in ":nulls_last")."""
    return [SortKey(spec) for spec in (os.environ.get(name) or default).split(",")]


EVENT_ORDERING = _ordering("BENCH_EVENT_ORDERING", "-start_date,-slug")
MEASURE_ORDERING = _ordering("BENCH_MEASURE_ORDERING", "-announced_on:nulls_last,-slug")


def _order_by(table: str, ordering: list[SortKey]) -> str:
    return ", ".join(key.sql(table) for key in ordering)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


# --- request helpers ----------------------------------------------------------------------------


def parse_query(query: str, allowed: frozenset[str]) -> dict[str, list[str]]:
    """The query string's parameters; unknown or empty ones are a 400 (as in the service)."""
    params = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise Problem(400, f"Unknown query parameter(s): {', '.join(unknown)}.")
    for name, values in params.items():
        if any(not v.strip() for v in values):
            raise Problem(400, f"Empty value: {name}.")
    return params


def _values(params: dict[str, list[str]], name: str) -> list[str]:
    """A multi-valued parameter: repeated and comma-separated values."""
    return [part.strip() for value in params.get(name, []) for part in value.split(",")]


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None  # a QueryDict's [] gives the last value


def _positive(params: dict[str, list[str]], name: str, default: int, maximum: int | None) -> int:
    raw = _one(params, name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1 or (maximum and int(raw) > maximum):
        raise Problem(400, f"{name}: must be a whole number of at least 1, at most {maximum}.")
    return int(raw)


def _date(params: dict[str, list[str]], name: str) -> datetime.date | None:
    raw = _one(params, name)
    if raw is None:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise Problem(400, f"{name}: enter a valid date.") from None


# DRF's rest_framework.utils.urls, with the standard library only: the service builds its
# `next` and `previous` links with these, so the query comes out sorted by name.
def replace_query_param(url: str, key: str, val: Any) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict[key] = [str(val)]
    query = urlencode(sorted(query_dict.items()), doseq=True)
    return urlunsplit((scheme, netloc, path, query, fragment))


def remove_query_param(url: str, key: str) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict.pop(key, None)
    query = urlencode(sorted(query_dict.items()), doseq=True)
    return urlunsplit((scheme, netloc, path, query, fragment))


def links_for(url: str) -> fast.Links:
    """The API's base URL (`http://host/api/v1/`) from a request's absolute URL."""
    scheme, netloc, *_ = urlsplit(url)
    return fast.Links(f"{scheme}://{netloc}/api/v1/")


# --- filters ------------------------------------------------------------------------------------


class Where:
    """SQL conditions and their parameters, in order."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.conditions)}" if self.conditions else ""


def _countries(cursor: Any, codes: list[str], name: str) -> list[str]:
    """The codes, upper-cased, after checking that each names a country (400 if not)."""
    codes = [code.upper() for code in codes]
    cursor.execute(f"SELECT iso2 FROM events_country WHERE iso2 IN ({_marks(codes)})", codes)
    found = {row[0] for row in cursor.fetchall()}
    missing = [code for code in codes if code not in found]
    if missing:
        raise Problem(400, f"{name}: {missing[0]} is not a known country code.")
    return codes


def _topic_ids(cursor: Any, slugs: list[str]) -> list[int]:
    """The topics' ids and those of every topic below them (400 for an unknown slug)."""
    cursor.execute(
        "WITH RECURSIVE tree(id, root) AS ("
        f" SELECT id, slug FROM events_topic WHERE slug IN ({_marks(slugs)})"
        " UNION SELECT t.id, tree.root FROM events_topic t JOIN tree ON t.parent_id = tree.id"
        ") SELECT id, root FROM tree ORDER BY id",
        slugs,
    )
    rows = cursor.fetchall()
    found = {root for _, root in rows}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise Problem(400, f"topic: no record has {missing[0]} as its identifier.")
    return sorted({pk for pk, _ in rows})


def _overlaps_from(day: datetime.date) -> tuple[str, list[Any]]:
    """events/filters.py overlaps_from: a date known to the month or year covers all of it."""
    parts, params = [], []
    for precision, earliest in (
        ("day", day),
        ("month", day.replace(day=1)),
        ("year", day.replace(month=1, day=1)),
    ):
        parts.append(
            '("events_event"."date_precision" = %s AND ("events_event"."end_date" >= %s OR '
            '("events_event"."end_date" IS NULL AND "events_event"."start_date" >= %s)))'
        )
        params += [precision, earliest, earliest]
    return f"({' OR '.join(parts)})", params


SEARCH_EVENT = (
    "to_tsvector('english'::regconfig, COALESCE({t}.\"title\", '') || ' ' || "
    "COALESCE({t}.\"summary\", ''))"
)
SEARCH_STATEMENT = "to_tsvector('english'::regconfig, COALESCE(U0.\"text\", ''))"
QUERY = "websearch_to_tsquery('english'::regconfig, %s)"
RANKED = SEARCH_EVENT.format(t='"events_event"')


def event_filters(cursor: Any, params: dict[str, list[str]]) -> tuple[Where, str | None]:
    """The WHERE of an event list or stats, and the `q` text if any (it changes the order)."""
    where = Where()
    date_from = _date(params, "date_from")
    if date_from is not None:
        condition, values = _overlaps_from(date_from)
        where.add(condition, *values)
    date_to = _date(params, "date_to")
    if date_to is not None:
        where.add('"events_event"."start_date" <= %s', date_to)
    if "country" in params:
        codes = _countries(cursor, _values(params, "country"), "country")
        where.add(
            'EXISTS(SELECT 1 FROM "events_event_countries" V0 WHERE V0."country_id" IN '
            f'({_marks(codes)}) AND V0."event_id" = "events_event"."id")',
            *codes,
        )
    if "topic" in params:
        ids = _topic_ids(cursor, _values(params, "topic"))
        where.add(
            'EXISTS(SELECT 1 FROM "events_event_topics" U0 WHERE U0."event_id" = '
            f'"events_event"."id" AND U0."topic_id" IN ({_marks(ids)}))',
            *ids,
        )
    text = _one(params, "q")
    if text is not None:
        # The ids matching in the event's own columns or in its statements, each through its
        # GIN index (events/search.py).
        where.add(
            '"events_event"."id" IN ((SELECT U0."id" FROM "events_event" U0 WHERE '
            f"{SEARCH_EVENT.format(t='U0')} @@ ({QUERY})) UNION "
            f'(SELECT U0."event_id" FROM "events_statement" U0 WHERE {SEARCH_STATEMENT} @@ '
            f"({QUERY})))",
            text,
            text,
        )
    return where, text


# --- lists --------------------------------------------------------------------------------------


def _after(table: str, keys: list[SortKey], values: list[Any]) -> list[tuple[str, list[Any]]]:
    """events/pagination.py after(): the rows after a position, as conditions read in turn.

    A row comparison `(a, b) < (x, y)` when every key runs one way and none can be NULL (one
    range of the sort's index); else the first key's range, then the ties; NULLs last.
    """
    first, value = keys[0], values[0]
    column = f'"{table}"."{first.column}"'
    if value is None:
        ties, ties_params = _after_ties(table, keys[1:], values[1:])
        return [(f"({column} IS NULL AND {ties})", ties_params)]
    step = "<" if first.descending else ">"
    if len(keys) == 1:
        segments = [(f"{column} {step} %s", [value])]
    elif all(k.descending == first.descending and not k.nulls_last for k in keys[1:]):
        columns = ", ".join(f'"{table}"."{key.column}"' for key in keys)
        segments = [(f"({columns}) {step} ({_marks(values)})", list(values))]
    else:
        ties, ties_params = _after_ties(table, keys[1:], values[1:])
        segments = [
            (
                f"({column} {step}= %s AND ({column} {step} %s OR ({column} = %s AND {ties})))",
                [value, value, value, *ties_params],
            )
        ]
    if first.nulls_last:
        segments.append((f"{column} IS NULL", []))
    return segments


def _after_ties(table: str, keys: list[SortKey], values: list[Any]) -> tuple[str, list[Any]]:
    """Among rows equal on the earlier keys, those after `values` (NULLs last)."""
    parts: list[str] = []
    params: list[Any] = []
    equal: list[str] = []
    equal_params: list[Any] = []
    for key, value in zip(keys, values, strict=True):
        column = f'"{table}"."{key.column}"'
        if value is None:
            equal.append(f"{column} IS NULL")
            continue
        beyond = f"{column} {'<' if key.descending else '>'} %s"
        if key.nulls_last:
            beyond = f"({beyond} OR {column} IS NULL)"
        parts.append(f"({' AND '.join([*equal, beyond])})")
        params += [*equal_params, value]
        equal.append(f"{column} = %s")
        equal_params.append(value)
    return f"({' OR '.join(parts)})", params


# Columns of a list row computed in the same query (events.views.event_list_queryset()).
COMPUTED = {
    ("events_event", "cameo_label"): '(SELECT U0."label" FROM "events_cameocode" U0 WHERE '
    'U0."code" = "events_event"."cameo_code" LIMIT 1) AS "cameo_label"',
}


def _column(table: str, column: str) -> str:
    return COMPUTED.get((table, column), f'"{table}"."{column}"')


def _count(cursor: Any, table: str, where: Where) -> int:
    cursor.execute(f'SELECT COUNT(*) FROM "{table}"{where.sql()}', where.params)
    return int(cursor.fetchone()[0])


def _page(
    cursor: Any,
    url: str,
    params: dict[str, list[str]],
    table: str,
    columns: Sequence[str],
    where: Where,
    order_sql: str,
    order_params: list[Any],
    ordering: list[SortKey],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The page's rows (dicts of `columns`) and the envelope around them (count, next,
    previous), in page-number or cursor mode (events/pagination.py)."""
    page_size = _positive(params, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    count = _count(cursor, table, where)
    select = ", ".join(_column(table, c) for c in columns)

    token = _one(params, "cursor")
    if token is not None:
        if "page" in params:
            raise Problem(400, "cursor: use either `cursor` or `page`, not both.")
        segments: list[tuple[str, list[Any]]] = [("", [])]
        if token != CURSOR_START:
            try:
                unsigned = _cursor_signer(ordering).unsign(token)
                texts = fast.decode_cursor(unsigned, [key.column for key in ordering])
                values: list[Any] = [
                    datetime.date.fromisoformat(text)
                    if text is not None and key.column.endswith(("_date", "_on"))
                    else text
                    for key, text in zip(ordering, texts, strict=True)
                ]
            except (ValueError, signing.BadSignature) as error:
                raise Problem(400, f"cursor: not a cursor from a `next` link: {error}") from None
            segments = _after(table, ordering, values)
        rows: list[dict[str, Any]] = []
        for condition, condition_params in segments:  # one, or a second for NULLs
            keyset = Where()
            keyset.conditions, keyset.params = list(where.conditions), list(where.params)
            if condition:
                keyset.add(condition, *condition_params)
            cursor.execute(
                f'SELECT {select} FROM "{table}"{keyset.sql()} ORDER BY {order_sql} LIMIT %s',
                [*keyset.params, *order_params, page_size + 1 - len(rows)],
            )
            rows += fast.as_dicts(cursor, columns)
            if len(rows) > page_size:
                break
        page, next_link = rows[:page_size], None
        if len(rows) > page_size:
            last = page[-1]
            next_values = [last[key.column] for key in ordering]
            next_link = replace_query_param(
                remove_query_param(url, "page"),
                "cursor",
                _cursor_signer(ordering).sign(fast.encode_cursor(next_values)),
            )
        return {"count": count, "next": next_link, "previous": None}, page

    # Page numbers: django.core.paginator.Paginator's arithmetic, DRF's links.
    number = _positive(params, "page", 1, None)
    pages = math.ceil(max(1, count) / page_size)
    if number > pages:
        raise Problem(404, f"Page {number} does not exist.")
    cursor.execute(
        f'SELECT {select} FROM "{table}"{where.sql()} ORDER BY {order_sql} LIMIT %s OFFSET %s',
        [*where.params, *order_params, page_size, (number - 1) * page_size],
    )
    page = fast.as_dicts(cursor, columns)
    next_link = replace_query_param(url, "page", number + 1) if number < pages else None
    previous = None
    if number > 1:
        previous = (
            remove_query_param(url, "page")
            if number == 2
            else replace_query_param(url, "page", number - 1)
        )
    return {"count": count, "next": next_link, "previous": previous}, page


EVENT_LIST_PARAMETERS = frozenset(
    {"page", "page_size", "cursor", "country", "topic", "date_from", "date_to", "q"}
)


def events_list(cursor: Any, url: str, query: str) -> dict[str, Any]:
    """GET /api/v1/events/"""
    params = parse_query(query, EVENT_LIST_PARAMETERS)
    where, text = event_filters(cursor, params)
    order_sql = _order_by("events_event", EVENT_ORDERING)
    order_params: list[Any] = []
    if text is not None:
        if "cursor" in params:
            raise Problem(400, "cursor: not with `q` (its order is by relevance).")
        # Relevance first (ts_rank, normalization 1), then the list's own order.
        order_sql = f"ts_rank({RANKED}, {QUERY}, 1) DESC, {order_sql}"
        order_params = [text]
    envelope, rows = _page(
        cursor,
        url,
        params,
        "events_event",
        fast.EVENT_COLUMNS,
        where,
        order_sql,
        order_params,
        EVENT_ORDERING,
    )
    envelope["results"] = fast.event_rows(cursor, rows, links_for(url))
    return envelope


def event_detail(cursor: Any, url: str, query: str, slug: str) -> dict[str, Any]:
    """GET /api/v1/events/<slug>/"""
    parse_query(query, frozenset())
    data = fast.event_detail(cursor, slug, links_for(url))
    if data is None:
        raise Problem(404, f"No event has the slug {slug!r}.")
    return data


def tariff_measures_list(cursor: Any, url: str, query: str) -> dict[str, Any]:
    """GET /api/v1/tariff-measures/ (filter: target_country)"""
    params = parse_query(query, frozenset({"page", "page_size", "target_country"}))
    where = Where()
    if "target_country" in params:
        codes = _countries(cursor, _values(params, "target_country"), "target_country")
        # Measures on one of the countries, and measures on every country (no targets).
        where.add(
            '(EXISTS(SELECT 1 FROM "events_tariffmeasure_target_countries" V0 WHERE '
            'V0."tariffmeasure_id" = "events_tariffmeasure"."id" AND V0."country_id" IN '
            f"({_marks(codes)})) OR NOT EXISTS(SELECT 1 FROM "
            '"events_tariffmeasure_target_countries" U0 WHERE U0."tariffmeasure_id" = '
            '"events_tariffmeasure"."id"))',
            *codes,
        )
    envelope, rows = _page(
        cursor,
        url,
        params,
        "events_tariffmeasure",
        fast.MEASURE_COLUMNS,
        where,
        _order_by("events_tariffmeasure", MEASURE_ORDERING),
        [],
        MEASURE_ORDERING,
    )
    envelope["results"] = fast.measure_rows(cursor, rows, links_for(url))
    return envelope


# --- stats --------------------------------------------------------------------------------------


def events_stats(cursor: Any, url: str, query: str) -> list[dict[str, Any]]:
    """GET /api/v1/events/stats/?group_by=month (with any event filter but `q`)"""
    params = parse_query(query, frozenset({"group_by", "country", "topic", "date_from", "date_to"}))
    if _one(params, "group_by") != "month":
        raise Problem(400, "group_by: only `month` is implemented in the baseline.")
    where, _ = event_filters(cursor, params)
    extra = "".join(f" AND {condition}" for condition in where.conditions)
    # Events known only to the year count under the year; the others under their month.
    cursor.execute(
        'SELECT EXTRACT(YEAR FROM "events_event"."start_date") AS "year", '
        'COUNT("events_event"."id") AS "count" FROM "events_event" '
        f'WHERE "events_event"."date_precision" = \'year\'{extra} GROUP BY 1',
        where.params,
    )
    rows = [
        {"key": str(int(year)), "label": f"{int(year)} (month not known)", "count": count}
        for year, count in cursor.fetchall()
    ]
    cursor.execute(
        'SELECT DATE_TRUNC(\'month\', "events_event"."start_date") AS "month", '
        'COUNT("events_event"."id") AS "count" FROM "events_event" '
        f'WHERE NOT ("events_event"."date_precision" = \'year\'){extra} GROUP BY 1',
        where.params,
    )
    for month, count in cursor.fetchall():
        day = month.date() if isinstance(month, datetime.datetime) else month
        rows.append({"key": day.strftime("%Y-%m"), "label": day.strftime("%B %Y"), "count": count})
    return sorted(rows, key=lambda row: row["key"])


# --- routing ------------------------------------------------------------------------------------

DETAIL = re.compile(r"^/api/v1/events/(?P<slug>[-a-zA-Z0-9_]+)/$")


def route(cursor: Any, path: str, url: str, query: str) -> Any:
    """The body for a path (used by baseline_wsgi.py; baseline_django has its own URLconf)."""
    if path == "/api/v1/events/":
        return events_list(cursor, url, query)
    if path == "/api/v1/events/stats/":
        return events_stats(cursor, url, query)
    if path == "/api/v1/tariff-measures/":
        return tariff_measures_list(cursor, url, query)
    match = DETAIL.match(path)
    if match:
        return event_detail(cursor, url, query, match.group("slug"))
    raise Problem(404, f"Nothing is published at {path}.")
