"""Every response the test suite receives, checked against the committed schema (openapi.yaml)
by a strict OpenAPI 3.0 validator (openapi-core): status, headers, content type and body,
problem+json included. tests/conftest.py applies it to every request of Django's test client.
The body of a streamed export is not read here (see `openapi`).

Not checked, because the schema does not describe them: pages outside the API (`/admin/`, the
doc pages, static files, `/healthz`, `/readyz`, test-only URLs) and requests that match no
documented operation (an unknown path, a method the path does not have: a 404 or 405 from the
router, not an operation's answer), and DRF's browsable API: the HTML page a browser gets when
it asks for `text/html` (or `?format=api`), made for people, not part of the JSON contract.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.templating.paths.exceptions import (
    OperationNotFound,
    PathNotFound,
    ServerNotFound,
)
from openapi_core.validation.response.validators import V30ResponseHeadersValidator

SCHEMA = Path(__file__).resolve().parent.parent / "openapi.yaml"
API = "/api/v1/"


@cache
def openapi(*, streamed: bool = False) -> OpenAPI:
    # openapi-core parses application/json only; a problem's body is JSON too (RFC 9457).
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    if streamed:
        # A streamed answer (an export) is checked for its status and headers; its body is
        # left to the test to read, as a client reads it (reading it here would run the whole
        # export before the test's first row, and raise a failure midway in the wrong place).
        # The schema says only that it is text (NDJSON or CSV).
        config.response_validator_cls = V30ResponseHeadersValidator
    return OpenAPI.from_file_path(str(SCHEMA), config=config)


class _Request(DjangoOpenAPIRequest):
    # The path is matched against the schema's paths, not rebuilt from Django's route (the
    # router's regexes are not all in a form openapi-core can turn into a template).
    @property
    def path_pattern(self) -> None:
        return None

    # A response is checked, not the request: its body is not read (one over the size limit
    # cannot be, and that request's 413 is still checked).
    @property
    def body(self) -> bytes:
        return b""


class _Response(DjangoOpenAPIResponse):
    @property
    def data(self) -> bytes:
        # A streamed body is not read (see `openapi`): openapi-core's type check of the
        # response object touches this property, which would drain the stream.
        if self.response.streaming:
            return b""
        return super().data


def documented(path: str) -> bool:
    return path.startswith(API) and not path.startswith(f"{API}schema/")


def browsable(request: HttpRequest, response: HttpResponse) -> bool:
    asked = "text/html" in request.headers.get("Accept", "") or request.GET.get("format") == "api"
    return asked and response.get("Content-Type", "").startswith("text/html")


def check_response(request: HttpRequest, response: HttpResponse) -> None:
    """Raise when the response is not what the schema says this operation answers."""
    if not documented(request.path) or browsable(request, response):
        return
    try:
        schema = openapi(streamed=response.streaming)
        schema.validate_response(_Request(request), _Response(response))
    except (PathNotFound, OperationNotFound, ServerNotFound):
        return


def contract_request(original: Any) -> Any:
    """Wrap `Client.request` so that each response is checked before the test sees it."""

    def request(self: Any, **environ: Any) -> Any:
        response = original(self, **environ)
        wsgi_request = getattr(response, "wsgi_request", None)
        if wsgi_request is not None:
            check_response(wsgi_request, response)
        return response

    return request
