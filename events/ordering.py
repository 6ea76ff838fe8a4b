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
        if isinstance(item, str):
            name, descending = item.lstrip("-"), item.startswith("-")
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            name, descending = item.expression.name, item.descending
        else:
            return None
        if name not in columns:
            return None
        keys.append(SortKey(name, descending, columns[name].null))
    return keys
