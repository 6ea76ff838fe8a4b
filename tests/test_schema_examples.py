"""The schema's examples are the article's records, and every GET answers 2xx when called with
them, as Swagger UI's "Try it out" calls it (every field pre-filled with its example).

Issue 13: on 15 GET operations the pre-filled request answered 404 or 400 (every `{slug}` was
an event's slug; three tariff-measure operations offered `ordering=-date`). The browser test
(tests/test_browser.py) presses Execute on each operation; this one checks the same requests
cheaply with Django's test client.
"""

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_setup: None, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def get_operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, methods["get"]) for path, methods in schema["paths"].items() if "get" in methods]


def example_request(path: str, operation: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The URL and headers Swagger UI sends when Execute is pressed on the untouched form."""
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        if "example" not in parameter:
            continue
        name, value, where = parameter["name"], parameter["example"], parameter["in"]
        if where == "path":
            path = path.replace("{" + name + "}", str(value))
        elif where == "header":
            headers[name] = str(value)
        elif isinstance(value, list) and parameter.get("explode", True):
            query.extend((name, str(item)) for item in value)
        elif isinstance(value, list):
            query.append((name, ",".join(str(item) for item in value)))
        else:
            query.append((name, str(value)))
    return (path + ("?" + urlencode(query) if query else "")), headers


def test_it_answers_every_get_called_with_its_examples(schema: dict[str, Any]) -> None:
    client = Client()
    refused = {}
    for path, operation in get_operations(schema):
        url, headers = example_request(path, operation)
        response = client.get(url, headers=headers)
        if not 200 <= response.status_code < 300:
            refused[url] = (response.status_code, response.content[:300])
    assert refused == {}
    assert len(get_operations(schema)) >= 30


def test_it_names_a_record_of_the_operations_own_collection_in_each_path(
    schema: dict[str, Any],
) -> None:
    # A 200 could also come from a list that ignores a bad slug: name the record outright.
    slugs = {
        path: next(p["example"] for p in operation["parameters"] if p["in"] == "path")
        for path, operation in get_operations(schema)
        if "{" in path
    }
    assert slugs["/api/v1/events/{slug}/"] == "rubio-dar-phone-call-2025-04-07"
    assert slugs["/api/v1/participants/{slug}/"] == "marco-rubio"
    assert slugs["/api/v1/participants/{slug}/events/"] == "marco-rubio"
    assert slugs["/api/v1/topics/{slug}/"] == "critical-minerals"
    assert slugs["/api/v1/topics/{slug}/events/"] == "critical-minerals"
    assert (
        slugs["/api/v1/tariff-measures/{slug}/"] == "us-reciprocal-tariff-pakistan-29-percent-2025"
    )
    assert slugs["/api/v1/statements/{slug}/"] == "state-department-on-rubio-dar-call"
    assert slugs["/api/v1/sources/{slug}/"] == "reuters-washington-2025-04-07"
    assert slugs["/api/v1/countries/{iso2}/"] == "PK"
    for path, slug in slugs.items():
        if path.endswith("/history/"):
            assert slug == slugs[path.removesuffix("history/")], path
