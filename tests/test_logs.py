"""Logs: one JSON line per request with its id, and errors with their traceback, server-side only."""

import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from events.logs import JsonFormatter, choose_request_id

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.error_urls")]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self, logger: str) -> list[dict]:
        """The records of one logger as the JSON lines the service writes."""
        formatter = JsonFormatter()
        return [json.loads(formatter.format(r)) for r in self.records if r.name == logger]


@pytest.fixture
def logged() -> Iterator[Records]:
    """What the service logs during the test (independent of pytest's log capture)."""
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("policyapi", "django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def test_it_logs_one_json_line_per_request_with_the_clients_request_id(
    article: None, client: Client, logged: Records
) -> None:
    response = client.get("/api/v1/events/?country=PK", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-7f3a.42"
    [line] = logged.lines("policyapi.requests")
    duration = line.pop("duration_ms")
    assert isinstance(duration, float)
    assert duration >= 0
    assert line.pop("time").endswith("+00:00")
    assert line == {
        "level": "INFO",
        "logger": "policyapi.requests",
        "message": "GET /api/v1/events/ 200",
        "request_id": "lb-7f3a.42",
        "method": "GET",
        "path": "/api/v1/events/",
        "query": "country=PK",
        "status": 200,
        "user": None,
    }


@pytest.mark.parametrize(
    "header",
    [None, "", "has space", "line\nbreak", "<script>", "x" * 129, "-leading-dash", "é"],
)
def test_it_makes_its_own_request_id_when_the_client_gives_none_it_can_use(
    client: Client, logged: Records, header: str | None
) -> None:
    extra: dict = {} if header is None else {"HTTP_X_REQUEST_ID": header}
    response = client.get("/healthz", **extra)
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    assert int(request_id, 16) >= 0  # hex
    assert request_id != header
    [line] = logged.lines("policyapi.requests")
    assert line["request_id"] == request_id


def test_it_takes_the_longest_plain_request_id_it_allows() -> None:
    longest = "A" + "b9._:/+=-" * 14 + "c"  # 128 characters
    assert choose_request_id(longest) == longest
    assert choose_request_id("f47ac10b-58cc-4372-a567-0e02b2c3d479") == (
        "f47ac10b-58cc-4372-a567-0e02b2c3d479"
    )


def test_it_logs_the_user_who_made_the_request(editor: Client, logged: Records) -> None:
    response = editor.get("/api/v1/topics/trade/")
    assert response.status_code == 200
    [line] = logged.lines("policyapi.requests")
    assert (line["user"], line["status"]) == ("ed", 200)


def test_it_logs_an_api_error_with_its_traceback_and_answers_without_it(
    client: Client, logged: Records
) -> None:
    response = client.get("/api/test/fail/500/", HTTP_X_REQUEST_ID="trace-me")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "The server failed to answer this request; the error has been logged.",
    }
    assert b"Traceback" not in response.content
    assert b"secret internals" not in response.content
    [error] = logged.lines("policyapi.errors")
    assert error["level"] == "ERROR"
    assert error["request_id"] == "trace-me"
    assert error["traceback"].startswith("Traceback (most recent call last):")
    assert error["traceback"].endswith("RuntimeError: boom: secret internals")
    [line] = logged.lines("policyapi.requests")
    assert (line["status"], line["request_id"]) == (500, "trace-me")


def test_it_logs_an_error_outside_the_api_with_its_traceback(logged: Records) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/api/test/plain-failure/", HTTP_X_REQUEST_ID="plain-1")
    assert response.status_code == 500
    assert b"Traceback" not in response.content
    assert b"boom outside DRF" not in response.content
    [error] = logged.lines("django.request")
    assert error["request_id"] == "plain-1"
    assert error["status_code"] == 500
    assert error["traceback"].endswith("RuntimeError: boom outside DRF")
    assert "request" not in error


def test_it_writes_any_extra_field_as_json() -> None:
    """A field orjson cannot write as it is (an object, an integer beyond 64 bits) still makes
    one JSON line."""
    import logging

    from events.logs import JsonFormatter

    record = logging.LogRecord("policyapi.test", logging.INFO, __file__, 1, "hello", None, None)
    record.size = 2**70
    record.thing = object()
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["size"], line["thing"][:8]) == ("hello", 2**70, "<object ")
