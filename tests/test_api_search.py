"""`q`: PostgreSQL full-text search, and the SQLite fallback giving the same results for plain
words. CI runs this file on both databases."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from events import search
from events.models import Event

pytestmark = pytest.mark.usefixtures("article")

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search (CI runs it)"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite fallback")


def slugs(client: Client, path: str, **params: str) -> list[str]:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


# Plain words: the same answer on both databases.
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Kabul", {"kabul-airport-attack-2021-08-26", "mohammad-sharifullah-arrested-2025-03"}),
        ("critical minerals Ukraine", {"us-ukraine-critical-minerals-talks"}),
        ("immigration", {"rubio-dar-phone-call-2025-04-07"}),
        ("BASELINE", {"us-reciprocal-tariffs-announced-2025-04-02"}),
        ("zanzibar", set()),
    ],
)
def test_it_finds_events_by_plain_words(client: Client, q: str, expected: set[str]) -> None:
    assert set(slugs(client, "/api/v1/events/", q=q)) == expected


def test_it_finds_an_event_through_its_statements(client: Client) -> None:
    # "fair" appears in no event's title or summary, only in the State Department's statement
    # about the call.
    assert (
        not Event.objects.filter(summary__icontains="fair and")
        .exclude(slug__contains="call")
        .exists()
    )
    assert "rubio-dar-phone-call-2025-04-07" in slugs(client, "/api/v1/events/", q="balanced")


def test_it_finds_nothing_for_a_query_without_words(client: Client) -> None:
    assert slugs(client, "/api/v1/events/", q="!!! ???") == []


@on_postgres
def test_it_stems_words_on_postgres(client: Client) -> None:
    assert "us-reciprocal-tariffs-announced-2025-04-02" in slugs(
        client, "/api/v1/events/", q="tariff"
    )
    assert "us-reciprocal-tariffs-announced-2025-04-02" in slugs(
        client, "/api/v1/events/", q="announcing"
    )


@on_postgres
def test_it_understands_web_search_syntax_on_postgres(client: Client) -> None:
    assert slugs(client, "/api/v1/events/", q='"suicide bombing"') == [
        "kabul-airport-attack-2021-08-26"
    ]
    found = slugs(client, "/api/v1/events/", q="minerals -Ukraine")
    assert "us-ukraine-critical-minerals-talks" not in found
    assert "us-dr-congo-critical-minerals-talks" in found
    assert set(slugs(client, "/api/v1/events/", q="Ukraine or Kabul")) == {
        "us-ukraine-critical-minerals-talks",
        "kabul-airport-attack-2021-08-26",
        "mohammad-sharifullah-arrested-2025-03",
    }


@on_postgres
def test_it_ranks_by_relevance_unless_an_order_is_asked_for(client: Client) -> None:
    # The attack names Kabul in its title and summary, the later arrest once in its summary.
    assert slugs(client, "/api/v1/events/", q="Kabul") == [
        "kabul-airport-attack-2021-08-26",
        "mohammad-sharifullah-arrested-2025-03",
    ]
    assert slugs(client, "/api/v1/events/", q="Kabul", ordering="-date") == [
        "mohammad-sharifullah-arrested-2025-03",
        "kabul-airport-attack-2021-08-26",
    ]


@on_sqlite
def test_it_matches_whole_words_without_stemming_on_sqlite(client: Client) -> None:
    assert slugs(client, "/api/v1/events/", q="tariff") != []  # "tariff" occurs in "tariffs"
    assert slugs(client, "/api/v1/events/", q="announcing") == []


@on_postgres
@pytest.mark.parametrize(
    ("model_name", "fields"),
    [
        ("event", search.EVENT_FIELDS),
        ("statement", search.STATEMENT_FIELDS),
        ("tariffmeasure", search.TARIFF_MEASURE_FIELDS),
        ("participant", search.PARTICIPANT_FIELDS),
        ("topic", search.TOPIC_FIELDS),
        ("country", search.COUNTRY_FIELDS),
        ("source", search.SOURCE_FIELDS),
    ],
)
def test_it_searches_through_the_gin_index_on_postgres(
    model_name: str, fields: tuple[str, ...]
) -> None:
    from django.apps import apps

    model = apps.get_model("events", model_name)
    # The search as the API runs it (the expression must be the index's, as the index was
    # created from Django's SearchVector by migration 0004).
    queryset = search.search(model.objects.all(), "tariff", fields)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert f"{model_name}_search" in plan, plan


def _search_combinations() -> list[tuple[str, str, dict[str, Any]]]:
    """(path, q's example, parameter) for every other filter of every list that takes `q`."""
    from .test_api_repeated_parameters import SCHEMA

    found = []
    for path, operations in SCHEMA["paths"].items():
        parameters = [
            p for p in operations.get("get", {}).get("parameters", []) if p["in"] == "query"
        ]
        by_name = {p["name"]: p for p in parameters}
        if "q" not in by_name:
            continue
        for parameter in parameters:
            # Pagination and `format` do not filter; `cursor` needs `ordering` beside `q`.
            if parameter["name"] not in ("q", "page", "page_size", "cursor", "format"):
                found.append((path, str(by_name["q"]["example"]), parameter))
    return found


SEARCH_COMBINATIONS = _search_combinations()


@pytest.mark.parametrize(
    ("path", "q", "parameter"),
    SEARCH_COMBINATIONS,
    ids=[f"{path} q+{parameter['name']}" for path, _, parameter in SEARCH_COMBINATIONS],
)
def test_a_ranked_search_combines_with_every_other_filter(
    client: Client, path: str, q: str, parameter: dict[str, Any]
) -> None:
    """A ranked `q` beside any filter of its list, as a client combines them (a multiple-choice
    filter once made the query SELECT DISTINCT, which PostgreSQL refuses beside the rank's
    ORDER BY when parameters are bound apart: a 500 that `make bench` found)."""
    from .test_api_repeated_parameters import concrete, required

    example = parameter["example"]
    value = ",".join(map(str, example)) if isinstance(example, list) else str(example)
    params = {**dict(required(path, "get", parameter["name"])), "q": q, parameter["name"]: value}
    response = client.get(concrete(path), params)
    assert response.status_code == 200, response.content[:500]


def test_the_search_combinations_cover_the_multiple_choice_filters() -> None:
    names = {(path, parameter["name"]) for path, _, parameter in SEARCH_COMBINATIONS}
    assert ("/api/v1/events/", "event_type") in names
    assert ("/api/v1/events/", "cameo") in names
    assert ("/api/v1/statements/", "speaker") in names
    assert len(names) > 40
