"""Every list and detail endpoint runs a fixed number of SQL queries, whatever the page size.

The data: the article, plus 12 factory events that each have two countries, two topics, two
participants (with affiliations), a statement and a tariff measure, so that a missing
prefetch shows up as a count that grows with the page.
"""

from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from events import caching
from events.models import Country, Event

from . import factories as f
from .queries import one_query_or, page_lists

pytestmark = pytest.mark.usefixtures("article", "crowd")


@pytest.fixture
def crowd() -> None:
    countries = [f.CountryFactory.create() for _ in range(4)]
    topics = [f.TopicFactory.create() for _ in range(4)]
    organization = f.OrganizationFactory.create()
    for n in range(12):
        event = f.EventFactory.create(slug=f"crowd-{n:02}")
        event.countries.add(countries[n % 4], countries[(n + 1) % 4])
        event.topics.add(topics[n % 4], topics[(n + 1) % 4])
        for role in ("initiator", "counterpart"):
            person = f.ParticipantFactory.create(affiliation=organization)
            f.ParticipationFactory.create(event=event, participant=person, role=role)
            f.CitationFactory.create(event=event)
        f.StatementFactory.create(event=event, speaker=person)
        measure = f.TariffMeasureFactory.create(
            imposing_country=countries[n % 4], announced_in=event
        )
        measure.target_countries.add(countries[(n + 2) % 4])
        measure.discussed_in.add(event)


# (path, queries for any page). Lists: the data version (for the ETag), COUNT (cached per data
# version: measured cold here), the page, then one query per prefetched relation; a nested list
# first looks up its parent record; a filter naming records by slug looks them up to validate.
# An event list page's related lists (countries, topics, participations with participants) are
# three queries on SQLite, none on PostgreSQL (the page query reads them: tests/queries.py); a
# tariff measure page's target countries one and none.
EVENT_PAGE = page_lists(3)
MEASURE_PAGE = page_lists(1)
LISTS = [
    # version, COUNT, page, the page's related lists
    ("/api/v1/events/", 3 + EVENT_PAGE),
    # + participant and country validated, + the topics (validated against the tree that gives
    # the descendants, read once per data version: measured cold here)
    ("/api/v1/events/?country=PK&topic=trade&participant=marco-rubio&q=tariffs", 6 + EVENT_PAGE),
    # + the participant of the URL
    ("/api/v1/participants/marco-rubio/events/", 4 + EVENT_PAGE),
    # + the topic of the URL, + the topic tree
    ("/api/v1/topics/trade/events/", 5 + EVENT_PAGE),
    # + the country of the URL
    ("/api/v1/countries/US/events/", 4 + EVENT_PAGE),
    # COUNT, page with affiliation joined
    ("/api/v1/participants/", 3),
    ("/api/v1/countries/", 3),
    # COUNT, page with parent joined
    ("/api/v1/topics/", 3),
    # version, COUNT, page, target countries
    ("/api/v1/tariff-measures/", 3 + MEASURE_PAGE),
    # + the country of the URL
    ("/api/v1/countries/US/imposed-tariff-measures/", 4 + MEASURE_PAGE),
    ("/api/v1/countries/PK/applicable-tariff-measures/", 4 + MEASURE_PAGE),
    # COUNT, page with event and speaker joined
    ("/api/v1/statements/", 3),
    ("/api/v1/sources/", 3),
]
DETAILS = [
    # Each record first reads the data version (the response cache's key), then, on SQLite:
    # the event with its location; its participations, statements and relations both ways;
    # then its countries, topics, announced and discussed measures, and every citation: the
    # event's, its participations', statements' and relations' (one query: events/shapes.py's
    # Batch). On PostgreSQL all of it is one query.
    ("/api/v1/events/rubio-dar-phone-call-2025-04-07/", 1 + one_query_or(3, 5)),
    # no relations or measures announced: the same queries
    ("/api/v1/events/crowd-00/", 1 + one_query_or(3, 5)),
    # the participant with country and affiliation; members; citations
    ("/api/v1/participants/us-department-of-state/", 4),
    # the country; citations
    ("/api/v1/countries/pk/", 3),
    # the topic with parent; children; citations
    ("/api/v1/topics/trade/", 4),
    # the measure with countries and announcing event; targets; discussing events; citations
    ("/api/v1/tariff-measures/us-reciprocal-tariff-pakistan-29-percent-2025/", 5),
    # the statement with event and speaker; citations
    ("/api/v1/statements/state-department-on-rubio-dar-call/", 3),
    # the source; citations joined with the records they support (and what their labels name)
    ("/api/v1/sources/newsx-us-pakistan-talks-2025-04/", 3),
    # aggregates (cold): the data version, then events by month and by year; by topic in one
    ("/api/v1/events/stats/?group_by=month", 3),
    ("/api/v1/events/stats/?group_by=topic", 2),
    ("/api/v1/", 0),
]


@pytest.mark.parametrize(("path", "queries"), LISTS)
def test_it_lists_in_a_fixed_number_of_queries(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries, path: str, queries: int
) -> None:
    separator = "&" if "?" in path else "?"
    sizes = []
    for page_size in (2, 100):
        caching.clear()  # cold: counts are cached per data version
        with django_assert_num_queries(queries):
            response = client.get(f"{path}{separator}page_size={page_size}")
        assert response.status_code == 200
        sizes.append(len(response.json()["results"]))
    assert sizes[0] >= 1


@pytest.mark.parametrize(("path", "queries"), DETAILS)
def test_it_shows_a_record_in_a_fixed_number_of_queries(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries, path: str, queries: int
) -> None:
    caching.clear()
    with django_assert_num_queries(queries):
        response = client.get(path)
    assert response.status_code == 200


def test_a_country_filter_is_checked_without_a_query_once_the_version_is_known(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries, editor: Any
) -> None:
    # A code no country has (the factories take theirs from ZZ down, as many as earlier tests
    # asked for; this one from AA up).
    taken = set(Country.objects.values_list("iso2", flat=True))
    code = next(code for code in reversed(f.FREE_CODES) if code not in taken)
    caching.clear()
    assert client.get("/api/v1/tariff-measures/?target_country=PK").status_code == 200
    # Another country, another filter, same data version: the codes known at that version
    # are this process's (version, COUNT, page, target countries; no country query).
    with django_assert_num_queries(3 + MEASURE_PAGE):
        response = client.get("/api/v1/tariff-measures/?imposing_country=us")
    assert response.status_code == 200
    refused = client.get(f"/api/v1/events/?country={code}")
    assert refused.status_code == 400
    assert f"{code} is not a known country code." in str(refused.json())
    # A country written moves the version: its code is known at once.
    created = editor.send(
        "POST", "/api/v1/countries/", {"iso2": code, "iso3": f"{code}Q", "name": "Q"}
    )
    assert created.status_code == 201, created.content
    assert client.get(f"/api/v1/events/?country={code}").status_code == 200


def test_a_topic_filter_is_checked_without_a_query_once_the_version_is_known(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries, editor: Any
) -> None:
    caching.clear()
    assert client.get("/api/v1/events/?topic=trade").status_code == 200
    # Another topic, same data version: the topics and their tree known at that version are
    # this process's (version, COUNT, page, the page's lists; no topic query).
    with django_assert_num_queries(3 + EVENT_PAGE):
        response = client.get("/api/v1/events/?topic=tariffs")
    assert response.status_code == 200
    with django_assert_num_queries(3):  # version, COUNT, page (the topic's parent joined)
        assert client.get("/api/v1/topics/?parent=trade").status_code == 200
    refused = client.get("/api/v1/events/?topic=not-yet")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"topic": ["No record has not-yet as its identifier."]}
    # A topic written moves the version: it is known at once, and so is its place in the tree.
    created = editor.send(
        "POST", "/api/v1/topics/", {"slug": "not-yet", "name": "Not yet", "parent": "tariffs"}
    )
    assert created.status_code == 201, created.content
    assert client.get("/api/v1/events/?topic=not-yet").json()["count"] == 0
    trade = ["trade", "tariffs", "reciprocal-tariffs", "trade-balance"]  # the tree of trade
    slug = Event.objects.exclude(topics__slug__in=trade).values("slug")[0]["slug"]
    moved = editor.send("PATCH", f"/api/v1/events/{slug}/", {"topics": ["not-yet"]})
    assert moved.status_code == 200, moved.content
    for topic in ("not-yet", "tariffs", "trade"):
        found = client.get(f"/api/v1/events/?topic={topic}&page_size=100").json()["results"]
        assert slug in [row["slug"] for row in found], topic


def test_with_the_response_cache_off_a_detail_does_not_read_the_data_version(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries, settings: Any
) -> None:
    settings.RESPONSE_CACHE_SECONDS = 0
    path, queries = DETAILS[0]
    with django_assert_num_queries(queries - 1):
        response = client.get(path)
    assert response.status_code == 200
    assert response.has_header("ETag")


@pytest.mark.parametrize(("path", "queries"), DETAILS[:1] + LISTS[:1])
def test_it_answers_a_repeated_read_from_the_response_cache(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries, path: str, queries: int
) -> None:
    caching.clear()
    first = client.get(path)
    with django_assert_num_queries(1):  # the data version
        again = client.get(path)
    assert (again.status_code, again.content) == (200, first.content)
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]


def test_the_response_cache_follows_the_data_version(client: Client, editor: Any) -> None:
    path = "/api/v1/events/rubio-dar-phone-call-2025-04-07/"
    list_path = "/api/v1/events/?page_size=100"
    before, listed = client.get(path).json(), client.get(list_path).json()
    editor.send("PATCH", path, {"title": "A new title"})
    assert client.get(path).json()["title"] == "A new title" != before["title"]
    assert "A new title" in [row["title"] for row in client.get(list_path).json()["results"]]
    assert "A new title" not in [row["title"] for row in listed["results"]]


def test_the_response_cache_keeps_each_host_its_links(client: Client, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["api.example.org", "mirror.example.net"]
    path = "/api/v1/events/?page_size=1"
    here = client.get(path, HTTP_HOST="api.example.org").json()
    there = client.get(path, HTTP_HOST="mirror.example.net").json()
    assert here["results"][0]["url"].startswith("http://api.example.org/")
    assert there["results"][0]["url"].startswith("http://mirror.example.net/")


def test_the_browsable_api_is_not_cached(client: Client) -> None:
    client.get("/api/v1/events/", HTTP_ACCEPT="text/html")
    again = client.get("/api/v1/events/", HTTP_ACCEPT="text/html")
    assert again["Content-Type"].startswith("text/html")
    assert b"csrfmiddlewaretoken" in again.content or b"<html" in again.content


def test_it_counts_a_list_once_per_data_version(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries, editor: Any
) -> None:
    caching.clear()
    client.get("/api/v1/events/", {"page_size": 2})
    with django_assert_num_queries(2 + EVENT_PAGE):  # version, page, the related lists
        client.get("/api/v1/events/", {"page_size": 2, "page": 2})
    editor.send("PATCH", "/api/v1/topics/trade/", {"description": "A write moves the version."})
    with django_assert_num_queries(3 + EVENT_PAGE):  # ... and COUNT again
        client.get("/api/v1/events/", {"page_size": 2, "page": 2})


def test_a_count_is_named_by_its_path_and_filters_and_no_two_filter_sets_share_a_name() -> None:
    from django.test import RequestFactory
    from rest_framework.request import Request

    from events.caching import count_key

    def key(url: str) -> str:
        return count_key(Request(RequestFactory().get(url)), "default", 7)

    # Pages, page sizes, cursors, sort orders and formats of one filter set share its count.
    same = [
        "/api/v1/sources/?publisher=Reuters&q=tariffs",
        "/api/v1/sources/?q=tariffs&publisher=Reuters&page=3&page_size=10&ordering=-title",
        "/api/v1/sources/?cursor=start&publisher=Reuters&q=tariffs&format=json",
    ]
    assert len({key(url) for url in same}) == 1
    # Filter sets whose parameters, pasted into one text, would read alike do not.
    different = [
        "/api/v1/sources/?publisher=Reuters&publisher=NDTV",
        "/api/v1/sources/?publisher=Reuters,NDTV",
        "/api/v1/sources/?publisher=Reuters%2C%20NDTV",
        "/api/v1/sources/?publisher=Reuters%22%2C%20%22NDTV",
        "/api/v1/sources/?publisher=Reuters&q=NDTV",
        "/api/v1/countries/PK/events/?topic=trade",
        "/api/v1/countries/US/events/?topic=trade",
        "/api/v1/countries/PK/events/",
    ]
    assert len({key(url) for url in different}) == len(different)
    # And a new data version, or another database, names a new count.
    request = Request(RequestFactory().get(same[0]))
    assert count_key(request, "default", 8) != key(same[0])
    assert count_key(request, "replica_0", 7) != key(same[0])


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's iexact escapes the value (LIKE ... ESCAPE), which this pair cannot spell",
)
def test_one_client_cannot_choose_the_count_another_client_gets(client: Client) -> None:
    """An adversarial pair: filter values whose SQL, with the parameters pasted into the text
    (str(query), what the count was once keyed on), spells another filter set's SQL exactly."""
    from events.models import Source

    legit = ["Reuters", "NDTV", "India Today"]

    def sql_text(names: list[str]) -> str:
        # The publisher filter's condition (SourceFilter.filter_publisher), built as it builds
        # it: the filter itself now refuses a name no source has before any count runs.
        condition = Q()
        for name in names:
            condition |= Q(publisher__iexact=name)
        return str(Source.objects.filter(condition).order_by().query)

    text = sql_text(legit)
    # From the first value to the end of the second: pasted as one value, followed by the third
    # value, it writes the legitimate query's text.
    crafted = [text[text.index(legit[0]) : text.rindex(legit[1]) + len(legit[1])], legit[2]]
    assert "," not in crafted[0]
    assert sql_text(crafted) == text  # the pair collides as text...
    caching.clear()
    attack = client.get("/api/v1/sources/", {"publisher": crafted})
    assert attack.status_code == 400  # ...but no source has the crafted publisher
    assert list(attack.json()["errors"]) == ["publisher"]
    answer = client.get("/api/v1/sources/", {"publisher": ",".join(legit)})
    assert answer.json()["count"] == len(answer.json()["results"]) == 3


def test_the_crowd_is_big_enough_to_matter() -> None:
    assert Event.objects.filter(slug__startswith="crowd-").count() == 12
