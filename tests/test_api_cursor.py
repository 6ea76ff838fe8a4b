"""Cursor (keyset) paging: `?cursor=start`, then the `next` links, on every filterable list.

The contract: walking the cursor pages returns exactly the rows, in exactly the order, of the
page-numbered list, for every sort the list offers, with ties (namesakes, same-day events) and
unknown values (undated statements and measures) included, on SQLite and on PostgreSQL alike.
"""

import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from events.middleware import NOT_UTF8

from . import factories as f
from .queries import page_lists

pytestmark = pytest.mark.usefixtures("article", "awkward")


@pytest.fixture
def awkward() -> None:
    """Records that make sorting hard: ties on every sort key but the slug, and NULLs."""
    country = f.CountryFactory.create(iso2="ZZ")
    for n in range(3):
        # Namesakes, and events that tie on date, title and updated_at.
        person = f.ParticipantFactory.create(slug=f"namesake-{n}", name="Ishaq Dar")
        event = f.EventFactory.create(slug=f"same-day-{n}", title="Same day")
        event.countries.add(country)
        f.ParticipationFactory.create(event=event, participant=person)
        f.StatementFactory.create(slug=f"undated-{n}", event=event, stated_on=None)
        f.TariffMeasureFactory.create(
            slug=f"unannounced-{n}", imposing_country=country, announced_on=None, effective_on=None
        )
        f.TariffMeasureFactory.create(slug=f"same-rate-{n}", imposing_country=country)


def every_row(client: Client, path: str, **params: Any) -> list[str]:
    response = client.get(path, {**params, "page_size": 100})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return [row.get("slug") or row.get("iso2") for row in body["results"]]


def walk(client: Client, path: str, **params: Any) -> list[str]:
    """Every row, two to a page, following `next` from `cursor=start`."""
    rows: list[str] = []
    response = client.get(path, {**params, "cursor": "start", "page_size": 2})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["previous"] is None
        assert len(body["results"]) <= 2
        rows += [row.get("slug") or row.get("iso2") for row in body["results"]]
        if body["next"] is None:
            assert len(rows) == body["count"]
            return rows
        assert "page=" not in body["next"]
        response = client.get(body["next"])


EVENT_SORTS = ["date", "-date", "title", "-title", "updated_at", "-updated_at"]
MEASURE_SORTS = [
    f"{sign}{key}"
    for key in ("rate", "announced_on", "effective_on", "title", "updated_at")
    for sign in ("", "-")
]
CASES = [
    ("/api/v1/events/", {}),
    *[("/api/v1/events/", {"ordering": sort}) for sort in EVENT_SORTS],
    ("/api/v1/events/", {"country": "ZZ,PK", "ordering": "-title"}),
    ("/api/v1/events/", {"q": "day", "ordering": "-date"}),
    ("/api/v1/countries/ZZ/events/", {"ordering": "date"}),
    ("/api/v1/topics/security/events/", {"ordering": "title"}),
    ("/api/v1/topics/trade/events/", {}),
    ("/api/v1/tariff-measures/", {}),
    *[("/api/v1/tariff-measures/", {"ordering": sort}) for sort in MEASURE_SORTS],
    ("/api/v1/countries/ZZ/imposed-tariff-measures/", {"ordering": "-effective_on"}),
    ("/api/v1/countries/PK/applicable-tariff-measures/", {}),
    ("/api/v1/participants/", {}),
    ("/api/v1/participants/", {"kind": "person"}),
    ("/api/v1/statements/", {}),
    ("/api/v1/topics/", {}),
    ("/api/v1/countries/", {}),
    ("/api/v1/sources/", {}),
]


@pytest.mark.parametrize(("path", "params"), CASES)
def test_cursor_pages_return_the_whole_list_in_order(
    client: Client, path: str, params: dict[str, str]
) -> None:
    expected = every_row(client, path, **params)
    assert len(expected) >= 3, "too few rows to page through"
    assert walk(client, path, **params) == expected


def test_unknown_values_sort_last_both_ways(client: Client) -> None:
    undated = ["unannounced-2", "unannounced-1", "unannounced-0"]
    assert every_row(client, "/api/v1/tariff-measures/")[-3:] == undated
    assert every_row(client, "/api/v1/tariff-measures/", ordering="announced_on")[-3:] == [
        "unannounced-0",
        "unannounced-1",
        "unannounced-2",
    ]
    assert every_row(client, "/api/v1/statements/")[-3:] == ["undated-0", "undated-1", "undated-2"]


def test_a_cursor_page_keeps_its_place_when_newer_rows_arrive(client: Client) -> None:
    before = every_row(client, "/api/v1/events/")
    first = client.get("/api/v1/events/", {"cursor": "start", "page_size": "3"}).json()
    f.EventFactory.create(slug="breaking-news", start_date=datetime.date(2026, 1, 1))
    second = client.get(first["next"]).json()
    assert [row["slug"] for row in second["results"]] == before[3:6]
    # Page numbers, by contrast, shift: the new event pushes a row from page 1 to page 2.
    page_2 = client.get("/api/v1/events/", {"page": "2", "page_size": "3"}).json()
    assert [row["slug"] for row in page_2["results"]] == before[2:5]


def test_the_next_link_keeps_the_filters_and_the_count_is_the_whole_list(client: Client) -> None:
    body = client.get(
        "/api/v1/events/", {"cursor": "start", "page_size": "1", "country": "ZZ"}
    ).json()
    assert body["count"] == 3
    assert "country=ZZ" in body["next"]
    assert "page_size=1" in body["next"]


def test_a_deep_cursor_page_costs_what_the_first_does(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries, settings: Any
) -> None:
    settings.RESPONSE_CACHE_SECONDS = 0  # the page's own cost, not a cached answer
    first = client.get("/api/v1/events/", {"cursor": "start", "page_size": "2"}).json()
    client.get(first["next"])  # warm the cached count
    with django_assert_num_queries(2 + page_lists(3)):  # version, page, the related lists
        client.get(first["next"])


NOT_A_CURSOR = (
    "Not a cursor from a `next` link of a list in this order: give `start`, then each `next` "
    "link as it is."
)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"cursor": "start", "page": "2"},
            "Use either `cursor` or `page`, not both.",
        ),
        *(
            ({"cursor": cursor}, NOT_A_CURSOR)
            for cursor in (
                "%%%",
                "WyIyMDI1LTA0LTA3Il0",  # ["2025-04-07"]: one value, unsigned
                "WyJub3QgYSBkYXRlIiwgIngiXQ",  # ["not a date", "x"], unsigned
                "WyIyMDI1LTA0LTA3IiwgIngiXQ.forged",
                "\u00b2",
            )
        ),
        # A NUL in any parameter is refused before any parsing (events/filters.py).
        ({"cursor": "a\u0000b"}, "Null characters are not allowed."),
        ({"cursor": ""}, "Empty value: give a value or leave the parameter out."),
    ],
)
def test_it_rejects_a_cursor_it_cannot_use(
    client: Client, params: dict[str, str], message: str
) -> None:
    response = client.get("/api/v1/events/", params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {"cursor": [message]}


@pytest.mark.parametrize("raw", ["a%00b.x", "a%ED%A0%80b.x", "%F0%9F%98%80.x", "1e999999.x"])
def test_it_rejects_a_cursor_written_in_bytes(client: Client, raw: str) -> None:
    """A NUL, the UTF-8 of a lone surrogate (invalid), an emoji, a number that overflows."""
    response = client.get(f"/api/v1/events/?cursor={raw}")
    # A NUL in any parameter is refused before any parsing (events/filters.py), and so is
    # text that is not UTF-8 (events/middleware.py).
    message = (
        "Null characters are not allowed."
        if "%00" in raw
        else NOT_UTF8
        if "%ED" in raw
        else NOT_A_CURSOR
    )
    assert (response.status_code, response.json()["errors"]) == (400, {"cursor": [message]})


def test_a_cursor_works_only_in_the_order_that_made_it(client: Client) -> None:
    by_title = client.get(
        "/api/v1/events/", {"cursor": "start", "ordering": "title", "page_size": "1"}
    ).json()
    token = parse_qs(urlsplit(by_title["next"]).query)["cursor"][0]
    same = client.get("/api/v1/events/", {"cursor": token, "ordering": "title"})
    assert same.status_code == 200
    # The same filters or others, but another order: its values mean something else there.
    other = client.get("/api/v1/events/", {"cursor": token})
    assert (other.status_code, other.json()["errors"]) == (400, {"cursor": [NOT_A_CURSOR]})
    # Any edit breaks the signature: here, the first sort value changed by one character.
    edited = ("X" if token[0] != "X" else "Y") + token[1:]
    response = client.get("/api/v1/events/", {"cursor": edited, "ordering": "title"})
    assert (response.status_code, response.json()["errors"]) == (400, {"cursor": [NOT_A_CURSOR]})


def test_a_cursor_outlives_a_key_rotation_through_the_fallbacks(
    client: Client, settings: Any
) -> None:
    settings.RESPONSE_CACHE_SECONDS = 0  # each answer computed, not the first one again
    first = client.get("/api/v1/events/", {"cursor": "start", "page_size": "1"}).json()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" * 6, [old_key]
    assert client.get(first["next"]).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(first["next"]).status_code == 400


@pytest.mark.parametrize(
    ("page", "page_size", "status"),
    [("400", "25", 404), ("401", "25", 400), ("100", "100", 404), ("101", "100", 400)],
)
def test_page_numbers_stop_at_ten_thousand_results(
    client: Client, page: str, page_size: str, status: int
) -> None:
    """Past 10,000 results the database would step over every row before the page; a cursor
    goes there directly. (Pages inside the limit but past the end are a 404, as ever.)"""
    response = client.get("/api/v1/events/", {"page": page, "page_size": page_size})
    assert response.status_code == status
    if status == 400:
        start = (int(page) - 1) * int(page_size) + 1
        assert response.json()["errors"] == {
            "page": [
                f"Page numbers reach the first 10,000 results; page {page} of {page_size} would "
                f"start at result {start:,}. Go deeper with `cursor=start`, then each `next` link."
            ]
        }


@pytest.mark.parametrize(
    ("path", "q"),
    [
        ("/api/v1/participants/", "Dar"),
        ("/api/v1/events/", "tariffs"),
        ("/api/v1/statements/", "Pakistan"),
        ("/api/v1/sources/", "Pakistan"),
        ("/api/v1/topics/", "trade"),
        ("/api/v1/countries/", "Pakistan"),
    ],
)
def test_a_search_pages_by_cursor_in_the_lists_order(client: Client, path: str, q: str) -> None:
    """`cursor` with `q` pages the matches in the list's own order (relevance is not a sort
    a cursor can resume), one row a page, to the end: the same rows as the numbered pages of
    the same search sorted that way, each once. Five lists have no `ordering`: a search there
    could not be paged by cursor at all, so past 10,000 results not at all."""
    seen: list[str] = []
    response = client.get(path, {"q": q, "cursor": "start", "page_size": "1"})
    while True:
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        seen += [row.get("slug") or row.get("iso2") for row in body["results"]]
        if body["next"] is None:
            break
        response = client.get(body["next"])
    assert seen, "the search should match something"
    assert len(seen) == len(set(seen))
    everything = client.get(path, {"q": q, "page_size": "100", "cursor": "start"}).json()
    assert seen == [row.get("slug") or row.get("iso2") for row in everything["results"]]
    ranked = client.get(path, {"q": q, "page_size": "100"}).json()
    assert sorted(seen) == sorted(row.get("slug") or row.get("iso2") for row in ranked["results"])


def test_history_pages_by_number_only(client: Client) -> None:
    response = client.get(
        "/api/v1/events/rubio-dar-phone-call-2025-04-07/history/", {"cursor": "start"}
    )
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]
