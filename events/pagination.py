"""Pagination: page numbers by default, and a cursor (keyset) mode for going deep.

Page numbers: DRF's own class silently clamps an oversized `page_size` and answers 404 "Invalid
page." for `page=0`; here a malformed or out-of-range `page` or `page_size` is a 400 naming the
parameter, and a page past the end is a 404 saying how many pages there are.

Cursors: `?cursor=start` returns the first page and a `next` link carrying a cursor, the list's
sort values at the page's last row; the next page starts after them (a WHERE on the sort
columns, served by the sort's index), so a page 10,000 rows deep costs what the first does,
where `page=401` makes the database step over 10,000 rows (page numbers stop there, at
MAX_PAGE_DEPTH). Forward only: `previous` is null.
DRF's CursorPagination keys on one field and the view's DRF ordering; this one keys on the
whole ordering the FilterSet chose (date, then slug), ties included.
"""

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.db.models import BooleanField, Expression, F, Field, Model, Q, QuerySet, Value
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from .caching import CachedCountPaginator
from .fast import decode_cursor, encode_cursor
from .ordering import LinkedColumn, SortKey, key_expression, sort_keys

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE_DEPTH = 10_000  # results reachable by page number; cursors go anywhere
CURSOR_START = "start"


def whole_number(raw: str, minimum: int, maximum: int | None) -> int | None:
    """`raw` as a whole number from `minimum` to `maximum`, or None when it is not one.

    ASCII digits only: str.isdigit() also accepts "²" (which int() refuses) and "١٢" (which it
    reads as 12), and a client's number is whatever a JSON or URL library writes: 0-9. At most
    18 digits, so any value fits a 64-bit integer column."""
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        return None
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        return None
    return value


def number_error(raw: str, minimum: int, maximum: int | None) -> str:
    limit = f" and at most {maximum}" if maximum is not None else " (at most 18 digits)"
    return f"Must be a whole number (digits 0-9) of at least {minimum}{limit}; got {raw!r}."


CURSOR_SALT = "policyapi.cursor"


def cursor_signer(keys: Sequence[SortKey]) -> signing.Signer:
    """Signs a cursor for one list order (its sort keys and directions are in the salt), so a
    `next` link's cursor is the only one accepted, and only on a list in the same order: a
    client cannot hand the database a value it chose (a NUL, an offset out of range, a number
    that overflows), and an edited cursor is a 400, not a query that may fail."""
    order = ",".join(("-" if key.descending else "") + key.name for key in keys)
    return signing.Signer(salt=f"{CURSOR_SALT}:{order}", sep=".")


def _positive_int(request: Request, name: str, default: int, maximum: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = whole_number(raw, 1, maximum)
    if value is None:
        raise ValidationError({name: [number_error(raw, 1, maximum)]})
    return value


class RowAfter(Expression):
    """`(a, b) > (x, y)` (or `<`): the rows after a position in a sort on a, then b, both in one
    direction. Unlike the same test spelled with OR, a database reads it as one range of an
    index on (a, b): PostgreSQL as an index condition, SQLite (3.15+) likewise."""

    output_field = BooleanField()

    def __init__(self, keys: list[SortKey], values: list[Any], fields: list[Field]) -> None:
        super().__init__()
        self.descending = keys[0].descending
        # A sort on a copy of the columns (events.ordering.LinkedColumn) reads its range there.
        self.columns: list[Any] = [
            LinkedColumn(key.name, key.path) if key.path else F(key.name) for key in keys
        ]
        self.values: list[Any] = [
            Value(value, output_field=field) for value, field in zip(values, fields, strict=True)
        ]

    def get_source_expressions(self) -> list[Any]:
        return [*self.columns, *self.values]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        half = len(exprs) // 2
        self.columns, self.values = list(exprs[:half]), list(exprs[half:])

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sides = []
        params: list[Any] = []
        for side in (self.columns, self.values):
            parts = [compiler.compile(expression) for expression in side]
            sides.append(", ".join(sql for sql, _ in parts))
            params += [param for _, part_params in parts for param in part_params]
        return f"({sides[0]}) {'<' if self.descending else '>'} ({sides[1]})", params


def after(keys: list[SortKey], values: list[Any], fields: list[Field]) -> list[Q | RowAfter]:
    """The rows after the row with `values` under `keys` (NULLs last either way), as conditions
    to read in turn: rows NULL on the first key come after all the others, and one condition
    covering both could not be read as one range of the sort's index."""
    first, value = keys[0], values[0]
    if value is None:
        return [Q(**{f"{first.name}__isnull": True}) & _after_ties(keys[1:], values[1:])]
    if len(keys) == 1:
        segments: list[Q | RowAfter] = [Q(**{f"{first.name}__{_step(first)}": value})]
    elif all(k.descending == first.descending and not k.nullable for k in keys[1:]):
        segments = [RowAfter(keys, values, fields)]
    else:  # keys in mixed directions, or NULLs among the later ones
        step = _step(first)
        segments = [
            Q(**{f"{first.name}__{step}e": value})  # the index range; the rest is filtered
            & (
                Q(**{f"{first.name}__{step}": value})
                | Q(**{first.name: value}) & _after_ties(keys[1:], values[1:])
            )
        ]
    if first.nullable:
        segments.append(Q(**{f"{first.name}__isnull": True}))
    return segments


def _step(key: SortKey) -> str:
    return "lt" if key.descending else "gt"


def _after_ties(keys: list[SortKey], values: list[Any]) -> Q:
    """Among rows equal on the earlier keys, those after `values` under `keys` (NULLs last).
    The last key is unique and never NULL, so the condition is never empty."""
    condition = Q()
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        if value is None:
            # Only rows NULL here too can follow; the later keys decide which.
            equal &= Q(**{f"{key.name}__isnull": True})
            continue
        beyond = Q(**{f"{key.name}__{_step(key)}": value})
        if key.nullable:
            beyond |= Q(**{f"{key.name}__isnull": True})
        condition |= equal & beyond
        equal &= Q(**{key.name: value})
    return condition


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = CachedCountPaginator
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_query_description = (
        f"The page to return, from 1. Page numbers reach the first {MAX_PAGE_DEPTH:,} "
        "results; `cursor` goes further."
    )
    page_size_query_description = (
        f"Results per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
    )
    cursor_query_param: str | None = "cursor"  # None: page numbers only

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self.request = request
        self.cursor: str | None = None
        self.cursor_keys: list[SortKey] = []
        page_size = _positive_int(
            request, self.page_size_query_param, self.page_size, MAX_PAGE_SIZE
        )
        paginator = self.django_paginator_class(queryset, page_size)
        paginator.version = getattr(view, "data_version", None)
        paginator.request = request
        if self.cursor_query_param and self.cursor_query_param in request.query_params:
            return self.paginate_by_cursor(
                queryset, request, view, paginator, page_size, self.cursor_query_param
            )
        number = _positive_int(request, self.page_query_param, 1, None)
        start = (number - 1) * page_size
        if self.cursor_query_param and start >= MAX_PAGE_DEPTH:
            # The database steps over every row before an offset: page 20,000 of a million
            # events takes seconds where a cursor page takes milliseconds.
            raise ValidationError(
                {
                    self.page_query_param: [
                        f"Page numbers reach the first {MAX_PAGE_DEPTH:,} results; page {number} "
                        f"of {page_size} would start at result {start + 1:,}. Go deeper with "
                        f"`{self.cursor_query_param}=start`, then each `next` link."
                    ]
                }
            )
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            pages = paginator.num_pages
            raise NotFound(
                f"Page {number} does not exist: there {'is' if pages == 1 else 'are'} "
                f"{pages} page{'' if pages == 1 else 's'} of {page_size} results."
            ) from None
        return list(self.page)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        if not self.cursor_query_param:
            return super().get_schema_operation_parameters(view)
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Cursor paging: `start` for the first page, then the cursor of "
                "the `next` link. A page deep in the list costs what the first does. Not with "
                "`page`, nor with `q` unless `ordering` is given.",
                "schema": {"type": "string"},
            },
        ]

    def get_paginated_response(self, data: Any) -> Response:
        if self.cursor is None:
            return super().get_paginated_response(data)
        return Response(
            OrderedDict(
                [
                    ("count", self.cursor_paginator.count),
                    ("next", self.cursor_next_link()),
                    ("previous", None),
                    ("results", data),
                ]
            )
        )

    # --- cursor mode ------------------------------------------------------------------------

    def paginate_by_cursor(
        self,
        queryset: QuerySet[Any],
        request: Request,
        view: APIView | None,
        paginator: CachedCountPaginator,
        page_size: int,
        name: str,
    ) -> list[Any]:
        if self.page_query_param in request.query_params:
            raise ValidationError({name: [f"Use either `{name}` or `page`, not both."]})
        keys = sort_keys(queryset)
        _check_sortable(queryset.model, keys, name, view)
        assert keys is not None  # noqa: S101 - _check_sortable raised otherwise
        self.cursor_keys = list(keys)
        queryset = queryset.order_by(*[key_expression(queryset.model, k) for k in keys])
        raw = request.query_params[name]
        self.cursor = raw
        self.cursor_paginator = paginator  # the whole list's (cached) count
        if raw != CURSOR_START:
            fields = [queryset.model._meta.get_field(key.name) for key in keys]
            try:
                texts = decode_cursor(cursor_signer(keys).unsign(raw), [k.name for k in keys])
                values = [
                    None if text is None else field.to_python(text)
                    for field, text in zip(fields, texts, strict=True)
                ]
            except (ValueError, UnicodeError, signing.BadSignature, DjangoValidationError):
                # A signed cursor was made by a `next` link of this list order, so anything
                # else is a client's edit: no need to say (or echo) what is wrong inside.
                raise ValidationError(
                    {
                        name: [
                            "Not a cursor from a `next` link of a list in this order: give "
                            "`start`, then each `next` link as it is."
                        ]
                    }
                ) from None
            segments = after(keys, values, fields)
        else:
            segments = [Q()]
        rows: list[Any] = []
        for segment in segments:  # usually one; a second for the rows NULL on the first key
            rows += queryset.filter(segment)[: page_size + 1 - len(rows)]
            if len(rows) > page_size:
                break
        page = rows[:page_size]
        self.next_values = None
        if len(rows) > page_size:
            last = page[-1]
            self.next_values = [_field_value(last, key.name) for key in keys]
        return page

    def cursor_next_link(self) -> str | None:
        if self.next_values is None:
            return None
        assert self.request is not None  # noqa: S101 - set by paginate_queryset
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, self.page_query_param)
        name = str(self.cursor_query_param)
        keys = self.cursor_keys
        token = cursor_signer(keys).sign(encode_cursor(self.next_values))
        return replace_query_param(url, name, token)


class PageNumberOnlyPagination(PageNumberPagination):
    """For lists that are not querysets (a record's history)."""

    cursor_query_param = None
    page_query_description = "The page to return, from 1."


def _check_sortable(
    model: type[Model], keys: list[SortKey] | None, name: str, view: APIView | None
) -> None:
    """Keyset paging needs a sort on model columns ending in a unique one (else rows that tie on
    every key could be skipped); every order the API offers has one, but not relevance."""
    unique = {f.name for f in model._meta.concrete_fields if f.unique or f.primary_key}
    if keys is None:
        filterset = getattr(view, "filterset_class", None)
        sortable = filterset is not None and "ordering" in filterset.base_filters
        remedy = "give `ordering`" if sortable else "page with `page` instead"
        raise ValidationError(
            {
                name: [
                    "Cursor paging needs a sort on the records' own fields, not search "
                    f"relevance; {remedy}."
                ]
            }
        )
    if not any(key.name in unique for key in keys):  # pragma: no cover - a programming error
        raise ImproperlyConfigured(f"{model.__name__} ordering has no unique key: {keys}")


def _field_value(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)
