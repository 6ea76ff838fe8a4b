"""Errors as RFC 9457 problem details (`application/problem+json`), everywhere under /api/.

Every error the API gives has one shape: `type`, `title`, `status`, `detail`, and for a 400 an
`errors` object naming each bad parameter or field with its messages. `type` is "about:blank":
the status code and `title` carry the kind of problem. Nothing else (no traceback, no HTML) is
ever sent; unexpected errors are logged with their traceback server-side.
"""

import logging
import math
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, InterfaceError, OperationalError, connections
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from psycopg import errors as pg_errors
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from .renderers import JSONRenderer

logger = logging.getLogger("policyapi.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(
    status_code: int, detail: str, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF error details (nested dicts and lists) as {"field": ["message", ...]}, with nested
    fields named like `participations[1].role`."""
    if not isinstance(errors, dict):
        errors = {"non_field_errors": errors}
    flat: dict[str, list[str]] = {}
    for key, value in errors.items():
        name = "non_field_errors" if key == "__all__" else str(key)
        if isinstance(key, int) or name.isdigit():
            path = f"{prefix}[{name}]"
        else:
            path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            flat.update(_flatten(value, path))
        elif isinstance(value, list) and value and isinstance(value[0], (dict, list)):
            for index, item in enumerate(value):
                if item:
                    flat.update(
                        _flatten(item if isinstance(item, dict) else {"": item}, f"{path}[{index}]")
                    )
        else:
            flat[path] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat


def _validation_detail(errors: dict[str, list[str]]) -> str:
    names = ", ".join(sorted(errors))
    return f"Invalid input: {names}. See `errors` for what is wrong with each."


DATABASE_RETRY_AFTER = 5  # seconds a client should wait before retrying after a 503


def drop_broken_connections() -> None:
    """Close connections an error left unusable, so the next request opens (or takes from the
    pool) a working one instead of failing on the broken one."""
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()


CANCELLED = (
    "The database cancelled the query: it ran past the statement timeout (or an operator "
    "stopped it). Narrow the filters, or try again later."
)


def unavailable_detail(error: Exception) -> str:
    """Why a database error makes the answer a 503: the database is away, or it cancelled
    the statement (DATABASE_STATEMENT_TIMEOUT)."""
    if isinstance(error.__cause__, pg_errors.QueryCanceled):
        return CANCELLED
    return ServiceUnavailable.default_detail


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is not reachable; try again shortly."
    wait = DATABASE_RETRY_AFTER


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the data."


def _protected_detail(error: ProtectedError | RestrictedError) -> str:
    objects = list(
        error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    )
    names = sorted({f"{type(o)._meta.verbose_name_plural}" for o in objects})
    return (
        f"The record is still referred to by {len(objects)} other record(s) ({', '.join(names)}): "
        "change or delete those first."
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's exception handler, answering every error as problem details."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict(_protected_detail(exc))
    elif isinstance(exc, OperationalError) and isinstance(
        exc.__cause__, (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
    ):
        # PostgreSQL undid the transaction to break a deadlock or a serialization conflict
        # with another write: nothing was written, and the same request can be sent again.
        logger.warning("Write undone by the database: %s", exc)
        exc = Conflict(
            "The write ran into a concurrent write and was undone by the database; nothing "
            "was written: send it again."
        )
    elif isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable (down, restarting, or the connection was cut), or it
        # cancelled the statement.
        logger.warning("Database unavailable: %s", exc)
        drop_broken_connections()
        exc = ServiceUnavailable(unavailable_detail(exc))
    elif isinstance(exc, IntegrityError):
        # A race that model validation could not see (two writers taking the same slug).
        exc = Conflict("The write conflicts with another change to the data; read and retry.")

    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(as_serializer_error(exc))
        body = problem(status.HTTP_400_BAD_REQUEST, _validation_detail(errors), errors)
    elif isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "etag", None) is not None:
            headers["ETag"] = exc.etag  # type: ignore[attr-defined]
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))  # type: ignore[attr-defined]
        body = problem(exc.status_code, str(exc.detail))
    else:
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        body = problem(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "The server failed to answer this request; the error has been logged.",
        )
    request = context.get("request")
    if request is not None:
        # Errors are JSON even for a browser that asked for the browsable API's HTML.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    # An error is not worth caching (and so gets no ETag from ConditionalGetMiddleware).
    headers["Cache-Control"] = "no-store"
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_response(
    status_code: int, detail: str, headers: dict[str, str] | None = None
) -> JsonResponse:
    """A problem-details response for plain Django views (outside DRF)."""
    return JsonResponse(
        problem(status_code, detail),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


# The pages meant for a person in a browser (the admin, the login pages) answer errors with
# Django's HTML pages; every other path, under /api/ or not (`/api` without its slash,
# `//api/v1/`, `/healthz/`), with problem details.
HTML_PAGES = ("/admin/", "/auth/")


def _is_api(request: HttpRequest) -> bool:
    return not request.path.startswith(HTML_PAGES)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: problem details under /api/, Django's page elsewhere."""
    if _is_api(request):
        return problem_response(404, f"Nothing is published at {request.path}.")
    from django.views.defaults import page_not_found as default

    return default(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: problem details under /api/, Django's page elsewhere."""
    if _is_api(request):
        return problem_response(
            500, "The server failed to answer this request; the error has been logged."
        )
    from django.views.defaults import server_error as default

    return default(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400 (e.g. a disallowed Host header, a malformed request)."""
    if _is_api(request):
        return problem_response(400, "The request is malformed.")
    from django.views.defaults import bad_request as default

    return default(request, exception)  # type: ignore[arg-type]


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403 (e.g. a failed CSRF check outside DRF)."""
    if _is_api(request):
        return problem_response(403, "You do not have permission to perform this action.")
    from django.views.defaults import permission_denied as default

    return default(request, exception)  # type: ignore[arg-type]


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: problem details under /api/, Django's page elsewhere."""
    if _is_api(request):
        return problem_response(403, f"CSRF verification failed: {reason}")
    from django.views.csrf import csrf_failure as default

    return default(request, reason)
