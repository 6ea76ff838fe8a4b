"""`?country=` and `?topic=` (one topic, no topic below it) sort on the link tables' copy of each
event's sort keys on PostgreSQL (migration 0010, events/filters.py: via_link).

The copy stays equal to the event's through every write path (fixtures, the API, the ORM,
an update that bypasses save(), the synthetic generator's COPY), and the lists come out as
the EXISTS filter gives them, by page number and by cursor, on SQLite and PostgreSQL alike."""

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from events.models import Event, EventCountryLink, EventTopicLink
from events.synthetic import generate

from . import factories as f
from .conftest import TokenClient

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the copy is kept on PostgreSQL"
)
D = datetime.date


def out_of_sync() -> list[tuple[Any, ...]]:
    """Link rows whose copy differs from their event's keys."""
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for table in ("events_event_countries", "events_event_topics"):
            cursor.execute(
                f"SELECT l.event_id, l.start_date, l.slug FROM {table} AS l "  # noqa: S608
                "JOIN events_event AS e ON e.id = l.event_id "
                "WHERE l.start_date IS DISTINCT FROM e.start_date OR l.slug IS DISTINCT FROM e.slug"
            )
            rows += cursor.fetchall()
    return rows


def copies(slug: str) -> set[tuple[datetime.date | None, str | None]]:
    event = Event.objects.get(slug=slug)
    return {
        *EventCountryLink.objects.filter(event=event).values_list("start_date", "slug"),
        *EventTopicLink.objects.filter(event=event).values_list("start_date", "slug"),
    }


@postgresql
def test_the_fixtures_and_the_synthetic_data_have_their_copies(article: None) -> None:
    assert EventCountryLink.objects.exists()
    assert EventTopicLink.objects.exists()
    assert out_of_sync() == []
    generate(events=30, seed=3)  # COPY on PostgreSQL
    assert out_of_sync() == []
    assert not EventCountryLink.objects.filter(start_date=None).exists()


@postgresql
def test_api_writes_keep_the_copy(editor: TokenClient) -> None:
    event = {
        "slug": "copy-check",
        "title": "Copy check",
        "event_type": "meeting",
        "cameo_code": "040",
        "start_date": "2025-06-01",
        "date_precision": "month",
        "countries": ["PK", "US"],
        "topics": ["trade"],
    }
    assert editor.send("POST", "/api/v1/events/", event).status_code == 201
    assert copies("copy-check") == {(D(2025, 6, 1), "copy-check")}
    url = "/api/v1/events/copy-check/"
    assert editor.send("PATCH", url, {"start_date": "2025-08-01"}).status_code == 200
    assert copies("copy-check") == {(D(2025, 8, 1), "copy-check")}
    changed = {"start_date": "2025-09-01", "countries": ["US"], "topics": []}
    response = editor.send("PATCH", url, changed)
    assert response.status_code == 200, response.content
    assert copies("copy-check") == {(D(2025, 9, 1), "copy-check")}
    assert out_of_sync() == []


@postgresql
def test_orm_writes_keep_the_copy() -> None:
    country = f.CountryFactory.create(iso2="ZQ")
    topic = f.TopicFactory.create()
    event = f.EventFactory.create(slug="orm-copy", start_date=D(2024, 1, 2))
    event.countries.add(country)
    event.topics.set([topic])
    assert copies("orm-copy") == {(D(2024, 1, 2), "orm-copy")}
    event.start_date = D(2024, 3, 4)
    event.save()
    assert copies("orm-copy") == {(D(2024, 3, 4), "orm-copy")}
    # An update that bypasses save() and every signal.
    Event.objects.filter(pk=event.pk).update(slug="orm-copied", start_date=D(2024, 5, 6))
    assert copies("orm-copied") == {(D(2024, 5, 6), "orm-copied")}
    assert out_of_sync() == []


def walk(client: Client, **params: str) -> tuple[list[str], list[str]]:
    """The slugs of every page by page number, and of every cursor page."""
    pages: list[str] = []
    number = 1
    while True:
        query: dict[str, Any] = {**params, "page_size": 4, "page": number}
        body = client.get("/api/v1/events/", query).json()
        pages += [row["slug"] for row in body["results"]]
        if not body["next"]:
            break
        number += 1
    cursors: list[str] = []
    url: str | None = "/api/v1/events/"
    query = {**params, "page_size": 4, "cursor": "start"}
    while url:
        body = client.get(url, query).json()
        cursors += [row["slug"] for row in body["results"]]
        url, query = body["next"], {}
    return pages, cursors


def test_a_filtered_list_pages_in_the_list_order(client: Client) -> None:
    country = f.CountryFactory.create(iso2="ZQ")
    elsewhere = f.CountryFactory.create(iso2="ZR")
    parent = f.TopicFactory.create(slug="copy-parent")
    leaf = f.TopicFactory.create(slug="copy-leaf", parent=parent)
    for n in range(11):
        # Ties on the date (so the slug decides), other countries and topics besides.
        event = f.EventFactory.create(slug=f"copy-{n:02}", start_date=D(2020, 1, 1 + n // 3))
        event.countries.add(country, elsewhere)
        event.topics.add(leaf, parent)
    f.EventFactory.create(slug="copy-other").countries.add(elsewhere)

    def expected(**lookup: Any) -> list[str]:
        return list(
            Event.objects.filter(**lookup)
            .order_by("-start_date", "-slug")
            .values_list("slug", flat=True)
        )

    by_country = expected(countries=country)
    assert len(by_country) == 11
    assert walk(client, country="zq") == (by_country, by_country)
    by_topic = expected(topics=leaf)
    assert walk(client, topic="copy-leaf") == (by_topic, by_topic)
    # Several countries, or a topic with topics below it: EXISTS, in the same order.
    both = list(dict.fromkeys(expected(countries__in=[country, elsewhere])))
    assert walk(client, country="ZQ,ZR") == (both, both)
    assert walk(client, topic="copy-parent") == (by_topic, by_topic)
    # `date_to` bounds the link's copy as well as the event (the walk starts at that date).
    until = expected(countries=country, start_date__lte=D(2020, 1, 2))
    assert 0 < len(until) < 11
    assert walk(client, country="ZQ", date_to="2020-01-02") == (until, until)
    assert walk(client, topic="copy-leaf", date_to="2020-01-02") == (until, until)
    # Another order on the same filter.
    titled = list(
        Event.objects.filter(countries=country)
        .order_by("title", "slug")
        .values_list("slug", flat=True)
    )
    assert walk(client, country="ZQ", ordering="title") == (titled, titled)
    # An event moved to another day moves in the list.
    Event.objects.filter(slug="copy-00").update(start_date=D(2021, 1, 1))
    moved = client.get("/api/v1/events/", {"country": "ZQ"}).json()["results"]
    assert moved[0]["slug"] == "copy-00"


@postgresql
def test_date_to_starts_the_index_walk_at_that_date(client: Client) -> None:
    """The page query offers the link's index the bound, not only the event's filter: a walk
    from the newest link would read every later one first."""
    country = f.CountryFactory.create(iso2="ZQ")
    for n in range(6):
        f.EventFactory.create(slug=f"walk-{n}", start_date=D(2020, 1, 1 + n)).countries.add(country)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/events/", {"country": "ZQ", "date_to": "2020-01-03"})
    assert [row["slug"] for row in response.json()["results"]] == ["walk-2", "walk-1", "walk-0"]
    (page,) = [q["sql"] for q in queries if 'ORDER BY "events_event_countries"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: PostgreSQL would scan
        cursor.execute(f"EXPLAIN {page}")
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert re.search(
        r"Index Cond: \(\(country_id = 'ZQ'::\w+\) AND \(start_date <= '2020-01-03'::date\)\)",
        plan,
    ), plan
