"""Pagination: page numbers by default, and a cursor (keyset) mode for going deep.

Page numbers: DRF's own class silently clamps an oversized `page_size` and answers 404 "Invalid
page." for `page=0`; here a malformed or out-of-range `page` or `page_size` is a 400 naming the
parameter, and a page past the end is a 404 saying how many pages there are.

Cursors: `?cursor=start` returns the first page and a `next` link carrying a cursor, the list's
sort values at the page's last row; the next page starts after them (a WHERE on the sort
columns, served by the sort's index), so a page 10,000 rows deep costs what the first does,
where `page=401` makes the database step over 10,000 rows. Forward only: `previous` is null.
DRF's CursorPagination keys on one field and the view's DRF ordering; this one keys on the
whole ordering the FilterSet chose (date, then slug), ties included.
"""

from collections import OrderedDict
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.db.models import Model, Q, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from .caching import CachedCountPaginator
from .fast import decode_cursor, encode_cursor

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
CURSOR_START = "start"


def _positive_int(request: Request, name: str, default: int, maximum: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    limit = f" and at most {maximum}" if maximum else ""
    message = f"Must be a whole number of at least 1{limit}; got {raw!r}."
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationError({name: [message]})
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        raise ValidationError({name: [message]})
    return value


def after(ordering: list[str], values: list[Any]) -> Q:
    """Rows that sort after `values` under `ordering` ("-start_date", "slug", ...)."""
    condition = Q()
    equal: dict[str, Any] = {}
    for field, value in zip(ordering, values, strict=True):
        name = field.lstrip("-")
        step = "lt" if field.startswith("-") else "gt"
        condition |= Q(**equal, **{f"{name}__{step}": value})
        equal[name] = value
    return condition


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = CachedCountPaginator
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_query_description = "The page to return, from 1."
    page_size_query_description = (
        f"Results per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
    )
    cursor_query_param = "cursor"

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self.request = request
        self.cursor: str | None = None
        page_size = _positive_int(
            request, self.page_size_query_param, self.page_size, MAX_PAGE_SIZE
        )
        paginator = self.django_paginator_class(queryset, page_size)
        paginator.version = getattr(view, "data_version", None)
        if self.cursor_query_param in request.query_params:
            return self.paginate_by_cursor(queryset, request, paginator, page_size)
        number = _positive_int(request, self.page_query_param, 1, None)
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
        paginator: CachedCountPaginator,
        page_size: int,
    ) -> list[Any]:
        name = self.cursor_query_param
        if self.page_query_param in request.query_params:
            raise ValidationError({name: [f"Use either `{name}` or `page`, not both."]})
        ordering = [str(field) for field in queryset.query.order_by] or list(
            queryset.model._meta.ordering
        )
        _check_sortable(queryset.model, ordering, name)
        raw = request.query_params[name]
        self.cursor = raw
        self.cursor_paginator = paginator  # the whole list's (cached) count
        if raw != CURSOR_START:
            fields = [queryset.model._meta.get_field(f.lstrip("-")) for f in ordering]
            try:
                texts = decode_cursor(raw, [field.name for field in fields])
                values = [field.to_python(text) for field, text in zip(fields, texts, strict=True)]
            except (ValueError, DjangoValidationError) as error:
                message = error.messages[0] if isinstance(error, DjangoValidationError) else error
                raise ValidationError(
                    {name: [f"Not a cursor from a `next` link: {message}"]}
                ) from None
            queryset = queryset.filter(after(ordering, values))
        rows = list(queryset[: page_size + 1])
        page = rows[:page_size]
        self.next_values = None
        if len(rows) > page_size:
            last = page[-1]
            self.next_values = [_field_value(last, field.lstrip("-")) for field in ordering]
        return page

    def cursor_next_link(self) -> str | None:
        if self.next_values is None:
            return None
        assert self.request is not None  # noqa: S101 - set by paginate_queryset
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, encode_cursor(self.next_values))


def _check_sortable(model: type[Model], ordering: list[str], name: str) -> None:
    columns = {f.name: f for f in model._meta.concrete_fields}
    for field in ordering:
        column = columns.get(field.lstrip("-"))
        if column is None or column.null:
            raise ValidationError(
                {
                    name: [
                        f"Cursor paging needs a sort on columns that always have a value; "
                        f"{field.lstrip('-')!r} does not (give `ordering`)."
                    ]
                }
            )


def _field_value(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)
