"""generate_synthetic (events/synthetic.py): valid records, deterministic per seed, and data sets
of several seeds sharing one database (how `make bench` grows 100,000 events to 1,000,000)."""

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from events.models import Change, Country, Event, Participant, Statement, TariffMeasure, Topic

pytestmark = pytest.mark.django_db


def generate(events: int, seed: int) -> str:
    out = io.StringIO()
    call_command("generate_synthetic", events=events, seed=seed, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def snapshot(seed: int) -> list[tuple[Any, ...]]:
    """What a seed's events say, by slug and value (never by primary key)."""
    events = (
        Event.objects.filter(slug__startswith=f"syn-event-{seed}-")
        .order_by("slug")
        .prefetch_related("topics", "countries", "participations__participant")
    )
    return [
        (
            e.slug,
            e.title,
            e.event_type,
            e.start_date,
            sorted(t.slug for t in e.topics.all()),
            sorted(c.iso2 for c in e.countries.all()),
            sorted((p.participant.slug, p.role) for p in e.participations.all()),
        )
        for e in events
    ]


def synthetic_events() -> int:
    return Event.objects.filter(slug__startswith="syn-event-").count()


def test_it_creates_valid_records_and_says_how_many() -> None:
    out = generate(40, seed=3)
    assert synthetic_events() == 40
    assert "events 40" in out
    assert Topic.objects.filter(slug__startswith="syn-topic-").count() == 8 + 40 + 120
    # The database's constraints held while loading; the models' own validation agrees.
    for model in (Event, Participant, Statement, TariffMeasure, Topic):
        for record in model.objects.filter(slug__startswith="syn-")[:50]:
            record.full_clean()
    feed = Change.objects.filter(collection="events", key__startswith="syn-event-")
    assert feed.count() == 40


class RolledBack(Exception):
    pass


def generated_and_rolled_back(events: int, seed: int) -> list[tuple[Any, ...]]:
    """The events a seed makes in this database, which is then left as it was."""
    try:
        with transaction.atomic():
            generate(events, seed)
            made = snapshot(seed)
            raise RolledBack
    except RolledBack:
        return made


def test_the_same_seed_gives_the_same_data() -> None:
    first = generated_and_rolled_back(30, seed=5)
    assert len(first) == 30
    assert synthetic_events() == 0
    assert generated_and_rolled_back(30, seed=5) == first
    other = generated_and_rolled_back(30, seed=6)
    assert [e[1:] for e in other] != [e[1:] for e in first]


def test_a_second_seed_grows_the_data_set_on_the_same_topic_tree() -> None:
    generate(30, seed=1)
    before = snapshot(1)
    topics = set(Topic.objects.values_list("slug", "id"))
    countries = set(Country.objects.values_list("iso2", flat=True))
    out = generate(20, seed=2)
    assert "countries 0, topics 0," in out
    assert set(Topic.objects.values_list("slug", "id")) == topics
    assert set(Country.objects.values_list("iso2", flat=True)) == countries
    assert synthetic_events() == 50
    assert snapshot(1) == before
    grown = snapshot(2)
    assert len(grown) == 20
    assert all(slugs and set(slugs) <= {s for s, _ in topics} for *_, slugs, _, _ in grown)


@pytest.mark.parametrize("events", [0, -5])
def test_it_refuses_a_count_below_one(events: int) -> None:
    with pytest.raises(CommandError, match="--events"):
        generate(events, seed=1)
    assert not Topic.objects.filter(slug__startswith="syn-").exists()
