"""The schema's examples are the article's records, and every GET answers 2xx when called with
them, as Swagger UI's "Try it out" calls it (every field pre-filled with its example).

Issue 13: on 15 GET operations the pre-filled request answered 404 or 400 (every `{slug}` was
an event's slug; three tariff-measure operations offered `ordering=-date`). The browser test
(tests/test_browser.py) presses Execute on each operation; this one checks the same requests
cheaply with Django's test client.
"""

import json
import os
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from events import schema_examples
from events.schema import SERVER_MANAGED

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


def test_it_commits_the_examples_the_article_gives(schema: dict[str, Any]) -> None:
    collected = schema_examples.collect(schema)
    if os.environ.get("UPDATE_SCHEMA_EXAMPLES"):
        schema_examples.FILE.write_text(schema_examples.dump(collected), encoding="utf-8")
    everything = schema_examples.load()
    stale = (
        "events/schema_examples.json is stale: run `UPDATE_SCHEMA_EXAMPLES=1 .venv/bin/pytest "
        "tests/test_schema_examples.py`, then `make schema`, and commit both"
    )
    assert everything.keys() == {"responses", "requests", "problems"}, stale
    assert everything["requests"] == collected["requests"], stale
    assert everything["problems"] == collected["problems"], stale
    committed, collected = everything["responses"], collected["responses"]
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


def write_operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation
    ]


def body_example(schema: dict[str, Any], operation: dict[str, Any]) -> Any:
    (example,) = operation["requestBody"]["content"]["application/json"]["examples"].values()
    if "$ref" in example:
        example = schema["components"]["examples"][example["$ref"].split("/")[-1]]
    return example["value"]


def test_it_gives_every_write_a_body_example_of_the_article_without_server_fields(
    schema: dict[str, Any],
) -> None:
    # Audit: no request body had an example; Swagger UI made them up from the patterns (an
    # 88-character slug, "parent": "string", `url` and timestamps set to "string").
    operations = write_operations(schema)
    assert len(operations) == 22  # 7 collections x POST, PUT, PATCH, and the token
    for path, method, operation in operations:
        body = body_example(schema, operation)
        where = f"{method.upper()} {path}"
        if path == "/api/v1/auth/token/":
            assert body == {"username": "editor", "password": "<the user's password>"}
            continue
        component = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        properties = schema["components"]["schemas"][component.split("/")[-1]]["properties"]
        server_managed = {name for name, p in properties.items() if p == SERVER_MANAGED}
        assert server_managed >= {"url", "created_at", "updated_at"}, where
        assert set(body) <= set(properties) - server_managed, where
        assert "string" not in json.dumps(body), where
    events = body_example(schema, schema["paths"]["/api/v1/events/"]["post"])
    assert events["slug"] == "rubio-dar-phone-call-2025-04-07"
    assert events["countries"] == ["PK", "US"]
    assert events["location_country"] is None
    topic = body_example(schema, schema["paths"]["/api/v1/topics/{slug}/"]["put"])
    assert topic["parent"] == "economic-cooperation"
    assert topic["citations"][0]["source"] == "newsx-us-pakistan-talks-2025-04"
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["200"]["content"]
    (answer,) = token["application/json"]["examples"].values()
    assert re.fullmatch(r"[0-9a-f]{40}", answer["value"]["token"])


def test_it_answers_executing_each_write_example_as_its_description_says(
    schema: dict[str, Any], editor: Any
) -> None:
    """PUT and PATCH send the record as it is: 200, nothing changes; POST sends a record that
    exists: the 400 its description and its 400 example show."""
    named = schema["components"]["examples"]
    for path, method, operation in write_operations(schema):
        if path == "/api/v1/auth/token/":
            continue
        body = body_example(schema, operation)
        key = next(iter(body.values()))
        if method == "post":
            response = editor.send("POST", path, body)
            (example,) = operation["responses"]["400"]["content"]["application/problem+json"][
                "examples"
            ].values()
            assert response.status_code == 400, path
            assert response.json() == named[example["$ref"].split("/")[-1]]["value"], path
            assert f"record `{key}`" in operation["description"], path
            assert "Execute answers 400" in operation["description"], path
            continue
        url = re.sub(r"\{\w+\}", key, path)
        before = Client().get(url).json()
        response = editor.send(method.upper(), url, body)
        assert response.status_code == 200, (method, url, response.content[:300])
        after = Client().get(url).json()
        assert {k: v for k, v in after.items() if k != "updated_at"} == {
            k: v for k, v in before.items() if k != "updated_at"
        }, url
        assert "answers 200" in operation["description"], (method, path)


def test_it_shows_the_404_each_record_path_answers(schema: dict[str, Any]) -> None:
    # Nested lists and histories name the record of their collection too.
    named = schema["components"]["examples"]
    client = Client()
    for path, operation in get_operations(schema):
        if "{" not in path:
            continue
        key = next(p["name"] for p in operation["parameters"] if p["in"] == "path")
        url = path.replace("{" + key + "}", schema_examples.MISSING_KEY[key])
        (example,) = operation["responses"]["404"]["content"]["application/problem+json"][
            "examples"
        ].values()
        assert client.get(url).json() == named[example["$ref"].split("/")[-1]]["value"], url
