"""Sort orders: unknown values (NULL) last in either direction, on every database.

PostgreSQL puts NULLs first in a descending sort and SQLite puts them first in an ascending one,
so a list sorted on a nullable column (a measure's `announced_on`, a statement's `stated_on`)
would differ between the two. Every order the API uses says where NULLs go instead, and the
cursor pager (events.pagination) reads the same keys back to resume after a row.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Model, OrderBy, QuerySet


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool
    nullable: bool
    path: str = ""  # where the database reads the column, when from a copy (LinkedColumn)


class LinkedColumn(F):
    """The model's column `column`, read from its copy at `path` (a lookup through a joined
    table): a filtered event list on PostgreSQL sorts on the copy (events.filters.via_link).

    sort_keys() reads it as `column`, so the cursor pager pages such a list as one sorted on
    the model's own column, while the database sorts (and reads a cursor's range) on the copy.
    Its name is the path: Django would otherwise sort on the selected column of that name."""

    def __init__(self, column: str, path: str) -> None:
        super().__init__(path)
        self.column = column

    def resolve_expression(
        self,
        query: Any = None,
        allow_joins: bool = True,
        reuse: Any = None,
        summarize: bool = False,
        for_save: bool = False,
    ) -> Any:
        # The copy is in the table the filter joined: reuse that join (None: any join), even
        # from a later filter() call (a cursor's range), which would otherwise join it again.
        return query.resolve_ref(self.name, allow_joins, None, summarize)


def order_expression(model: type[Model], key: str) -> OrderBy | str:
    """`key` ("-announced_on", "slug") as an order_by argument, NULLs last if it can be NULL."""
    name = key.lstrip("-")
    if not getattr(model._meta.get_field(name), "null", False):
        return key
    column = F(name)
    return column.desc(nulls_last=True) if key.startswith("-") else column.asc(nulls_last=True)


def sort_keys(queryset: QuerySet[Any]) -> list[SortKey] | None:
    """The columns `queryset` is sorted on, or None when it sorts on anything but model columns
    (an annotation such as a search rank)."""
    model = queryset.model
    columns = {field.name: field for field in model._meta.concrete_fields}
    keys = []
    for item in queryset.query.order_by or model._meta.ordering:
        path = ""
        if isinstance(item, str):
            name, descending = item.lstrip("-"), item.startswith("-")
        elif isinstance(item, OrderBy) and isinstance(item.expression, LinkedColumn):
            name, descending, path = item.expression.column, item.descending, item.expression.name
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            name, descending = item.expression.name, item.descending
        else:
            return None
        if name not in columns:
            return None
        keys.append(SortKey(name, descending, columns[name].null, path))
    return keys


def key_expression(model: type[Model], key: SortKey) -> OrderBy | str:
    """The order_by argument that sorts as `key` does (on the copy, if it reads one)."""
    if key.path:
        # No NULLS clause: the copy of a column that is never NULL is NULL only while its
        # row is not there, and the index serves the plain order both ways.
        column = LinkedColumn(key.name, key.path)
        return column.desc() if key.descending else column.asc()
    return order_expression(model, ("-" if key.descending else "") + key.name)
