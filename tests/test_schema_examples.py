"""The schema's examples are the article's records, and every GET answers 2xx when called with
them, as Swagger UI's "Try it out" calls it (every field pre-filled with its example).

Issue 13: on 15 GET operations the pre-filled request answered 404 or 400 (every `{slug}` was
an event's slug; three tariff-measure operations offered `ordering=-date`). The browser test
(tests/test_browser.py) presses Execute on each operation; this one checks the same requests
cheaply with Django's test client.
"""

import json
import os
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from events import schema_examples

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


def test_it_commits_the_response_examples_the_article_gives(schema: dict[str, Any]) -> None:
    collected = schema_examples.collect(schema)
    if os.environ.get("UPDATE_SCHEMA_EXAMPLES"):
        schema_examples.FILE.write_text(schema_examples.dump(collected), encoding="utf-8")
    committed = schema_examples.load()
    stale = (
        "events/schema_examples.json is stale: run `UPDATE_SCHEMA_EXAMPLES=1 .venv/bin/pytest "
        "tests/test_schema_examples.py`, then `make schema`, and commit both"
    )
    assert committed.keys() == collected.keys(), stale
    # What the history shows depends on when the test database loaded the article: its time,
    # and whether a record's citations were loaded within 2 s of it (events/history.py,
    # SAME_WRITE: then one entry, else two). Histories are compared by their shape.
    timed = [path for path in collected if path.endswith(("/history/", "/changes/"))]
    assert len(timed) == 8
    for path in timed:
        assert _shape(committed[path]) == _shape(collected[path]), f"{stale}: {path}"
    exact = {path: body for path, body in collected.items() if path not in timed}
    assert {path: committed[path] for path in exact} == exact, stale


def _shape(page: dict[str, Any]) -> tuple[list[str], set[tuple[str, ...]]]:
    return list(page), {tuple(row) for row in page["results"]}


def test_it_shows_the_articles_records_as_every_json_success_response(
    schema: dict[str, Any],
) -> None:
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for code in ("200", "201"):
                content = operation["responses"].get(code, {}).get("content", {})
                if "application/json" in content and path != "/api/v1/auth/token/":
                    assert "examples" in content["application/json"], f"{method} {path}"
    examples = schema["components"]["examples"]
    event = examples["events_retrieve"]["value"]
    assert event["slug"] == "rubio-dar-phone-call-2025-04-07"
    assert event["url"] == "http://127.0.0.1:8000/api/v1/events/rubio-dar-phone-call-2025-04-07/"
    page = schema["components"]["schemas"]["PaginatedEventListList"]["properties"]
    assert page["next"]["example"] == "http://127.0.0.1:8000/api/v1/events/?page=2&page_size=2"
    # drf-spectacular's made-up paging links are gone.
    assert "api.example.org" not in json.dumps(schema)
