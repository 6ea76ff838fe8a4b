"""The API's JSON renderer: orjson, several times faster than the standard library's encoder on
the list and detail bodies this API returns, with the same output once parsed; and how a
renderer is chosen for a request."""

import decimal
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework import renderers
from rest_framework.negotiation import DefaultContentNegotiation


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)  # rates have three decimals: exact as a JSON number
    if isinstance(value, Promise):
        return str(value)  # lazy translations (help texts, error messages)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


class JSONRenderer(renderers.JSONRenderer):
    """Compact JSON for clients; indented JSON when asked for (`Accept: application/json;
    indent=4`) and in the browsable API's HTML view, which asks for an indent of 4 as stock
    Django REST framework does (orjson indents by 2 only, so DRF's own encoder does that)."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", dict(renderer_context or {})):
            return super().render(data, accepted_media_type, renderer_context)
        return dumps(data)


class ExportRenderer(renderers.BaseRenderer):
    """An export's format, chosen by `?format=` or `Accept`. Exports are streamed by the view
    (events/exports.py); these renderers only name the formats for content negotiation."""

    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        raise NotImplementedError("exports are streamed by the view")


class NDJSONRenderer(ExportRenderer):
    media_type = "application/x-ndjson"
    format = "ndjson"


class CSVRenderer(ExportRenderer):
    media_type = "text/csv"
    format = "csv"


# What most clients send: nothing, anything, or JSON exactly.
PLAIN_JSON_ACCEPTS = frozenset({"*/*", "application/json"})


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, with the common case answered without parsing the header: a
    request with no `format` whose Accept is absent, `*/*` or `application/json` gets the view's
    first renderer when it is JSON, with the media type DRF's own negotiation would name
    (`application/json`). Anything else (a browser's list, `indent=4`, `format=api`, a CSV
    export) goes through DRF's negotiation as before."""

    def select_renderer(
        self,
        request: Any,
        available: Iterable[renderers.BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[renderers.BaseRenderer, str]:
        listed = list(available)
        if (
            format_suffix is None
            and listed
            and listed[0].media_type == JSONRenderer.media_type
            and request.META.get("HTTP_ACCEPT", "*/*") in PLAIN_JSON_ACCEPTS
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return listed[0], JSONRenderer.media_type
        return super().select_renderer(request, listed, format_suffix)
