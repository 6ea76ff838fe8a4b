"""HTTP behaviour shared by every endpoint: conditional GET, cross-origin reads, health checks."""

from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.usefixtures("article")

PATHS = [
    "/api/v1/",
    "/api/v1/events/",
    "/api/v1/events/rubio-dar-phone-call-2025-04-07/",
    "/api/v1/events/stats/?group_by=month",
    "/api/v1/tariff-measures/",
    "/api/v1/countries/PK/",
]


@pytest.mark.parametrize("path", PATHS)
def test_it_answers_304_when_the_etag_still_matches(client: Client, path: str) -> None:
    first = client.get(path)
    etag = first["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)


def test_it_answers_200_when_the_etag_is_stale(client: Client) -> None:
    response = client.get("/api/v1/events/", HTTP_IF_NONE_MATCH='"stale"')
    assert response.status_code == 200


@pytest.mark.parametrize("path", PATHS)
def test_if_none_match_star_matches_any_current_representation(client: Client, path: str) -> None:
    response = client.get(path, HTTP_IF_NONE_MATCH="*")
    assert (response.status_code, response.content) == (304, b"")
    assert response["ETag"] == client.get(path)["ETag"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/countries/?page=49541043045",  # found by the fuzzer: a 400 is no representation
        "/api/v1/events/?country=ZZ",
        "/api/v1/events/?page=99",
        "/api/v1/events/no-such-event/",
    ],
)
def test_if_none_match_star_does_not_hide_an_error(client: Client, path: str) -> None:
    response = client.get(path, HTTP_IF_NONE_MATCH="*")
    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("path", PATHS)
def test_it_changes_the_etag_when_the_data_changes(client: Client, editor: Any, path: str) -> None:
    before = client.get(path)["ETag"]
    editor.send("PATCH", "/api/v1/events/rubio-dar-phone-call-2025-04-07/", {"title": "Changed"})
    if path in ("/api/v1/", "/api/v1/countries/PK/"):
        # The root lists links; a detail's ETag follows its own content, which did not change.
        assert client.get(path)["ETag"] == before
    else:
        assert client.get(path)["ETag"] != before


def test_it_answers_a_repeated_list_request_without_querying_the_list(
    client: Client, django_assert_num_queries: Any
) -> None:
    etag = client.get("/api/v1/events/")["ETag"]
    with django_assert_num_queries(1):  # the data version: the list query does not run
        response = client.get("/api/v1/events/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def test_it_lets_any_origin_read(client: Client) -> None:
    response = client.get("/api/v1/events/", HTTP_ORIGIN="https://app.example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_it_answers_a_preflight_for_reads(client: Client) -> None:
    response = client.options(
        "/api/v1/events/",
        HTTP_ORIGIN="https://app.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_it_sends_no_cors_headers_outside_the_api(client: Client) -> None:
    response = client.get("/admin/login/", HTTP_ORIGIN="https://app.example.org")
    assert not response.has_header("Access-Control-Allow-Origin")


def test_it_reports_the_process_alive_without_the_database(
    client: Client, django_assert_num_queries: object
) -> None:
    with django_assert_num_queries(0):  # type: ignore[operator]
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_it_reports_ready_when_the_database_answers(client: Client) -> None:
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})


def test_it_reports_not_ready_when_the_database_does_not_answer(client: Client) -> None:
    # The outage itself (a server that refuses connections) is tested against PostgreSQL in
    # the reliability suite; here the cursor fails the way psycopg's does.
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "The database is not reachable.",
    }
