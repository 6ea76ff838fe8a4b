"""Request-body size limit for the API."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .problems import problem_response


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
