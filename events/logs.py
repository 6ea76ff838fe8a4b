"""Structured logs: every record is one JSON line on stderr, tagged with the request's id.

The request log (events/middleware.py, RequestLogMiddleware) writes one line per request
(method, path, status, duration, user, request id); an error logged while answering a request
carries the same `request_id`, and its traceback goes into the line's `traceback` field. Nothing
here reaches a response: a client sees problem+json and the `X-Request-ID` header to quote.
"""

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

# The id of the request this thread is answering ("-" outside a request: start-up, commands).
request_id: ContextVar[str] = ContextVar("request_id", default="-")

# A client's X-Request-ID is taken as it is only if it is short and plain (a UUID, a load
# balancer's trace id): anything else would let a client write arbitrary text into the logs.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")


def choose_request_id(header: str | None) -> str:
    """The client's request id when it is acceptable, else a new random one."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return uuid.uuid4().hex


def tag_records_with_request_id() -> None:
    """Make every log record carry the id of the request it was made in (`request_id`), as it
    is created: handlers may format it later, elsewhere."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "tags_request_id", False):
        return

    def tagged(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = request_id.get()
        return record

    tagged.tags_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(tagged)


# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, the `extra`
    fields, and the traceback when there is one.

    A few lines of our own rather than a library: orjson (the API's JSON encoder) does all of it.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Django's own records carry the request object; it is not data for a log line.
        entry.pop("request", None)
        entry.pop("server_time", None)
        # orjson: a third of the standard library's time for a request's line; anything it
        # cannot write (a Django object in `extra`) is written as its str(). What it refuses
        # outright (an integer beyond 64 bits) goes through the standard library instead.
        try:
            return orjson.dumps(entry, default=str).decode()
        except orjson.JSONEncodeError:
            return json.dumps(entry, default=str, ensure_ascii=False)
