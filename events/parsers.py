"""The API's JSON parser: bounded in size, strict about what JSON it accepts."""

import json
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, parsers, status


class RequestEntityTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    """Reads at most MAX_REQUEST_BODY_BYTES (whatever Content-Length said), and refuses the
    non-standard NaN and Infinity that Python's json module would otherwise accept."""

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        limit = settings.MAX_REQUEST_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestEntityTooLarge(f"The request body is over the limit of {limit} bytes.")
        if not body:
            raise exceptions.ParseError("The request body is empty; send a JSON object.")
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise exceptions.ParseError(f"The body is not valid JSON: {error}") from None
