"""The API's JSON renderer: orjson, several times faster than the standard library's encoder on
the list and detail bodies this API returns, with the same output once parsed; and how a
renderer is chosen for a request."""

import decimal
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework import exceptions, renderers
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
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        override = self.settings.URL_FORMAT_OVERRIDE
        if (
            format_suffix is None
            and listed
            and listed[0].media_type == JSONRenderer.media_type
            and accept in PLAIN_JSON_ACCEPTS
            and override not in request.query_params
        ):
            return listed[0], JSONRenderer.media_type
        wanted = format_suffix or request.query_params.get(override)
        if wanted is not None and not any(r.format == wanted for r in listed):
            # DRF answers an unknown format with a bare 404 ("Not found."): it names nothing.
            formats = ", ".join(dict.fromkeys(str(r.format) for r in listed))
            raise exceptions.ValidationError({override: [f"{wanted!r} is not one of: {formats}."]})
        if "q=0" in accept.replace(" ", ""):
            # DRF's negotiation ignores q: a media type the client refuses (q=0) is left out.
            listed = [r for r in listed if acceptable(accept, r.media_type)]
            if not listed:
                raise exceptions.NotAcceptable()
        return super().select_renderer(request, listed, format_suffix)


def _ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their quality (1 when none is given)."""
    ranges = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def acceptable(accept: str, media_type: str) -> bool:
    """Whether `media_type` is acceptable to the Accept header: the most specific range that
    matches it (type/subtype, then type/*, then */*) has a quality above 0 (RFC 9110 12.5.1)."""
    kind = media_type.split(";")[0].strip().lower()
    main = kind.split("/")[0]
    best: tuple[int, float] | None = None
    for media, quality in _ranges(accept):
        rank = 2 if media == kind else 1 if media == f"{main}/*" else 0 if media == "*/*" else -1
        if rank >= 0 and (best is None or rank > best[0]):
            best = (rank, quality)
    return best is not None and best[1] > 0
