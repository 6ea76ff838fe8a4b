"""What lets a read answer fast: a data version, list ETags, cached responses and counts.

Every write adds to the change feed (events/changes.py), so the id of its last entry is a
version of the whole data set: when it has not moved, no list changed. A list's ETag is made of
that version and the request, so a conditional GET is answered 304 before any list query runs;
a JSON read's rendered body is cached under the same key, so a repeated read costs the version
query; and a list's total count, the slowest query of a page, is computed once per version.

Writes that bypass the models (a raw UPDATE in a database shell) do not move the version; the
counts and ETags they would change catch up with the next recorded write.
"""

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils.functional import cached_property
from django.utils.http import parse_etags
from rest_framework.request import Request

from .models import Change, Country, Topic

COUNT_TTL = 24 * 3600  # a new version makes new keys; old ones just expire


def data_version() -> int:
    """The id of the change feed's last entry (an index-only read), by plain SQL: it runs on
    every read, and the ORM would compile the same query every time."""
    database = router.db_for_read(Change)
    with connections[database].cursor() as cursor:
        cursor.execute(VERSION_SQL)
        found = cursor.fetchone()
    return int(found[0]) if found else 0


VERSION_SQL = f"SELECT id FROM {Change._meta.db_table} ORDER BY id DESC LIMIT 1"  # noqa: S608

# The data version the current read answers at (set by `at_version` around it), and what
# this process has read of the small tables that filters check their values against, per
# version: a country or topic filter is validated without a query (those tables change rarely;
# a write of one moves the version).
_reading_at: ContextVar[int | None] = ContextVar("reading_at", default=None)
_per_version: dict[tuple[str, str, int], Any] = {}
COUNTRY_CODES_SQL = f"SELECT iso2 FROM {Country._meta.db_table}"  # noqa: S608
TOPICS_SQL = f"SELECT id, slug, parent_id FROM {Topic._meta.db_table}"  # noqa: S608


@contextlib.contextmanager
def at_version(version: int) -> Iterator[None]:
    """Within: a read answering at data version `version` (see `country_codes`)."""
    token = _reading_at.set(version)
    try:
        yield
    finally:
        _reading_at.reset(token)


def _read_once(model: type[Model], sql: str, build: Callable[[list[tuple[Any, ...]]], Any]) -> Any:
    """`build(rows of sql)` at the data version of the current read, one query per version and
    process; None outside a read that has read its version (`at_version`)."""
    version = _reading_at.get()
    if version is None:
        return None
    database = router.db_for_read(model)
    key = (database, sql, version)
    found = _per_version.get(key)
    if found is None:
        with connections[database].cursor() as cursor:
            cursor.execute(sql)
            found = build(cursor.fetchall())
        if len(_per_version) >= 16:
            _per_version.clear()  # older versions' values
        _per_version[key] = found
    return found


def country_codes() -> frozenset[str] | None:
    """Every country's code at the data version of the current read (see `_read_once`)."""
    return _read_once(Country, COUNTRY_CODES_SQL, lambda rows: frozenset(c for (c,) in rows))


class TopicTree:
    """Every topic's id by slug, and the ids below each one."""

    def __init__(self, rows: list[tuple[int, str, int | None]]) -> None:
        self.ids = {slug: pk for pk, slug, _ in rows}
        self.children: dict[int | None, list[int]] = {}
        for pk, _, parent in rows:
            self.children.setdefault(parent, []).append(pk)

    def with_descendants(self, ids: Iterable[int]) -> set[int]:
        found: set[int] = set()
        stack = list(ids)
        while stack:
            pk = stack.pop()
            if pk not in found:
                found.add(pk)
                stack.extend(self.children.get(pk, []))
        return found


def topic_tree() -> TopicTree | None:
    """The topics at the data version of the current read (see `_read_once`)."""
    return _read_once(Topic, TOPICS_SQL, TopicTree)


def digest(data: bytes) -> str:
    """A name for `data` that no client can make another input share: BLAKE2b, 128 bits.

    Cache keys and ETags are read by every client, and a client chooses much of what they are
    made of (its URL, its filter values): a hash with known collisions (MD5) would let one
    client's request be answered with another's body."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _request_digest(request: Request, version: int) -> str:
    # The absolute URL: bodies carry links built from the scheme and host. A JSON array keeps
    # the parts apart whatever characters they hold.
    parts = [version, request.build_absolute_uri(), request.accepted_media_type]
    return digest(json.dumps(parts).encode())


def list_etag(request: Request, version: int) -> str:
    """A strong ETag for a read that depends only on the data version and the request."""
    return f'"v{version}-{_request_digest(request, version)}"'


def cached_response(
    request: Request, version: int | Callable[[], int], answer: Callable[[], Any]
) -> Any:
    """The answer to a public JSON read, from the response cache when the data version has not
    moved since it was rendered (RESPONSE_CACHE_SECONDS; 0 turns the cache off). `version` may
    be the function that reads it (`data_version`): with the cache off it is not read.

    A read's body depends only on the data version and the request (reads are the same for
    everyone), so a popular page is rendered once per version. Only JSON is cached (the
    browsable API's HTML carries the user's name and a CSRF token), only 200s, and only bodies
    up to RESPONSE_CACHE_MAX_BYTES."""
    seconds = settings.RESPONSE_CACHE_SECONDS
    if not seconds or request.method != "GET" or request.accepted_renderer.format != "json":
        return answer()
    if callable(version):
        version = version()
    key = f"response:{version}:{_request_digest(request, version)}"
    hit = cache.get(key)
    if hit is not None:
        content, headers = hit
        response = HttpResponse(content, content_type=headers.pop("Content-Type"))
        for name, value in headers.items():
            response[name] = value
        return response
    response = answer()

    def store(rendered: Any) -> None:
        if (
            rendered.status_code == 200
            and len(rendered.content) <= settings.RESPONSE_CACHE_MAX_BYTES
        ):
            kept = {name: rendered[name] for name in CACHED_HEADERS if rendered.has_header(name)}
            cache.set(key, (rendered.content, kept), seconds)

    if response.status_code == 200:
        response.add_post_render_callback(store)
    return response


CACHED_HEADERS = ("Content-Type", "ETag")


def if_none_match(request: Request, etag: str) -> str | None:
    """What the request's If-None-Match says about `etag`: "match" when it names it (compared
    weakly: W/"x" matches "x"), "any" for `*`, else None.

    `*` matches any current representation, which only the answer can tell (a request with a
    bad parameter has none: it is a 400), whereas a named ETag was given out for this very
    request at this data version, so it matches before any query runs."""
    header = request.headers.get("If-None-Match")
    if not header:
        return None
    tags = parse_etags(header)
    if etag in tags or etag in [t.removeprefix("W/") for t in tags]:
        return "match"
    return "any" if "*" in tags else None


# Parameters that choose a page of a list or its form, not which rows it holds.
NOT_COUNTED = frozenset({"page", "page_size", "cursor", "ordering", "format"})
LOCAL_COUNTS_MAX = 10_000
_local_counts: dict[str, int] = {}


def clear() -> None:
    """Forget every cached response and count (and the throttle counts, which share the cache):
    the shared cache's and this process's. For tests, and after writes that bypass the models."""
    cache.clear()
    _local_counts.clear()
    _per_version.clear()


def count_key(request: Request, database: str, version: int) -> str:
    """The name of a list's total count: the path and the filter parameters as given, apart
    in a JSON array (no two filter sets share one), at this data version, on this database."""
    params = request.query_params
    filters = sorted((name, params.getlist(name)) for name in params if name not in NOT_COUNTED)
    name = digest(json.dumps([request.path, filters]).encode())
    return f"count:{database}:{version}:{name}"


class CachedCountPaginator(Paginator):
    """A Paginator whose total count is computed once per data version and filter set: kept in
    this process (a count at a version never changes, so no copy can be stale) and in the
    shared cache (Redis), asked only when this process has not seen it."""

    version: int | None = None
    request: Request | None = None

    @cached_property
    def count(self) -> int:
        objects: Any = self.object_list
        if self.version is None or self.request is None or not isinstance(objects, QuerySet):
            return super().count
        key = count_key(self.request, objects.db, self.version)
        count = _local_counts.get(key)
        if count is not None:
            return count
        count = cache.get(key)
        if count is None:
            try:
                count = objects.count()
            except EmptyResultSet:  # a queryset known to be empty (.none())
                count = 0
            cache.set(key, count, COUNT_TTL)
        if len(_local_counts) >= LOCAL_COUNTS_MAX:
            _local_counts.clear()  # older versions' counts mostly: start again
        _local_counts[key] = int(count)
        return int(count)
