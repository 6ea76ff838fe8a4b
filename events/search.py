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
from typing import Any, cast

from django.db import connections
from django.db.models import (
    BooleanField,
    Exists,
    Expression,
    F,
    FloatField,
    ForeignKey,
    Model,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
)
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


# The query and the vector, as the indexes of migration 0004 have them (Django's SearchVector
# and SearchQuery write the same SQL, with the configuration as a parameter; compiling them cost
# more Python per request than the search itself: written here once).
TSQUERY = f"websearch_to_tsquery('{CONFIG}'::regconfig, %s)"
BOOLEAN: "BooleanField[Any, Any]" = BooleanField()


def _column(field: str) -> Any:
    return Cast(field, output_field=TextField()) if field in _CAST_TO_TEXT else F(field)


def vector(columns: int | tuple[str, ...], quote: Any = None) -> str:
    """`to_tsvector` over the searched columns: `{}` for each of `columns` compiled columns, or
    the named columns themselves (unqualified, `quote`d)."""
    if isinstance(columns, int):
        names = ["{}"] * columns
    else:
        names = [
            f"({quote(name)})::text" if name in _CAST_TO_TEXT else quote(name) for name in columns
        ]
    joined = " || ' ' || ".join(f"COALESCE({name}, '')" for name in names)
    return f"to_tsvector('{CONFIG}'::regconfig, {joined})"


class SQL(Expression):
    """SQL with the compiled expressions `sources` in its `{}` (in order; no other braces),
    then `params` (bound, never pasted in)."""

    def __init__(
        self, template: str, sources: list[Any], params: list[Any], output_field: Any
    ) -> None:
        super().__init__(output_field=output_field)
        self.template, self.sources, self.params = template, sources, params

    def get_source_expressions(self) -> list[Any]:
        return self.sources

    def set_source_expressions(self, exprs: Any) -> None:
        self.sources = list(exprs)

    def resolve_expression(self, *args: Any, **kwargs: Any) -> "SQL":
        resolved = self.copy()
        resolved.sources = [source.resolve_expression(*args, **kwargs) for source in self.sources]
        return resolved

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        compiled = [compiler.compile(source) for source in self.sources]
        sql = self.template.format(*[part for part, _ in compiled])
        return sql, [p for _, params in compiled for p in params] + list(self.params)


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
        own = [_column(field) for field in fields]
        if related is None:
            condition = SQL(f"{vector(len(own))} @@ {TSQUERY}", own, [text], BOOLEAN)
        else:
            # The ids matching in the record's own columns, and those of the records whose
            # related rows match, each found through its GIN index (an OR of the two in one
            # WHERE would make PostgreSQL scan the whole table). The subqueries name their own
            # tables' columns, so the outer query's aliases do not matter.
            model, fk, related_fields = related
            quote = connections[queryset.db].ops.quote_name
            meta, theirs = queryset.model._meta, model._meta
            link = cast(ForeignKey, theirs.get_field(fk)).column
            # Identifiers from the models' metadata; the text is bound.
            ids = (
                f"SELECT {quote(meta.pk.column)} FROM {quote(meta.db_table)} "  # noqa: S608
                f"WHERE {vector(fields, quote)} @@ {TSQUERY} UNION "
                f"SELECT {quote(link)} FROM {quote(theirs.db_table)} "
                f"WHERE {vector(related_fields, quote)} @@ {TSQUERY}"
            )
            condition = SQL(f"{{}} IN ({ids})", [F("pk")], [text, text], BOOLEAN)
        queryset = queryset.filter(condition)
        if ranked:
            ordering = queryset.query.order_by or queryset.model._meta.ordering
            rank = SQL(f"ts_rank({vector(len(own))}, {TSQUERY}, 1)", own, [text], FloatField())
            queryset = queryset.annotate(search_rank=rank).order_by("-search_rank", *ordering)
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
