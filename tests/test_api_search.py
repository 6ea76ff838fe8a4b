"""`q`: PostgreSQL full-text search, and the SQLite fallback giving the same results for plain
words. CI runs this file on both databases."""

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
    from django.contrib.postgres.search import SearchQuery

    model = apps.get_model("events", model_name)
    queryset = model.objects.annotate(_search=search.vector(fields)).filter(
        _search=SearchQuery("tariff", search_type="websearch", config=search.CONFIG)
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert f"{model_name}_search" in plan, plan
