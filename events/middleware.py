"""Request logging and ids, the request-body size limit, and 503 while the database is away."""

import logging
import time
from collections.abc import Callable
from urllib.parse import unquote, unquote_to_bytes

from django.conf import settings
from django.contrib.messages import middleware as messages
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.middleware.http import ConditionalGetMiddleware as DjangoConditionalGetMiddleware
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.functional import SimpleLazyObject, empty
from django.utils.http import escape_leading_slashes

from . import logs
from .problems import (
    DATABASE_RETRY_AFTER,
    PROBLEM_CONTENT_TYPE,
    drop_broken_connections,
    problem,
    problem_response,
    unavailable_detail,
)

request_logger = logging.getLogger("policyapi.requests")


def logged_user(request: HttpRequest) -> str | None:
    """The username of the request's authenticated user, if the request looked it up.

    A user nobody asked for (a request whose view never read it) stays unread, so that logging
    adds no query to a request."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):  # type: ignore[attr-defined]
        return None
    return user.get_username() if user.is_authenticated else None


class RequestLogMiddleware:
    """One log line per request, and a request id on the request, the response and the logs.

    Outermost, so that every response (a redirect to HTTPS, a static file, a 503) has the
    `X-Request-ID` header and a log line. The id is the client's `X-Request-ID` when it is short
    and plain (events/logs.py), otherwise a new one; either way the response names it, so a
    client reporting a problem can quote the id that finds its log lines.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = logs.choose_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = logs.request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if not request_logger.isEnabledFor(logging.INFO):
                return response  # LOG_LEVEL above INFO: nothing to build
            user = logged_user(request)
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "query": request.META.get("QUERY_STRING", ""),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user": user,
                },
            )
            return response
        finally:
            logs.request_id.reset(token)


NOT_UTF8 = (
    "Not UTF-8 text: percent-encode the UTF-8 bytes of the text (a lone surrogate, as "
    "%ED%A0%80, is not text either)."
)


def undecodable_parameters(query: str) -> list[str]:
    """The names of the query string's parameters whose name or value, percent-decoded, is
    not UTF-8. Django decodes them with U+FFFD in place of each bad byte, which would search
    for, and link to, text the client never sent."""
    names = []
    for pair in query.replace(";", "&").split("&"):
        if "%" not in pair:
            continue
        name, _, value = pair.partition("=")
        for part in (name, value):
            try:
                unquote_to_bytes(part.replace("+", " ")).decode("utf-8")
            except UnicodeDecodeError:
                names.append(unquote(name.replace("+", " "), errors="replace"))
                break
    return names


class MalformedQueryMiddleware:
    """A 400 naming every parameter whose percent-encoding is not UTF-8 (everywhere but the
    admin's and login pages, which Django's own decoding serves)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "%" in query and not request.path.startswith(("/admin/", "/auth/")):
            names = undecodable_parameters(query)
            if names:
                body = problem(
                    400,
                    f"Invalid input: {', '.join(names)}. See `errors` for what is wrong with each.",
                    {name: [NOT_UTF8] for name in names},
                )
                return JsonResponse(
                    body,
                    status=400,
                    content_type=PROBLEM_CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"},
                )
        return self.get_response(request)


class PermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    status_code = 308  # RFC 9110 15.4.9: the client repeats the same method and body


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, redirecting a URL without its trailing slash to the slashed one with a 308 for
    a write (the client sends the same method and body again; a 301 turns a POST into a GET,
    and with DEBUG on Django raised a RuntimeError, a 500), a 301 for a read, neither with a
    body or a text/html type."""

    def get_full_path_with_slash(self, request: HttpRequest) -> str:
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.status_code == 404 and self.should_redirect_with_slash(request):
            safe = request.method in ("GET", "HEAD", "OPTIONS")
            redirect = HttpResponsePermanentRedirect if safe else PermanentRedirectKeepingMethod
            response = redirect(self.get_full_path_with_slash(request))
            del response["Content-Type"]
        return super().process_response(request, response)


class ConditionalGetMiddleware(DjangoConditionalGetMiddleware):
    """Django's ETags and 304s, with `If-Unmodified-Since` ignored: the API publishes no
    Last-Modified date, and RFC 9110 (13.1.4) says a server without one ignores the header;
    Django answered every such GET with an empty text/html 412. Preconditions are ETags:
    `If-Match` and `If-None-Match`."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not response.has_header("Last-Modified"):
            request.META.pop("HTTP_IF_UNMODIFIED_SINCE", None)
        if request.method == "HEAD" and self.needs_etag(response):
            # The body a GET would send is still here (the server drops it): HEAD gets the same
            # ETag, and the same 304 (Django's middleware does this for GET only).
            if not response.has_header("ETag"):
                set_response_etag(response)
            answered = get_conditional_response(
                request,
                etag=response["ETag"],
                response=response,  # type: ignore[arg-type]  # needs_etag: not streaming
            )
            return answered or response
        return super().process_response(request, response)


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
        except (OperationalError, InterfaceError) as error:
            return self.unavailable(request, error)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return self.unavailable(request, exception)
        return None

    @staticmethod
    def unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
        drop_broken_connections()
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
        detail = unavailable_detail(error)
        if request.path.startswith("/api/"):
            return problem_response(503, detail, headers)
        return HttpResponse(
            detail + "\n",
            status=503,
            content_type="text/plain; charset=utf-8",
            headers=headers,
        )


class MessageMiddleware(messages.MessageMiddleware):
    """Django's messages (the notices the admin shows after a save), for every page but the
    API's: no API answer shows one, and setting up their storage cost each API request 3% of an
    event detail's instructions. Django's own process_response skips a request without it."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith("/api/"):
            super().process_request(request)
