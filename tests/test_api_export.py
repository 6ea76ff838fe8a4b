"""GET /api/v1/events/export/ and /api/v1/tariff-measures/export/: the whole selection of a
list's filters, streamed as NDJSON or CSV (events/exports.py)."""

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.db import OperationalError, connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from events import exports
from events.filters import EventFilter, TariffMeasureFilter
from events.formats import RESOURCES
from events.schema import EXAMPLES

from . import factories as f

pytestmark = pytest.mark.usefixtures("article")

EVENTS = "/api/v1/events/export/"
MEASURES = "/api/v1/tariff-measures/export/"


def body(response: Any) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(cast(Iterator[bytes], response.streaming_content))


def slugs_of_export(client: Client, url: str, params: dict[str, Any]) -> list[str]:
    response = client.get(url, params)
    assert response.status_code == 200, body(response) if response.streaming else response.content
    return [json.loads(line)["slug"] for line in body(response).splitlines()]


def slugs_of_list(client: Client, url: str, params: dict[str, Any]) -> list[str]:
    response = client.get(url, {**params, "page_size": 100})
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_it_streams_events_as_ndjson_by_default(client: Client) -> None:
    response = client.get(EVENTS)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="events.ndjson"'
    records = [json.loads(line) for line in body(response).splitlines()]
    assert [r["slug"] for r in records] == slugs_of_list(client, "/api/v1/events/", {})
    assert list(records[0]) == RESOURCES["events"].columns


@pytest.mark.parametrize(
    ("params", "headers"),
    [({"format": "csv"}, {}), ({}, {"HTTP_ACCEPT": "text/csv"})],
    ids=["format", "accept"],
)
def test_it_streams_csv(client: Client, params: dict[str, str], headers: dict[str, Any]) -> None:
    response = client.get(MEASURES, params, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="tariff-measures.csv"'
    lines = body(response).decode().splitlines()
    assert lines[0] == ",".join(RESOURCES["tariff-measures"].columns)
    assert [line.split(",")[0] for line in lines[1:]] == [
        "us-reciprocal-tariff-pakistan-29-percent-2025",
        "us-baseline-tariff-10-percent-2025",
    ]


def test_rows_arrive_before_the_query_finishes(client: Client, monkeypatch: Any) -> None:
    """The response is a stream: its first records are sent when only the first chunk of
    records (and that chunk's relations) has been read. That chunk is read before the response
    starts (so that a database error is still a 503: tests/test_database_loss.py); the others
    while it is sent."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
    with CaptureQueriesContext(connection) as first:
        response = client.get(EVENTS)
        assert isinstance(response, StreamingHttpResponse)
        chunks = iter(cast(Iterator[bytes], response.streaming_content))
        first_chunk = next(chunks)
    with CaptureQueriesContext(connection) as rest:
        remaining = list(chunks)

    assert len(first_chunk.splitlines()) == 3
    assert sum(len(chunk.splitlines()) for chunk in remaining) == 5
    # The data version (for the ETag), one query for the events, then per chunk one per
    # relation: countries, topics, participations (with participants) and their citations,
    # outgoing relations and their citations, the events' citations.
    assert len(first) == 1 + 1 + 7
    assert len(rest) == 2 * 7


def test_its_queries_do_not_grow_with_the_records(client: Client) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            body(client.get(EVENTS))
        return len(captured)

    before = queries()
    for n in range(5):
        event = f.EventFactory.create(slug=f"more-{n}")
        f.ParticipationFactory.create(event=event)
        f.CitationFactory.create(event=event)
    assert queries() == before


EVENT_FILTERS = {
    name: EXAMPLES[name] for name in EventFilter.base_filters if name not in ("ordering",)
}
MEASURE_FILTERS = {
    name: EXAMPLES[name] for name in TariffMeasureFilter.base_filters if name != "ordering"
}


@pytest.mark.parametrize(("name", "value"), list(EVENT_FILTERS.items()))
def test_it_honours_every_event_filter(client: Client, name: str, value: Any) -> None:
    params = {name: value, "ordering": "title"}
    expected = slugs_of_list(client, "/api/v1/events/", params)

    assert slugs_of_export(client, EVENTS, params) == expected
    assert expected
    if name not in ("date_to", "updated_since"):  # these examples select all 8 events
        assert len(expected) < 8


@pytest.mark.parametrize(("name", "value"), list(MEASURE_FILTERS.items()))
def test_it_honours_every_tariff_measure_filter(client: Client, name: str, value: Any) -> None:
    params = {name: value}

    assert slugs_of_export(client, MEASURES, params) == slugs_of_list(
        client, "/api/v1/tariff-measures/", params
    )


@pytest.mark.parametrize("ordering", ["date", "-date", "title", "-title", "updated_at"])
def test_it_keeps_the_lists_order(client: Client, ordering: str) -> None:
    params = {"ordering": ordering}

    assert slugs_of_export(client, EVENTS, params) == slugs_of_list(
        client, "/api/v1/events/", params
    )


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"format": "xml"}, {"format": ["Give one of: ndjson, csv."]}),
        (
            {"format": ["csv", "ndjson"]},
            {"format": ["Given more than once: this parameter takes one value, so give it once."]},
        ),
        ({"page": "2"}, None),
        ({"colour": "red"}, None),
        ({"topic": "no-such-topic"}, {"topic": ["No record has no-such-topic as its identifier."]}),
        ({"date_from": "2025-13-45"}, {"date_from": ["Enter a valid date."]}),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(
    client: Client, query: dict[str, Any], errors: dict[str, list[str]] | None
) -> None:
    response = client.get(EVENTS, query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    name = next(iter(query))
    assert list(response.json()["errors"]) == [name]
    if errors is not None:
        assert response.json()["errors"] == errors


def test_an_accept_it_cannot_give_is_a_406(client: Client) -> None:
    response = client.get(EVENTS, HTTP_ACCEPT="application/json")

    assert response.status_code == 406
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Acceptable",
        "status": 406,
        "detail": "Could not satisfy the request Accept header.",
    }


def test_options_describes_the_endpoint_in_json(client: Client) -> None:
    """Regression (found by the schema fuzzing): OPTIONS with ?format=csv was a 500, the
    endpoint's description handed to the export renderer."""
    response = client.options(f"{EVENTS}?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"] == "Export"


# --- the database failing (on PostgreSQL for real: tests/test_database_loss.py) -----------------


def lose_the_connection(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.parametrize("path", [f"{EVENTS}?format=ndjson", f"{MEASURES}?format=csv"])
def test_a_database_failing_before_the_first_record_is_a_503(client: Client, path: str) -> None:
    """Regression (issue 12): the query ran only once the response had started (a 200 with
    only the CSV header, or the server's HTML 500). The first chunk is now read first."""
    with connection.execute_wrapper(lose_the_connection):
        response = client.get(path)

    assert not response.streaming
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response.json()["detail"] == "The database is not reachable; try again shortly."


def test_a_database_failing_midway_raises_out_of_the_stream(
    client: Client, monkeypatch: Any, caplog: Any
) -> None:
    """After the first chunk, the error leaves the response's iterator: the WSGI server then
    cuts the connection without ending the chunked body (tests/test_database_loss.py shows a
    client's incomplete read), rather than the body simply stopping."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
    response = client.get(f"{EVENTS}?format=csv")
    assert isinstance(response, StreamingHttpResponse)
    assert response.status_code == 200
    chunks = iter(cast(Iterator[bytes], response.streaming_content))
    first_chunk = next(chunks)

    with (
        connection.execute_wrapper(lose_the_connection),
        pytest.raises(OperationalError),
    ):
        next(chunks)
    assert len(first_chunk.splitlines()) == 1 + 3  # the header and the first chunk's records
    assert "Export of events.csv cut short by a database error" in caplog.text


@pytest.mark.parametrize("path", ["/api/v1/events/export/", "/api/v1/tariff-measures/export/"])
@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_an_export_carries_an_etag_that_revalidates_until_the_next_write(
    client: Client, editor: Any, path: str, fmt: str
) -> None:
    first = client.get(path, {"format": fmt})
    assert first.status_code == 200
    etag = first["ETag"]
    b"".join(first.streaming_content)  # type: ignore[attr-defined]
    again = client.get(path, {"format": fmt}, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again["ETag"]) == (304, etag)
    assert client.get(path, {"format": "csv" if fmt == "ndjson" else "ndjson"})["ETag"] != etag
    editor.patch(
        "/api/v1/topics/trade/", '{"description": "Moved."}', content_type="application/json"
    )
    after = client.get(path, {"format": fmt}, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert after["ETag"] != etag
    b"".join(after.streaming_content)  # type: ignore[attr-defined]
