"""Request-body size limit for the API."""

from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from .problems import DATABASE_RETRY_AFTER, drop_broken_connections, problem_response


class RequestSizeLimitMiddleware:
    """Answer 413 problem+json when a request under /api/ declares a body over the limit.

    A body without a declared length is bounded where it is parsed (events/parsers.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return problem_response(400, "The Content-Length header is not a number.")
            if length > settings.MAX_REQUEST_BODY_BYTES:
                return problem_response(
                    413,
                    f"The request body is {length} bytes; the limit is "
                    f"{settings.MAX_REQUEST_BODY_BYTES} bytes.",
                )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Answer 503 (with Retry-After) when the database cannot be reached, on any page.

    API views already answer this way (events/problems.py); this covers what runs outside
    them (the admin, login pages, middleware). The next request gets a fresh connection, so
    the service recovers by itself when the database is back.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError):
            return self.unavailable(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return self.unavailable(request)
        return None

    @staticmethod
    def unavailable(request: HttpRequest) -> HttpResponse:
        drop_broken_connections()
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
        if request.path.startswith("/api/"):
            return problem_response(
                503, "The database is not reachable; try again shortly.", headers
            )
        return HttpResponse(
            "The service cannot reach its database; try again shortly.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
            headers=headers,
        )
