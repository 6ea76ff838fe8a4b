"""Page-number pagination that refuses what it cannot serve instead of guessing.

DRF's own class silently clamps an oversized `page_size` and answers 404 "Invalid page." for
`page=0`; a client then gets something other than what it asked for. Here a malformed or
out-of-range `page` or `page_size` is a 400 naming the parameter, and a page past the end is a
404 saying how many pages there are.
"""

from typing import Any

from django.core.paginator import InvalidPage
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from .caching import CachedCountPaginator

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


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


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = CachedCountPaginator
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_query_description = "The page to return, from 1."
    page_size_query_description = (
        f"Results per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
    )

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self.request = request
        page_size = _positive_int(
            request, self.page_size_query_param, self.page_size, MAX_PAGE_SIZE
        )
        number = _positive_int(request, self.page_query_param, 1, None)
        paginator = self.django_paginator_class(queryset, page_size)
        paginator.version = getattr(view, "data_version", None)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            pages = paginator.num_pages
            raise NotFound(
                f"Page {number} does not exist: there {'is' if pages == 1 else 'are'} "
                f"{pages} page{'' if pages == 1 else 's'} of {page_size} results."
            ) from None
        return list(self.page)
