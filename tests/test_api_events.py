"""GET /api/v1/events/ and /api/v1/events/<slug>/, and the nested event lists, on the article."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("article")

CALL = "rubio-dar-phone-call-2025-04-07"
US_STATEMENT = "us-state-department-statement-on-rubio-dar-call"
PK_STATEMENT = "pakistan-foreign-ministry-statement-on-rubio-dar-call"
TARIFFS = "us-reciprocal-tariffs-announced-2025-04-02"
ARREST = "mohammad-sharifullah-arrested-2025-03"
ATTACK = "kabul-airport-attack-2021-08-26"
UKRAINE = "us-ukraine-critical-minerals-talks"
CONGO = "us-dr-congo-critical-minerals-talks"
# Same-day events in reverse slug order (ties follow the date's direction); the talks, known
# to the month, sort as 1 April 2025.
ALL_NEWEST_FIRST = [US_STATEMENT, CALL, PK_STATEMENT, TARIFFS, UKRAINE, CONGO, ARREST, ATTACK]


def newest_first(*events: str) -> list[str]:
    """The given events in the default order, as any filtered list returns them."""
    return sorted(events, key=ALL_NEWEST_FIRST.index)


def slugs(client: Client, path: str, **params: Any) -> list[str]:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return [row["slug"] for row in body["results"]]


def test_it_lists_every_event_newest_first(client: Client) -> None:
    assert slugs(client, "/api/v1/events/") == ALL_NEWEST_FIRST


def test_it_embeds_compact_related_records_in_the_list(client: Client) -> None:
    rows = client.get("/api/v1/events/").json()["results"]
    call = next(row for row in rows if row["slug"] == CALL)
    assert call == {
        "url": f"http://testserver/api/v1/events/{CALL}/",
        "slug": CALL,
        "title": "Rubio and Dar discuss tariffs, critical minerals and immigration by phone",
        "summary": call["summary"],
        "event_type": "phone_call",
        "cameo_code": "041",
        "cameo_label": None,  # the test database has no CAMEO codebook (tests/test_cameo.py)
        "start_date": "2025-04-07",
        "end_date": None,
        "date_precision": "day",
        "location_country": None,
        "countries": ["PK", "US"],
        "topics": [
            "critical-minerals",
            "illegal-immigration",
            "investment",
            "law-enforcement-cooperation",
            "reciprocal-tariffs",
            "regional-security",
            "trade-balance",
        ],
        "participants": [
            {"slug": "ishaq-dar", "name": "Ishaq Dar", "role": "counterpart"},
            {"slug": "marco-rubio", "name": "Marco Rubio", "role": "counterpart"},
        ],
        "updated_at": "2026-11-27T00:00:00Z",
    }


def test_it_embeds_everything_in_the_detail(client: Client) -> None:
    body = client.get(f"/api/v1/events/{CALL}/").json()
    assert body["date_note"].startswith("The article says only 'on Monday'.")
    assert [c["iso2"] for c in body["countries"]] == ["PK", "US"]
    assert [
        (p["participant"]["slug"], p["role"], p["country"]) for p in body["participations"]
    ] == [
        ("ishaq-dar", "counterpart", "PK"),
        ("marco-rubio", "counterpart", "US"),
    ]
    assert {s["slug"] for s in body["statements"]} == {
        "state-department-on-rubio-dar-call",
        "pakistan-foreign-ministry-on-rubio-dar-call",
    }
    related = {
        (r["relation_type"], r["direction"], r["event"]["slug"]) for r in body["related_events"]
    }
    assert related == {
        ("preceded_by", "outgoing", TARIFFS),
        ("response_to", "incoming", US_STATEMENT),
        ("response_to", "incoming", PK_STATEMENT),
        ("context_for", "incoming", ARREST),
        ("context_for", "incoming", UKRAINE),
        ("context_for", "incoming", CONGO),
    }
    assert all(r["citations"] for r in body["related_events"])
    assert body["announced_measures"] == []
    assert [m["slug"] for m in body["discussed_measures"]] == [
        "us-reciprocal-tariff-pakistan-29-percent-2025"
    ]
    date_citations = [c for c in body["citations"] if c["field"] == "start_date"]
    assert {c["source"]["publisher"] for c in date_citations} == {
        "Reuters",
        "NDTV",
        "The News International",
    }
    assert body["citations"][0]["source"]["url"].startswith("http://testserver/api/v1/sources/")


def test_it_embeds_the_citations_of_participations_and_statements(client: Client) -> None:
    body = client.get(f"/api/v1/events/{US_STATEMENT}/").json()
    bruce = next(p for p in body["participations"] if p["participant"]["slug"] == "tammy-bruce")
    assert {c["source"]["slug"] for c in bruce["citations"]} == {
        "the-news-international-2025-04-08",
        "urdupoint-app-2025-04-08",
    }
    call = client.get(f"/api/v1/events/{CALL}/").json()
    statement = next(
        s for s in call["statements"] if s["slug"] == "state-department-on-rubio-dar-call"
    )
    assert statement["speaker"]["slug"] == "us-department-of-state"
    assert {c["field"] for c in statement["citations"]} == {"text", "stated_on"}


def test_it_answers_404_naming_a_missing_event(client: Client) -> None:
    response = client.get("/api/v1/events/no-such-event/")
    assert response.status_code == 404
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No event has the slug 'no-such-event'.",
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "PK"}, newest_first(PK_STATEMENT, CALL, TARIFFS, ARREST)),
        ({"country": "pk"}, newest_first(PK_STATEMENT, CALL, TARIFFS, ARREST)),
        ({"country": "UA,CD"}, newest_first(CONGO, UKRAINE)),
        ({"topic": "critical-minerals"}, newest_first(PK_STATEMENT, CALL, CONGO, UKRAINE)),
        # Descendants: security covers counterterrorism, law enforcement, regional security...
        ({"topic": "security"}, newest_first(CALL, CONGO, UKRAINE, ARREST, ATTACK)),
        ({"topic": "trade"}, newest_first(PK_STATEMENT, CALL, US_STATEMENT, TARIFFS)),
        ({"participant": "mohammad-sharifullah"}, newest_first(ARREST, ATTACK)),
        ({"participant": "marco-rubio,donald-trump"}, newest_first(CALL, TARIFFS)),
        ({"event_type": "statement"}, newest_first(PK_STATEMENT, US_STATEMENT)),
        ({"event_type": "arrest,attack"}, newest_first(ARREST, ATTACK)),
        ({"cameo": "04"}, newest_first(CALL, CONGO, UKRAINE)),
        ({"cameo": "18"}, [ATTACK]),
        ({"cameo": "1831"}, [ATTACK]),
        ({"cameo": "01,16"}, newest_first(PK_STATEMENT, US_STATEMENT, TARIFFS)),
        # Overlap: the statements span 7-8 April; "March 2025" covers the whole month.
        ({"date_from": "2025-04-08"}, newest_first(PK_STATEMENT, US_STATEMENT, CONGO, UKRAINE)),
        ({"date_from": "2025-03-31", "date_to": "2025-03-31"}, [ARREST]),
        ({"date_to": "2025-03-01"}, newest_first(ARREST, ATTACK)),
        ({"date_from": "2021-08-26", "date_to": "2021-08-26"}, [ATTACK]),
        ({"date_from": "2025-05-01"}, []),
        # `q` ranks by relevance on PostgreSQL unless an order is given.
        ({"q": "minerals", "ordering": "-date"}, newest_first(PK_STATEMENT, CALL, CONGO, UKRAINE)),
        ({"q": "Sharifullah", "ordering": "-date"}, newest_first(ARREST, ATTACK)),
        # Statements are searched too: "desire" occurs only in Pakistan's statement, which is
        # about the call, and in its own statement event's summary.
        ({"q": "desire", "ordering": "-date"}, newest_first(PK_STATEMENT, CALL)),
        ({"updated_since": "2026-11-27T00:00:00Z"}, ALL_NEWEST_FIRST),
        ({"updated_since": "2026-11-27T00:00:01Z"}, []),
        # Different parameters combine with AND.
        ({"country": "PK", "topic": "critical-minerals"}, newest_first(PK_STATEMENT, CALL)),
        ({"country": "US", "event_type": "phone_call", "date_from": "2025-04-07"}, [CALL]),
    ],
)
def test_it_filters_events(client: Client, params: dict[str, str], expected: list[str]) -> None:
    assert slugs(client, "/api/v1/events/", **params) == expected


def test_it_reads_a_repeated_parameter_as_or(client: Client) -> None:
    response = client.get("/api/v1/events/?country=UA&country=CD")
    assert [row["slug"] for row in response.json()["results"]] == newest_first(CONGO, UKRAINE)


def test_it_orders_events_by_date_with_ties_by_slug(client: Client) -> None:
    assert slugs(client, "/api/v1/events/", ordering="date") == [
        ATTACK,
        ARREST,
        CONGO,
        UKRAINE,
        TARIFFS,
        PK_STATEMENT,
        CALL,
        US_STATEMENT,
    ]


def test_it_orders_events_by_title(client: Client) -> None:
    rows = client.get("/api/v1/events/", {"ordering": "-title"}).json()["results"]
    titles = [row["title"] for row in rows]
    assert titles == sorted(titles, reverse=True)


def test_it_paginates(client: Client) -> None:
    first = client.get("/api/v1/events/", {"page_size": 3}).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (8, 3, None)
    assert first["next"] == "http://testserver/api/v1/events/?page=2&page_size=3"
    last = client.get("/api/v1/events/", {"page_size": 3, "page": 3}).json()
    assert [row["slug"] for row in last["results"]] == ALL_NEWEST_FIRST[6:]
    assert last["next"] is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/participants/marco-rubio/events/", [CALL]),
        ("/api/v1/participants/mohammad-sharifullah/events/", newest_first(ARREST, ATTACK)),
        (
            "/api/v1/topics/critical-minerals/events/",
            newest_first(PK_STATEMENT, CALL, CONGO, UKRAINE),
        ),
        (
            "/api/v1/topics/economic-cooperation/events/",
            newest_first(PK_STATEMENT, CALL, CONGO, UKRAINE),
        ),
        ("/api/v1/countries/AF/events/", [ATTACK]),
        ("/api/v1/countries/af/events/", [ATTACK]),
    ],
)
def test_it_lists_the_events_of_a_record(client: Client, path: str, expected: list[str]) -> None:
    assert slugs(client, path) == expected


def test_it_applies_the_event_filters_to_nested_lists(client: Client) -> None:
    assert slugs(client, "/api/v1/countries/PK/events/", event_type="statement") == [PK_STATEMENT]
    response = client.get("/api/v1/countries/PK/events/", {"colour": "red"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/v1/participants/nobody/events/", "No participant has the slug 'nobody'."),
        ("/api/v1/topics/nothing/events/", "No topic has the slug 'nothing'."),
        ("/api/v1/countries/ZZ/events/", "No country has the iso2 'ZZ'."),
    ],
)
def test_it_answers_404_for_the_events_of_a_missing_record(
    client: Client, path: str, detail: str
) -> None:
    response = client.get(path)
    assert (response.status_code, response.json()["detail"]) == (404, detail)
