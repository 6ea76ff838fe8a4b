"""The API's JSON parser: bounded in size, strict about what JSON it accepts.

Besides well-formed JSON, a body must hold only text a database can store and a JSON encoder can
send back: no NUL character (PostgreSQL refuses it in text), no lone surrogate (`"\\ud800"`:
not Unicode at all), in any key or value at any depth, and no nesting deeper than any record
has. `text_problems` is that check; the importer (events/imports.py) runs it on every record
of a file, so both paths refuse the same input with the same messages.
"""

import decimal
import json
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, parsers, status

# The deepest record a write takes is an event's participation's citation's source object
# (5 levels); nothing legitimate comes near this.
MAX_DEPTH = 20

NUL = "NUL characters (\\u0000) are not allowed."
SURROGATE = "Lone surrogates (\\ud800 to \\udfff without their pair) are not Unicode text."
KEY_NUL = "A field name contains a NUL character (\\u0000)."
KEY_SURROGATE = "A field name contains a lone surrogate (\\ud800 to \\udfff without its pair)."
TOO_DEEP = f"Nested more than {MAX_DEPTH} levels deep; no record has that shape."


class RequestEntityTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _text_problem(text: str, nul: str, surrogate: str) -> str | None:
    if "\x00" in text:
        return nul
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return surrogate
    return None


def text_problems(data: Any) -> dict[str, str]:
    """{field path: message} for every string of parsed JSON (keys included, at any depth)
    that holds a NUL character or a lone surrogate, and for nesting deeper than MAX_DEPTH.

    Paths are named as error responses name fields (`participations[1].role`; a top-level
    problem is `non_field_errors`); a bad key is reported at the object holding it. Messages
    never quote the bad text, which could not be encoded for a response or a terminal."""
    problems: dict[str, str] = {}
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        where = path or "non_field_errors"
        if isinstance(value, str):
            message = _text_problem(value, NUL, SURROGATE)
            if message:
                problems.setdefault(where, message)
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                problems.setdefault(where, TOO_DEEP)
                continue
            if isinstance(value, dict):
                for key, item in value.items():
                    message = _text_problem(key, KEY_NUL, KEY_SURROGATE)
                    if message:
                        problems.setdefault(where, message)
                        continue
                    stack.append((item, f"{path}.{key}" if path else key, depth + 1))
            else:
                for index, item in enumerate(value):
                    stack.append((item, f"{path}[{index}]", depth + 1))
    return problems


class RepeatedKey(ValueError):
    pass


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: `{"name": "x", "name": "y"}` is refused, not
    read as its last value (which of two a server keeps is not something a client can know)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise RepeatedKey(f"the key {key!r} appears twice in one object: send each key once")
        data[key] = value
    return data


MAX_NUMBER_DIGITS = 4300  # Python's own limit on reading an integer, said in the API's words


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _check_media_type(media_type: str | None) -> None:
    """`application/json` exactly (any case), with no charset or UTF-8's: DRF picks this parser
    for `application/*` too (a wildcard, which only Accept may hold), and a body said to be in
    another charset would be read as UTF-8 all the same (JSON is UTF-8: RFC 8259)."""
    if media_type is None:
        return
    kind, *params = (part.strip() for part in media_type.split(";"))
    charsets = [
        value.strip().strip('"').lower()
        for key, _, value in (param.partition("=") for param in params)
        if key.strip().lower() == "charset"
    ]
    if kind.lower() != "application/json" or any(c not in ("utf-8", "utf8") for c in charsets):
        raise exceptions.UnsupportedMediaType(
            media_type,
            detail=f"Unsupported media type {media_type!r}: send application/json (UTF-8).",
        )


class JSONParser(parsers.JSONParser):
    """Reads at most MAX_REQUEST_BODY_BYTES (whatever Content-Length said), refuses the
    non-standard NaN and Infinity that Python's json module would otherwise accept, and
    refuses text no database stores (`text_problems`)."""

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        _check_media_type(media_type)
        limit = settings.MAX_REQUEST_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestEntityTooLarge(f"The request body is over the limit of {limit} bytes.")
        if not body:
            raise exceptions.ParseError("The request body is empty; send a JSON object.")
        try:
            data = json.loads(
                body.decode("utf-8"),
                parse_constant=_reject_constant,
                object_pairs_hook=unique_keys,
                parse_int=_integer,
                # Exactly as written: a float would round 10.0000000000000000001 to 10.0 and
                # 1e-400 to 0.0 before any field could say it has too many decimal places.
                parse_float=decimal.Decimal,
            )
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise exceptions.ParseError(f"The body is not valid JSON: {error}") from None
        problems = text_problems(data)
        if problems:
            raise exceptions.ValidationError({path: [m] for path, m in problems.items()})
        return data
