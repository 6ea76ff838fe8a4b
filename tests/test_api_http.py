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


APP = "https://app.example.org"
# What the README invites a client to read: a browser hides every other response header from a
# script of another origin.
EXPOSED = {"etag", "location", "retry-after", "x-request-id", "content-disposition"}


def exposed(response: Any) -> set[str]:
    return {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}


def test_it_lets_any_origin_read(client: Client) -> None:
    response = client.get("/api/v1/events/", HTTP_ORIGIN=APP)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert exposed(response) == EXPOSED
    assert not response.has_header("Access-Control-Allow-Credentials")


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", "if-none-match"),  # revalidation (Caching)
        ("GET", "x-request-id"),  # an id to quote (Logs)
        ("GET", "if-none-match,x-request-id"),
        ("PATCH", "authorization,content-type,if-match,x-request-id"),  # Concurrency
        ("PUT", "authorization,content-type,if-match"),
        ("DELETE", "authorization,if-match"),
        ("POST", "authorization,content-type"),
    ],
)
def test_it_allows_another_origin_the_headers_the_readme_invites(
    client: Client, method: str, headers: str
) -> None:
    response = client.options(
        "/api/v1/topics/trade/",
        HTTP_ORIGIN=APP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    allowed_methods = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert method in allowed_methods
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert set(headers.split(",")) <= allowed
    # Never cookies: another site cannot act with an editor's admin session.
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_it_answers_a_preflight_for_reads(client: Client) -> None:
    response = client.options(
        "/api/v1/events/", HTTP_ORIGIN=APP, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert response.status_code == 200
    methods = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"}


def test_it_refuses_a_preflight_from_an_origin_not_configured(
    client: Client, settings: Any
) -> None:
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = [APP]
    response = client.options(
        "/api/v1/events/",
        HTTP_ORIGIN="https://elsewhere.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )
    assert not response.has_header("Access-Control-Allow-Origin")
    allowed = client.get("/api/v1/events/", HTTP_ORIGIN=APP)
    assert allowed["Access-Control-Allow-Origin"] == APP


def test_it_exposes_retry_after_and_the_request_id_on_a_429(client: Client, settings: Any) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": "1/min"}
    client.get("/api/v1/topics/", HTTP_ORIGIN=APP)
    response = client.get("/api/v1/topics/", HTTP_ORIGIN=APP, HTTP_X_REQUEST_ID="app-1")
    assert response.status_code == 429
    assert response["Access-Control-Allow-Origin"] == "*"
    assert {"retry-after", "x-request-id"} <= exposed(response)
    assert (response["Retry-After"].isdigit(), response["X-Request-ID"]) == (True, "app-1")


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


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/json",
        "application/json; indent=4",
        "application/*",
        "text/html",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "application/xml",
    ],
)
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api"])
def test_it_chooses_the_renderer_drf_would_choose(accept: str | None, query: str) -> None:
    """events.renderers.ContentNegotiation answers the plain JSON request without parsing
    Accept; every request gets the renderer and media type of DRF's own negotiation."""
    from rest_framework import exceptions
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from events.renderers import ContentNegotiation
    from events.views import EventViewSet

    headers: dict[str, Any] = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/v1/events/{query}", **headers))
    renderers = [renderer() for renderer in EventViewSet.renderer_classes]

    def chosen(negotiation: Any) -> Any:
        try:
            renderer, media_type = negotiation.select_renderer(request, renderers)
        except exceptions.NotAcceptable:
            return "406"
        return type(renderer), media_type

    assert chosen(ContentNegotiation()) == chosen(DefaultContentNegotiation())


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events/",
        "/api/v1/events/rubio-dar-phone-call-2025-04-07/",
        "/api/v1/",
        "/api/v1/schema/",
    ],
)
def test_an_unknown_format_is_a_400_that_lists_the_formats(client: Client, path: str) -> None:
    """DRF answers `?format=xml` with a bare 404 "Not found.", which names nothing."""
    response = client.get(path, {"format": "xml"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    [message] = response.json()["errors"]["format"]
    assert message.startswith("'xml' is not one of: ")
    assert "json" in message


@pytest.mark.parametrize(
    "accept",
    ["*/*;q=0", "application/json;q=0", "application/json;q=0, text/html;q=0", "*/*; q=0.0"],
)
@pytest.mark.parametrize("path", ["/api/v1/events/", "/api/v1/topics/trade/"])
def test_a_media_type_refused_with_q_0_is_never_sent(
    client: Client, path: str, accept: str
) -> None:
    response = client.get(path, HTTP_ACCEPT=accept)
    assert response.status_code == 406
    assert response["Content-Type"] == "application/problem+json"


def test_q_0_refuses_only_what_it_names(client: Client) -> None:
    response = client.get("/api/v1/events/", HTTP_ACCEPT="application/json, */*;q=0")
    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    response = client.get("/api/v1/events/", HTTP_ACCEPT="text/html;q=0, */*")
    assert (response.status_code, response["Content-Type"]) == (200, "application/json")


@pytest.mark.parametrize(
    ("query", "name"),
    [("bogus=1", "bogus"), ("lang=xx", "lang"), ("format=json&format=yaml", "format")],
)
def test_the_schema_takes_one_format_and_nothing_else(
    client: Client, query: str, name: str
) -> None:
    response = client.get(f"/api/v1/schema/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/", "/api/v1/schema/"])
def test_options_on_a_documentation_page_has_no_body_and_no_type(client: Client, path: str) -> None:
    response = client.options(path)
    assert response.status_code == 200
    assert "GET" in response["Allow"]
    assert response.content == b""
    assert "Content-Type" not in response


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_to_a_url_without_its_slash_is_redirected_keeping_its_method(
    client: Client, method: str
) -> None:
    """308, so that the client sends the same method and body to the slashed URL (a 301
    becomes a GET in most clients); no body, no text/html type."""
    response = client.generic(method, "/api/v1/topics", "{}", content_type="application/json")
    assert (response.status_code, response["Location"]) == (308, "/api/v1/topics/")
    assert "Content-Type" not in response
    assert response.content == b""


def test_a_read_of_a_url_without_its_slash_is_redirected(client: Client) -> None:
    response = client.get("/api/v1/events?country=PK")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/events/?country=PK")
    assert "Content-Type" not in response


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/",
        "/api/v1/vocabularies/",
        "/api/v1/changes/",
        "/api/v1/topics/trade/history/",
        "/api/v1/schema/",
        "/api/v1/topics/trade/",
        "/api/v1/events/",
    ],
)
def test_head_carries_the_etag_get_does_and_its_304(client: Client, path: str) -> None:
    etag = client.get(path)["ETag"]
    head = client.head(path)
    assert (head.status_code, head["ETag"]) == (200, etag)
    assert client.head(path, HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "TRACE"])
def test_the_site_root_only_redirects_reads(method: str) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.get("/")["Location"] == "/api/v1/"
    response = client.generic(method, "/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert client.options("/")["Allow"] == "GET, HEAD, OPTIONS"
