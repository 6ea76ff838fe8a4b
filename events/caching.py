"""What lets a list answer fast: a data version, list ETags and cached counts.

Every write adds to the change feed (events/changes.py), so the id of its last entry is a
version of the whole data set: when it has not moved, no list changed. A list's ETag is made of
that version and the request, so a conditional GET is answered 304 before any list query runs,
and a list's total count, the slowest query of a page, is computed once per version and cached.

Writes that bypass the models (a raw UPDATE in a database shell) do not move the version; the
counts and ETags they would change catch up with the next recorded write.
"""

import hashlib
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.http import parse_etags
from rest_framework.request import Request

from .models import Change

COUNT_TTL = 24 * 3600  # a new version makes new keys; old ones just expire


def data_version() -> int:
    """The id of the change feed's last entry (an index-only read)."""
    return Change.objects.order_by("-id").values_list("id", flat=True).first() or 0


def list_etag(request: Request, version: int) -> str:
    """A strong ETag for a read that depends only on the data version and the request."""
    key = f"{version}|{request.get_full_path()}|{request.accepted_media_type}"
    return f'"v{version}-{hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()}"'


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


class CachedCountPaginator(Paginator):
    """A Paginator whose total count comes from the cache, keyed by the count query and the
    data version (a fresh count whenever the data changes)."""

    version: int | None = None

    @cached_property
    def count(self) -> int:
        objects: Any = self.object_list
        if self.version is None or not isinstance(objects, QuerySet):
            return super().count
        try:
            query = str(objects.order_by().query)
        except EmptyResultSet:  # a queryset known to be empty (.none())
            return 0
        digest = hashlib.md5(query.encode(), usedforsecurity=False).hexdigest()
        key = f"count:{objects.db}:{self.version}:{digest}"
        count = cache.get(key)
        if count is None:
            count = objects.count()
            cache.set(key, count, COUNT_TTL)
        return int(count)
