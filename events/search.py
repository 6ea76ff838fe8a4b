"""Full-text search for `q`, on PostgreSQL and SQLite alike.

PostgreSQL: `to_tsvector('english', ...)` over the searched columns, matched with
`websearch_to_tsquery` (quotes, `or`, `-word`), served by the GIN expression indexes of
migration 0005 (the expressions here and there must stay identical for the indexes to be used),
and ranked with `ts_rank` unless the client asks for another order.

SQLite: every word of the query must occur, case-insensitively, in the searched columns. For
plain words this finds what PostgreSQL finds, without stemming ('tariffs' does not match
'tariff') or the web-search operators.
"""

import re
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import Exists, F, FloatField, Model, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast

CONFIG = "english"

# The columns `q` searches, per model. Migration 0005 indexes exactly these expressions.
EVENT_FIELDS = ("title", "summary")
STATEMENT_FIELDS = ("text",)
TARIFF_MEASURE_FIELDS = ("title", "product_scope", "legal_basis")
PARTICIPANT_FIELDS = ("name", "office", "description", "aliases")
TOPIC_FIELDS = ("name", "description")
COUNTRY_FIELDS = ("name", "iso2", "iso3")
SOURCE_FIELDS = ("title", "publisher")

# Columns that are not text and are searched through their text form.
_CAST_TO_TEXT = {"aliases"}


def _columns(fields: tuple[str, ...]) -> list[Any]:
    from django.db.models import TextField

    return [Cast(f, output_field=TextField()) if f in _CAST_TO_TEXT else f for f in fields]


def vector(fields: tuple[str, ...]) -> SearchVector:
    return SearchVector(*_columns(fields), config=CONFIG)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _sqlite_match(fields: tuple[str, ...], words: list[str]) -> Q:
    condition = Q()
    for word in words:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


def search(
    queryset: QuerySet[Any],
    text: str,
    fields: tuple[str, ...],
    *,
    related: tuple[type[Model], str, tuple[str, ...]] | None = None,
    ranked: bool = True,
) -> QuerySet[Any]:
    """Records matching `text` in `fields`, or in `related` records (model, FK to this, fields).

    With `ranked`, the queryset is ordered by relevance (the related match counts as a match,
    not toward the rank), then by its own ordering.
    """
    if connections[queryset.db].vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        queryset = queryset.annotate(_search=vector(fields))
        if related is None:
            queryset = queryset.filter(_search=query)
        else:
            # The ids matching in the record's own columns, and those of the records whose
            # related rows match, each found through its GIN index (an OR of the two in one
            # WHERE would make PostgreSQL scan the whole table).
            model, fk, related_fields = related
            own = queryset.model._default_manager.annotate(_search=vector(fields)).filter(
                _search=query
            )
            hits = model._default_manager.annotate(_search=vector(related_fields)).filter(
                _search=query
            )
            ids = own.order_by().values("pk").union(hits.order_by().values(fk))
            queryset = queryset.filter(pk__in=ids)
        if ranked:
            ordering = queryset.query.order_by or queryset.model._meta.ordering
            queryset = queryset.annotate(
                search_rank=SearchRank(F("_search"), query, normalization=Value(1))
            ).order_by("-search_rank", *ordering)
        return queryset

    words = _words(text)
    if not words:
        return queryset.none()
    matches: Any = _sqlite_match(fields, words)
    if related is not None:
        model, fk, related_fields = related
        hits = model._default_manager.filter(
            _sqlite_match(related_fields, words), **{fk: OuterRef("pk")}
        )
        matches |= Exists(hits)
    queryset = queryset.filter(matches)
    if ranked:
        # No relevance measure on SQLite: every match ranks the same, so the collection's own
        # order decides, and the ordering has the same shape as on PostgreSQL.
        ordering = queryset.query.order_by or queryset.model._meta.ordering
        queryset = queryset.annotate(search_rank=Value(0.0, output_field=FloatField())).order_by(
            "-search_rank", *ordering
        )
    return queryset
