"""Event filters on factory data that exercises their edge cases: date-range overlap at every
precision, topic descendants, CAMEO prefixes, and several values of one parameter."""

import datetime

import pytest
from django.test import Client

from events.models import Event

from . import factories as f

pytestmark = pytest.mark.django_db
D = datetime.date


def found(client: Client, **params: str) -> set[str]:
    """Slugs of the factory events (slug prefix "edge-") the filter returns."""
    response = client.get("/api/v1/events/", {**params, "page_size": "100"})
    assert response.status_code == 200, response.content
    return {row["slug"] for row in response.json()["results"] if row["slug"].startswith("edge-")}


@pytest.fixture
def dated() -> dict[str, Event]:
    return {
        "day": f.EventFactory.create(slug="edge-day", start_date=D(2030, 5, 10)),
        "span": f.EventFactory.create(
            slug="edge-span", start_date=D(2030, 5, 20), end_date=D(2030, 6, 3)
        ),
        "month": f.EventFactory.create(
            slug="edge-month", start_date=D(2030, 7, 1), date_precision="month"
        ),
        "year": f.EventFactory.create(
            slug="edge-year", start_date=D(2031, 1, 1), date_precision="year"
        ),
        "months": f.EventFactory.create(
            slug="edge-months",
            start_date=D(2032, 2, 1),
            end_date=D(2032, 4, 1),
            date_precision="month",
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"date_from": "2030-05-10", "date_to": "2030-05-10"}, {"edge-day"}),
        ({"date_from": "2030-05-11", "date_to": "2030-05-19"}, set()),
        # A multi-day event overlaps any day of its span, and a range that covers it.
        ({"date_from": "2030-06-03", "date_to": "2030-06-30"}, {"edge-span"}),
        ({"date_from": "2030-05-01", "date_to": "2030-05-25"}, {"edge-day", "edge-span"}),
        ({"date_from": "2030-06-04", "date_to": "2030-06-30"}, set()),
        # Known to the month: the whole of July 2030.
        ({"date_from": "2030-07-31", "date_to": "2030-07-31"}, {"edge-month"}),
        ({"date_from": "2030-08-01", "date_to": "2030-12-31"}, set()),
        # Known to the year: the whole of 2031.
        ({"date_from": "2031-12-31"}, {"edge-year", "edge-months"}),
        ({"date_to": "2030-12-31", "date_from": "2030-07-15"}, {"edge-month"}),
        # February to April 2032, known to the month: until 30 April.
        ({"date_from": "2032-04-30", "date_to": "2032-04-30"}, {"edge-months"}),
        ({"date_from": "2032-05-01"}, set()),
        ({"date_to": "2032-01-31", "date_from": "2031-06-01"}, {"edge-year"}),
    ],
)
def test_it_matches_events_whose_dates_overlap_the_range(
    client: Client, dated: dict[str, Event], params: dict[str, str], expected: set[str]
) -> None:
    assert found(client, **params) == expected


def test_it_matches_descendant_topics_at_any_depth(client: Client) -> None:
    root = f.TopicFactory.create(slug="edge-root")
    middle = f.TopicFactory.create(slug="edge-middle", parent=root)
    leaf = f.TopicFactory.create(slug="edge-leaf", parent=middle)
    other = f.TopicFactory.create(slug="edge-other")
    f.EventFactory.create(slug="edge-on-leaf").topics.add(leaf)
    f.EventFactory.create(slug="edge-on-middle").topics.add(middle)
    f.EventFactory.create(slug="edge-on-other").topics.add(other)
    assert found(client, topic="edge-root") == {"edge-on-leaf", "edge-on-middle"}
    assert found(client, topic="edge-middle") == {"edge-on-leaf", "edge-on-middle"}
    assert found(client, topic="edge-leaf") == {"edge-on-leaf"}
    assert found(client, topic="edge-leaf,edge-other") == {"edge-on-leaf", "edge-on-other"}


def test_it_lists_an_event_once_when_several_values_match(client: Client) -> None:
    one, two = f.TopicFactory.create(), f.TopicFactory.create()
    event = f.EventFactory.create(slug="edge-both")
    event.topics.add(one, two)
    person = f.ParticipantFactory.create()
    f.ParticipationFactory.create(event=event, participant=person, role="initiator")
    f.ParticipationFactory.create(event=event, participant=person, role="announcer")
    body = client.get(
        "/api/v1/events/", {"topic": f"{one.slug},{two.slug}", "participant": person.slug}
    ).json()
    assert [row["slug"] for row in body["results"]] == ["edge-both"]
    assert body["count"] == 1


@pytest.mark.parametrize(
    ("cameo", "expected"),
    [
        ("04", {"edge-040", "edge-0411", "edge-046"}),
        ("041", {"edge-0411"}),
        ("0411", {"edge-0411"}),
        ("18,04", {"edge-040", "edge-0411", "edge-046", "edge-183"}),
        ("20", set()),
    ],
)
def test_it_matches_cameo_codes_by_prefix(client: Client, cameo: str, expected: set[str]) -> None:
    for code in ("040", "0411", "046", "183", "010"):
        f.EventFactory.create(slug=f"edge-{code}", cameo_code=code)
    assert found(client, cameo=cameo) == expected
