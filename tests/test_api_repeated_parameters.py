"""A parameter given more than once is applied or refused, never cut to one value.

Every query parameter of every operation in openapi.yaml is tried repeated, so a new parameter
is covered as soon as the schema lists it: an array parameter (documented as repeatable and
comma-separable) answers `?p=a&p=b` exactly as `?p=a,b`; any other parameter answers a 400
problem+json naming it (Django's QueryDict.get, and django-filter with it, would keep the last
value and drop the others without a word).
"""

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from events.models import Participant, Source, Statement, TariffMeasure, Topic

from .conftest import TokenClient

pytestmark = pytest.mark.usefixtures("article")

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = yaml.safe_load((ROOT / "openapi.yaml").read_text())
GIVEN_TWICE = ["Given more than once: this parameter takes one value, so give it once."]
# Values for parameters the schema gives no example for.
VALUES = {"cursor": "start"}


def query_parameters() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, parameter) for every query parameter of every operation."""
    return [
        (method, path, parameter)
        for path, operations in SCHEMA["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]


PARAMETERS = query_parameters()
REPEATABLE = [case for case in PARAMETERS if case[2]["schema"].get("type") == "array"]
SINGLE = [case for case in PARAMETERS if case[2]["schema"].get("type") != "array"]


def ids(cases: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [f"{method.upper()} {path} {parameter['name']}" for method, path, parameter in cases]


def concrete(path: str) -> str:
    """The path with its placeholders filled with records of the article data set."""
    collection = path.split("/")[3]
    models: dict[str, Any] = {
        "events": None,
        "participants": Participant,
        "topics": Topic,
        "tariff-measures": TariffMeasure,
        "statements": Statement,
        "sources": Source,
    }
    if "{slug}" in path:
        model = models[collection]
        slug = "rubio-dar-phone-call-2025-04-07" if model is None else model.objects.first().slug
        path = path.replace("{slug}", slug)
    return path.replace("{iso2}", "PK")


def required(path: str, method: str, but: str) -> list[tuple[str, str]]:
    """The operation's other required query parameters, at their examples."""
    operation = SCHEMA["paths"][path][method]
    return [
        (p["name"], str(p["example"]))
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required") and p["name"] != but
    ]


def encode(pairs: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(pairs)


def two_values(parameter: dict[str, Any]) -> list[str]:
    items = parameter["schema"]["items"]
    example = [str(value) for value in parameter["example"]]
    others = [str(value) for value in items.get("enum", []) if str(value) not in example]
    return [example[0], others[0] if others else example[0]]


def comparable(response: Any) -> Any:
    """The answer without its links (which repeat the query as it was written)."""
    assert response.status_code == 200, response.content[:500]
    if response["Content-Type"].startswith("application/json"):
        data = response.json()
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if key not in ("next", "previous")}
        return data
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_schema_lists_parameters_of_both_kinds() -> None:
    # The test below would pass on an empty schema.
    assert len(REPEATABLE) > 40
    assert len(SINGLE) > 60
    names = {parameter["name"] for _, _, parameter in SINGLE}
    assert {"page", "page_size", "cursor", "format", "q", "group_by", "since", "after"} <= names
    assert {"updated_since", "date_from", "rate_min", "effective_on"} <= names
    repeatable = {parameter["name"] for _, _, parameter in REPEATABLE}
    assert {"ordering", "country", "publisher", "event_type", "cameo"} <= repeatable


@pytest.mark.parametrize(("method", "path", "parameter"), SINGLE, ids=ids(SINGLE))
def test_it_refuses_a_single_valued_parameter_given_twice(
    client: Client, method: str, path: str, parameter: dict[str, Any]
) -> None:
    name = parameter["name"]
    value = str(parameter.get("example", VALUES.get(name)))
    query = encode([*required(path, method, name), (name, value), (name, value)])
    response = client.generic(method.upper(), f"{concrete(path)}?{query}")
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {name: GIVEN_TWICE}


@pytest.mark.parametrize(("method", "path", "parameter"), REPEATABLE, ids=ids(REPEATABLE))
def test_it_applies_every_value_of_a_repeated_parameter(
    client: Client, method: str, path: str, parameter: dict[str, Any]
) -> None:
    name = parameter["name"]
    first, second = two_values(parameter)
    others = required(path, method, name)
    repeated = client.get(f"{concrete(path)}?{encode([*others, (name, first), (name, second)])}")
    joined = client.get(f"{concrete(path)}?{encode([*others, (name, f'{first},{second}')])}")
    assert comparable(repeated) == comparable(joined)


def test_it_sorts_by_every_repeated_ordering_key(client: Client) -> None:
    # The regression: `ordering=title&ordering=-date` sorted by -date alone.
    def slugs(query: str) -> list[str]:
        response = client.get(f"/api/v1/events/?{query}&page_size=100")
        return [event["slug"] for event in response.json()["results"]]

    by_title = slugs("ordering=title,-date")
    assert slugs("ordering=title&ordering=-date") == by_title
    assert by_title != slugs("ordering=-date")
    titles = [e["title"] for e in client.get("/api/v1/events/?ordering=title").json()["results"]]
    assert titles == sorted(titles)


def test_it_reads_every_repeated_publisher(client: Client) -> None:
    publishers = sorted({source.publisher for source in Source.objects.all()})
    assert len(publishers) >= 2
    query = "&".join(f"publisher={name}" for name in publishers[:2])
    shown = {s["publisher"] for s in client.get(f"/api/v1/sources/?{query}").json()["results"]}
    assert shown == set(publishers[:2])


def test_it_refuses_a_repeated_parameter_on_a_write_and_changes_nothing(
    editor: TokenClient,
) -> None:
    before = editor.get("/api/v1/topics/trade/").json()
    response = editor.patch(
        "/api/v1/topics/trade/?format=json&format=json",
        {"description": "Changed"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["errors"]) == (400, {"format": GIVEN_TWICE})
    assert editor.get("/api/v1/topics/trade/").json() == before


def test_it_refuses_a_repeated_parameter_even_with_a_current_etag(client: Client) -> None:
    # A list answers 304 before it is filtered: the parameters are checked before either.
    etag = client.get("/api/v1/events/?page=1")["ETag"]
    response = client.get("/api/v1/events/?page=1&page=1", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 400
