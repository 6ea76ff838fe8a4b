"""The other collections on the article: participants, countries, topics, statements, sources;
the API root; the event statistics."""

import collections
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("article")


def get(client: Client, path: str, **params: Any) -> Any:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


def slugs(client: Client, path: str, key: str = "slug", **params: Any) -> list[str]:
    found = [row[key] for row in get(client, path, **params)["results"]]
    # `q` orders by relevance on PostgreSQL and keeps the list order on SQLite.
    return sorted(found) if "q" in params else found


def test_it_lists_the_resources_at_the_root(client: Client) -> None:
    assert get(client, "/api/v1/") == {
        "events": "http://testserver/api/v1/events/",
        "participants": "http://testserver/api/v1/participants/",
        "countries": "http://testserver/api/v1/countries/",
        "topics": "http://testserver/api/v1/topics/",
        "tariff-measures": "http://testserver/api/v1/tariff-measures/",
        "statements": "http://testserver/api/v1/statements/",
        "sources": "http://testserver/api/v1/sources/",
        "changes": "http://testserver/api/v1/changes/",
        "vocabularies": "http://testserver/api/v1/vocabularies/",
        "schema": "http://testserver/api/v1/schema/",
        "docs": "http://testserver/api/v1/docs/",
        "redoc": "http://testserver/api/v1/redoc/",
    }


def test_it_redirects_the_site_root_to_the_api(client: Client) -> None:
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/api/v1/")


# --- participants -----------------------------------------------------------------------------


def test_it_lists_participants_by_name(client: Client) -> None:
    rows = get(client, "/api/v1/participants/")["results"]
    assert [row["slug"] for row in rows] == [
        "donald-trump",
        "ishaq-dar",
        "marco-rubio",
        "pakistan-ministry-of-foreign-affairs",
        "mohammad-sharifullah",
        "tammy-bruce",
        "us-department-of-state",
    ]
    dar = rows[1]
    assert dar == {
        "url": "http://testserver/api/v1/participants/ishaq-dar/",
        "slug": "ishaq-dar",
        "name": "Ishaq Dar",
        "kind": "person",
        "aliases": [],
        "office": "Deputy Prime Minister and Foreign Minister",
        "country": "PK",
        "affiliation": {
            "url": "http://testserver/api/v1/participants/pakistan-ministry-of-foreign-affairs/",
            "slug": "pakistan-ministry-of-foreign-affairs",
            "name": "Ministry of Foreign Affairs of Pakistan",
            "kind": "organization",
        },
        "updated_at": "2026-11-27T00:00:00Z",
    }


def test_it_shows_an_organizations_members_and_citations(client: Client) -> None:
    body = get(client, "/api/v1/participants/us-department-of-state/")
    assert [m["slug"] for m in body["members"]] == ["marco-rubio", "tammy-bruce"]
    assert body["aliases"] == ["State Department"]
    assert body["country"]["iso2"] == "US"
    assert (
        body["events_url"] == "http://testserver/api/v1/participants/us-department-of-state/events/"
    )
    assert [c["excerpt"] for c in body["citations"]] == ["the State Department said"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"kind": "organization"},
            ["pakistan-ministry-of-foreign-affairs", "us-department-of-state"],
        ),
        ({"country": "PK"}, ["ishaq-dar", "pakistan-ministry-of-foreign-affairs"]),
        ({"affiliation": "us-department-of-state"}, ["marco-rubio", "tammy-bruce"]),
        ({"event": "rubio-dar-phone-call-2025-04-07"}, ["ishaq-dar", "marco-rubio"]),
        ({"q": "Secretary"}, ["marco-rubio"]),
        ({"q": "foreign ministry"}, ["pakistan-ministry-of-foreign-affairs"]),
    ],
)
def test_it_filters_participants(
    client: Client, params: dict[str, str], expected: list[str]
) -> None:
    assert slugs(client, "/api/v1/participants/", **params) == expected


def test_it_refuses_a_person_as_an_affiliation_filter(client: Client) -> None:
    response = client.get("/api/v1/participants/", {"affiliation": "marco-rubio"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "affiliation": ["No record has marco-rubio as its identifier."]
    }


# --- countries --------------------------------------------------------------------------------


def test_it_lists_countries_by_name(client: Client) -> None:
    assert slugs(client, "/api/v1/countries/", key="iso2") == ["AF", "CD", "PK", "UA", "US"]


def test_it_finds_a_country_by_code_in_any_case(client: Client) -> None:
    body = get(client, "/api/v1/countries/cd/")
    assert (body["url"], body["iso3"], body["name"]) == (
        "http://testserver/api/v1/countries/CD/",
        "COD",
        "Democratic Republic of the Congo",
    )
    assert body["events_url"] == "http://testserver/api/v1/countries/CD/events/"
    assert {c["source"]["publisher"] for c in body["citations"]} == {
        "NewsX",
        "Reuters",
        "India Today",
    }


@pytest.mark.parametrize(
    ("q", "expected"), [("congo", ["CD"]), ("PAK", ["PK"]), ("united", ["US"])]
)
def test_it_searches_countries(client: Client, q: str, expected: list[str]) -> None:
    assert slugs(client, "/api/v1/countries/", key="iso2", q=q) == expected


# --- topics -----------------------------------------------------------------------------------


def test_it_shows_a_topics_place_in_the_tree(client: Client) -> None:
    body = get(client, "/api/v1/topics/tariffs/")
    assert body["parent"]["slug"] == "trade"
    assert [c["slug"] for c in body["children"]] == ["reciprocal-tariffs"]
    assert body["events_url"] == "http://testserver/api/v1/topics/tariffs/events/"
    row = next(r for r in get(client, "/api/v1/topics/")["results"] if r["slug"] == "tariffs")
    assert row["parent"] == "trade"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"parent": "trade"}, ["tariffs", "trade-balance"]),
        ({"parent": "trade,immigration"}, ["illegal-immigration", "tariffs", "trade-balance"]),
        ({"q": "minerals"}, ["critical-minerals"]),
    ],
)
def test_it_filters_topics(client: Client, params: dict[str, str], expected: list[str]) -> None:
    assert slugs(client, "/api/v1/topics/", **params) == expected


# --- statements -------------------------------------------------------------------------------


def test_it_lists_statements_with_speaker_and_event(client: Client) -> None:
    rows = get(client, "/api/v1/statements/")["results"]
    state = next(r for r in rows if r["slug"] == "state-department-on-rubio-dar-call")
    assert state["speaker"]["slug"] == "us-department-of-state"
    assert state["event"]["slug"] == "rubio-dar-phone-call-2025-04-07"
    assert state["text"].startswith("They (Rubio and Dar) discussed U.S. reciprocal tariffs")
    assert (state["kind"], state["stated_on"], state["date_precision"]) == (
        "press_release",
        "2025-04-01",
        "month",
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"speaker": "pakistan-ministry-of-foreign-affairs"},
            ["pakistan-foreign-ministry-on-rubio-dar-call"],
        ),
        (
            {"event": "rubio-dar-phone-call-2025-04-07"},
            ["pakistan-foreign-ministry-on-rubio-dar-call", "state-department-on-rubio-dar-call"],
        ),
        # Known to the month: April 2025 reaches 30 April.
        (
            {"date_from": "2025-04-30"},
            ["pakistan-foreign-ministry-on-rubio-dar-call", "state-department-on-rubio-dar-call"],
        ),
        ({"date_from": "2025-05-01"}, []),
        ({"date_to": "2025-03-31"}, []),
        ({"q": "reciprocal tariffs"}, ["state-department-on-rubio-dar-call"]),
    ],
)
def test_it_filters_statements(client: Client, params: dict[str, str], expected: list[str]) -> None:
    assert slugs(client, "/api/v1/statements/", **params) == expected


def test_it_shows_a_statements_citations(client: Client) -> None:
    body = get(client, "/api/v1/statements/pakistan-foreign-ministry-on-rubio-dar-call/")
    assert body["date_note"].startswith("Released after the call of 7 April 2025")
    assert {c["field"] for c in body["citations"]} == {"text", "stated_on"}


# --- sources ----------------------------------------------------------------------------------


def test_it_lists_sources(client: Client) -> None:
    rows = get(client, "/api/v1/sources/")["results"]
    article = next(r for r in rows if r["slug"] == "newsx-us-pakistan-talks-2025-04")
    assert article == {
        "url": "http://testserver/api/v1/sources/newsx-us-pakistan-talks-2025-04/",
        "slug": "newsx-us-pakistan-talks-2025-04",
        "title": "US and Pakistan hold talks on tariffs, critical minerals and immigration amid "
        "trade tensions",
        "publisher": "NewsX",
        "web_url": "https://newsx.com/world/us-and-pakistan-hold-talks-on-tariffs-critical-"
        "minerals-and-immigration-amid-trade-tensions/",
        "published_on": "2025-04-01",
        "published_precision": "month",
        "language": "en",
        "body_kind": "full_text",
        "updated_at": "2026-11-27T00:00:00Z",
    }


def test_it_shows_a_sources_text_and_every_fact_it_supports(client: Client) -> None:
    body = get(client, "/api/v1/sources/urdupoint-app-2025-04-08/")
    assert body["body_kind"] == "research_notes"
    assert "Tammy Bruce" in body["body"]
    supports = sorted((c["supports"]["type"], c["supports"]["url"]) for c in body["citations"])
    assert supports == [
        (
            "event",
            "http://testserver/api/v1/events/us-state-department-statement-on-rubio-dar-call/",
        ),
        ("participant", "http://testserver/api/v1/participants/tammy-bruce/"),
        (
            "participation",
            "http://testserver/api/v1/events/us-state-department-statement-on-rubio-dar-call/",
        ),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"publisher": "reuters"}, ["reuters-washington-2025-04-07"]),
        (
            {"publisher": "NDTV,India Today"},
            ["india-today-us-dr-congo-minerals", "ndtv-us-pakistan-call-2025-04-08"],
        ),
        (
            {"q": "executive order"},
            [
                "executive-order-14257",
                "executive-order-2025-04-09-modifying-reciprocal-tariff-rates",
            ],
        ),
    ],
)
def test_it_filters_sources(client: Client, params: dict[str, str], expected: list[str]) -> None:
    assert slugs(client, "/api/v1/sources/", **params) == expected


# --- statistics -------------------------------------------------------------------------------


def test_it_counts_events_by_month_in_chronological_order(client: Client) -> None:
    assert get(client, "/api/v1/events/stats/", group_by="month") == [
        {"key": "2021-08", "label": "August 2021", "count": 1},
        {"key": "2025-03", "label": "March 2025", "count": 1},
        {"key": "2025-04", "label": "April 2025", "count": 6},
    ]


def test_it_counts_events_by_type_highest_first(client: Client) -> None:
    assert get(client, "/api/v1/events/stats/", group_by="event_type") == [
        {"key": "negotiation", "label": "Negotiation", "count": 2},
        {"key": "statement", "label": "Statement", "count": 2},
        {"key": "arrest", "label": "Arrest", "count": 1},
        {"key": "attack", "label": "Attack", "count": 1},
        {"key": "phone_call", "label": "Phone call", "count": 1},
        {"key": "policy_announcement", "label": "Policy announcement", "count": 1},
    ]


def test_it_counts_events_by_country_with_the_event_filters(client: Client) -> None:
    assert get(client, "/api/v1/events/stats/", group_by="country", topic="critical-minerals") == [
        {"key": "US", "label": "United States", "count": 3},
        {"key": "PK", "label": "Pakistan", "count": 2},
        {"key": "CD", "label": "Democratic Republic of the Congo", "count": 1},
        {"key": "UA", "label": "Ukraine", "count": 1},
    ]


@pytest.mark.parametrize("group_by", ["country", "topic", "event_type"])
def test_stats_count_what_the_list_lists_whatever_the_filters(
    client: Client, group_by: str
) -> None:
    # Every filter written as SQL of its own (dates, several countries, a topic and the topics
    # below it, a participant): the stats read the filtered events as a subquery.
    filters = {
        "date_from": "2025-02-01",
        "date_to": "2025-12-31",
        "country": "PK,US",
        "topic": "economic-cooperation",
        "participant": "marco-rubio",
    }
    listed = get(client, "/api/v1/events/", page_size=100, **filters)["results"]
    assert listed
    field = {"country": "countries", "topic": "topics", "event_type": "event_type"}[group_by]
    expected = collections.Counter(
        key for row in listed for key in ([row[field]] if group_by == "event_type" else row[field])
    )
    rows = get(client, "/api/v1/events/stats/", group_by=group_by, **filters)
    assert {row["key"]: row["count"] for row in rows} == expected


def test_it_counts_events_by_topic(client: Client) -> None:
    rows = get(client, "/api/v1/events/stats/", group_by="topic", country="PK")
    assert rows[:3] == [
        {"key": "critical-minerals", "label": "Critical minerals", "count": 2},
        {"key": "investment", "label": "Investment", "count": 2},
        {"key": "reciprocal-tariffs", "label": "Reciprocal tariffs", "count": 2},
    ]


def test_it_counts_a_year_precision_event_under_its_year(client: Client) -> None:
    from .factories import EventFactory

    EventFactory.create(start_date="2019-01-01", date_precision="year")
    rows = get(client, "/api/v1/events/stats/", group_by="month", date_to="2019-12-31")
    assert rows == [{"key": "2019", "label": "2019 (month not known)", "count": 1}]


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({}, {"group_by": ["Required: one of month, event_type, topic, country."]}),
        (
            {"group_by": "week"},
            {
                "group_by": [
                    "'week' is not a grouping. Required: one of month, event_type, topic, country."
                ]
            },
        ),
        (
            {"group_by": "month", "page": "2"},
            {
                "page": [
                    "Unknown query parameter. Allowed here: cameo, country, date_from, date_to, event_type, format, group_by, participant, q, topic, updated_since."
                ]
            },
        ),
        # Stats have their own order: an `ordering` would do nothing, so it is refused (and the
        # schema leaves it out).
        (
            {"group_by": "month", "ordering": "-date"},
            {
                "ordering": [
                    "Unknown query parameter. Allowed here: cameo, country, date_from, date_to, event_type, format, group_by, participant, q, topic, updated_since."
                ]
            },
        ),
    ],
)
def test_it_refuses_stats_without_a_valid_grouping(
    client: Client, params: dict[str, str], errors: dict[str, list[str]]
) -> None:
    response = client.get("/api/v1/events/stats/", params)
    assert (response.status_code, response.json()["errors"]) == (400, errors)
