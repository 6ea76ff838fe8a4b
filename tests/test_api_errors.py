"""Every error under /api/ is application/problem+json (RFC 9457), never HTML or a traceback."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.error_urls")]


def problem(status: int, title: str, detail: str, **extra: object) -> dict[str, object]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def assert_problem(response: object, body: dict[str, object]) -> None:
    assert response["Content-Type"] == "application/problem+json"  # type: ignore[index]
    assert response.status_code == body["status"]  # type: ignore[attr-defined]
    assert response.json() == body  # type: ignore[attr-defined]


def test_it_answers_400_naming_each_bad_parameter(client: Client) -> None:
    response = client.get("/api/v1/events/", {"date_from": "2025-13-45", "colour": "red"})
    assert_problem(
        response,
        problem(
            400,
            "Bad Request",
            "Invalid input: colour. See `errors` for what is wrong with each.",
            errors={
                "colour": [
                    "Unknown query parameter. Allowed here: cameo, country, cursor, date_from, date_to, "
                    "event_type, format, ordering, page, page_size, participant, q, topic, "
                    "updated_since."
                ]
            },
        ),
    )


@pytest.mark.parametrize(
    ("path", "params", "errors"),
    [
        ("/api/v1/events/", {"date_from": "2025-13-45"}, {"date_from": ["Enter a valid date."]}),
        (
            "/api/v1/events/",
            {"date_to": "yesterday"},
            {"date_to": ["Enter a date as YYYY-MM-DD (ISO 8601, digits 0-9), e.g. 2025-04-07."]},
        ),
        (
            "/api/v1/events/",
            {"updated_since": "2025-04-07 25:00"},
            {"updated_since": ["Enter a valid date/time."]},
        ),
        (
            "/api/v1/tariff-measures/",
            {"rate_min": "abc"},
            {"rate_min": ["Enter a number in digits 0-9, e.g. 29 or 10.5."]},
        ),
        (
            "/api/v1/tariff-measures/",
            {"rate_max": "NaN"},
            {"rate_max": ["Enter a number in digits 0-9, e.g. 29 or 10.5."]},
        ),
        (
            "/api/v1/tariff-measures/",
            {"status": "rumoured"},
            {"status": ["'rumoured' is not one of: announced, in_force, suspended, withdrawn."]},
        ),
        (
            "/api/v1/events/",
            {"event_type": "phone_call,party"},
            {
                "event_type": [
                    "'party' is not one of: phone_call, meeting, visit, statement, policy_announcement, negotiation, agreement, sanction, arrest, attack, military_operation, protest."
                ]
            },
        ),
        (
            "/api/v1/events/",
            {"topic": "trade,nothing"},
            {"topic": ["No record has nothing as its identifier."]},
        ),
        (
            "/api/v1/events/",
            {"participant": "nobody"},
            {"participant": ["No record has nobody as its identifier."]},
        ),
        ("/api/v1/events/", {"country": "XX"}, {"country": ["XX is not a known country code."]}),
        (
            "/api/v1/events/",
            {"country": "PK,"},
            {"country": ["Empty value: give one or more values, separated by commas."]},
        ),
        (
            "/api/v1/events/",
            {"cameo": "21"},
            {"cameo": ["'21' is not a CAMEO code prefix (01 to 20, then up to two digits)."]},
        ),
        (
            "/api/v1/events/",
            {"ordering": "colour"},
            {"ordering": ["Select a valid choice. colour is not one of the available choices."]},
        ),
        (
            "/api/v1/events/",
            {"page": "0"},
            {
                "page": [
                    "Must be a whole number (digits 0-9) of at least 1 (at most 18 digits); got '0'."
                ]
            },
        ),
        (
            "/api/v1/events/",
            {"page": "\u00b2"},
            {
                "page": [
                    "Must be a whole number (digits 0-9) of at least 1 (at most 18 digits); got '\u00b2'."
                ]
            },
        ),
        (
            "/api/v1/events/",
            {"ordering": "date,"},
            {"ordering": ["Empty item: give sort keys separated by commas, e.g. title,-date."]},
        ),
        (
            "/api/v1/events/",
            {"ordering": ","},
            {"ordering": ["Empty item: give sort keys separated by commas, e.g. title,-date."]},
        ),
        (
            "/api/v1/events/",
            {"page": "-1"},
            {
                "page": [
                    "Must be a whole number (digits 0-9) of at least 1 (at most 18 digits); got '-1'."
                ]
            },
        ),
        (
            "/api/v1/events/",
            {"page_size": "1000000000"},
            {
                "page_size": [
                    "Must be a whole number (digits 0-9) of at least 1 and at most 100; got '1000000000'."
                ]
            },
        ),
        (
            "/api/v1/events/",
            {"q": "x" * 501},
            {"q": ["Ensure this value has at most 500 characters (it has 501)."]},
        ),
        (
            "/api/v1/sources/",
            {"publisher": ""},
            {"publisher": ["Empty value: give a value or leave the parameter out."]},
        ),
        (
            "/api/v1/sources/",
            {"publisher": "Reuters,"},
            {"publisher": ["Empty value: give one or more values, separated by commas."]},
        ),
        (
            "/api/v1/events/",
            {"date_from": " "},
            {"date_from": ["Empty value: give a value or leave the parameter out."]},
        ),
        (
            "/api/v1/events/",
            {"country": ""},
            {"country": ["Empty value: give a value or leave the parameter out."]},
        ),
        (
            "/api/v1/events/rubio-dar-phone-call-2025-04-07/",
            {"country": "PK"},
            {"country": ["Unknown query parameter. Allowed here: format."]},
        ),
        ("/api/v1/", {"page": "1"}, {"page": ["Unknown query parameter. Allowed here: format."]}),
    ],
)
def test_it_answers_400_for_a_malformed_parameter(
    client: Client, path: str, params: dict[str, str], errors: dict[str, list[str]]
) -> None:
    response = client.get(path, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == errors


def test_it_answers_401_with_an_authenticate_header(client: Client) -> None:
    response = client.get("/api/test/fail/401/")
    assert_problem(
        response, problem(401, "Unauthorized", "Authentication credentials were not provided.")
    )
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_it_answers_403(client: Client) -> None:
    assert_problem(
        client.get("/api/test/fail/403/"),
        problem(403, "Forbidden", "You do not have permission to perform this action."),
    )


def test_it_answers_404_for_a_missing_record(client: Client) -> None:
    assert_problem(
        client.get("/api/v1/topics/nothing/"),
        problem(404, "Not Found", "No topic has the slug 'nothing'."),
    )


def test_it_answers_404_for_a_page_past_the_end(client: Client) -> None:
    assert_problem(
        client.get("/api/v1/events/", {"page": "3", "page_size": "4"}),
        problem(404, "Not Found", "Page 3 does not exist: there are 2 pages of 4 results."),
    )


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/nothing/", "/api/v2/events/"])
def test_it_answers_404_for_an_unknown_url(client: Client, path: str) -> None:
    assert_problem(client.get(path), problem(404, "Not Found", f"Nothing is published at {path}."))


def test_it_answers_405_for_a_method_the_resource_lacks(client: Client) -> None:
    response = client.delete("/api/v1/")
    assert_problem(response, problem(405, "Method Not Allowed", 'Method "DELETE" not allowed.'))
    assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("accept", ["text/csv", "application/xml"])
def test_it_answers_406_for_a_format_it_cannot_give(client: Client, accept: str) -> None:
    assert_problem(
        client.get("/api/v1/events/", HTTP_ACCEPT=accept),
        problem(406, "Not Acceptable", "Could not satisfy the request Accept header."),
    )


def test_it_answers_415_for_a_body_it_cannot_read(client: Client) -> None:
    response = client.post("/api/test/fail/415/", "a=1", content_type="text/plain")
    assert_problem(
        response,
        problem(415, "Unsupported Media Type", 'Unsupported media type "text/plain" in request.'),
    )


def test_it_answers_429_with_retry_after(client: Client) -> None:
    response = client.get("/api/test/fail/429/")
    assert_problem(
        response,
        problem(
            429, "Too Many Requests", "Request was throttled. Expected available in 13 seconds."
        ),
    )
    assert response["Retry-After"] == "13"


def test_it_answers_500_without_internals_and_logs_the_traceback(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/api/test/fail/500/")
    assert_problem(
        response,
        problem(
            500,
            "Internal Server Error",
            "The server failed to answer this request; the error has been logged.",
        ),
    )
    assert b"secret internals" not in response.content
    assert "boom: secret internals" in caplog.text


def test_it_answers_500_as_a_problem_outside_drf_too() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/api/test/plain-failure/")
    assert_problem(
        response,
        problem(
            500,
            "Internal Server Error",
            "The server failed to answer this request; the error has been logged.",
        ),
    )


def test_it_answers_json_errors_to_a_browser_asking_for_html(client: Client) -> None:
    response = client.get("/api/v1/events/", {"colour": "red"}, HTTP_ACCEPT="text/html")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400


def test_it_does_not_cache_errors(client: Client) -> None:
    response = client.get("/api/v1/events/nothing/")
    assert response["Cache-Control"] == "no-store"
    assert not response.has_header("ETag")
