"""Every invariant is refused twice: by model validation, with a message naming the field, and by
the database itself when validation is bypassed. CI runs this file on SQLite and PostgreSQL."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model

from events.models import Topic

from . import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date

# (case id, build a saved valid record, changes that break one invariant, the field named)
Case = tuple[str, Callable[[], Model], dict[str, Any], str]
CASES: list[Case] = [
    ("event-end-before-start", f.EventFactory.create, {"end_date": D(2025, 4, 6)}, "end_date"),
    (
        "event-precision-unknown",
        f.EventFactory.create,
        {"date_precision": "week"},
        "date_precision",
    ),
    (
        "event-month-not-first-day",
        f.EventFactory.create,
        {"date_precision": "month", "start_date": D(2025, 3, 15)},
        "start_date",
    ),
    (
        "event-year-not-january-first",
        f.EventFactory.create,
        {"date_precision": "year", "start_date": D(2021, 8, 1)},
        "start_date",
    ),
    ("event-type-unknown", f.EventFactory.create, {"event_type": "party"}, "event_type"),
    ("event-cameo-root-21", f.EventFactory.create, {"cameo_code": "21"}, "cameo_code"),
    ("event-cameo-one-digit", f.EventFactory.create, {"cameo_code": "4"}, "cameo_code"),
    ("event-cameo-letters", f.EventFactory.create, {"cameo_code": "04a"}, "cameo_code"),
    ("measure-rate-negative", f.TariffMeasureFactory.create, {"rate": Decimal("-0.5")}, "rate"),
    (
        "measure-rate-over-1000",
        f.TariffMeasureFactory.create,
        {"rate": Decimal("1000.001")},
        "rate",
    ),
    (
        "measure-ends-before-effective",
        f.TariffMeasureFactory.create,
        {"ended_on": D(2025, 4, 8)},
        "ended_on",
    ),
    (
        "measure-suspended-before-effective",
        f.TariffMeasureFactory.create,
        {"suspended_on": D(2025, 4, 1)},
        "suspended_on",
    ),
    (
        "measure-suspension-ends-before-start",
        f.TariffMeasureFactory.create,
        {"suspended_on": D(2025, 4, 10), "suspended_until": D(2025, 4, 9)},
        "suspended_until",
    ),
    (
        "measure-suspension-end-without-start",
        f.TariffMeasureFactory.create,
        {"suspended_until": D(2025, 7, 9)},
        "suspended_until",
    ),
    (
        "measure-type-unknown",
        f.TariffMeasureFactory.create,
        {"measure_type": "quota"},
        "measure_type",
    ),
    ("measure-status-unknown", f.TariffMeasureFactory.create, {"status": "rumoured"}, "status"),
    ("country-iso2-lower-case", f.CountryFactory.create, {"iso2": "zz"}, "iso2"),
    ("country-iso2-digits", f.CountryFactory.create, {"iso2": "Z1"}, "iso2"),
    ("country-iso2-one-letter", f.CountryFactory.create, {"iso2": "Z"}, "iso2"),
    ("country-iso3-lower-case", f.CountryFactory.create, {"iso3": "zzz"}, "iso3"),
    ("participant-kind-unknown", f.ParticipantFactory.create, {"kind": "animal"}, "kind"),
    (
        "participant-bad-wikidata-qid",
        f.ParticipantFactory.create,
        {"wikidata_qid": "42"},
        "wikidata_qid",
    ),
    ("participation-role-unknown", f.ParticipationFactory.create, {"role": "host"}, "role"),
    (
        "relation-type-unknown",
        f.EventRelationFactory.create,
        {"relation_type": "caused"},
        "relation_type",
    ),
    ("statement-kind-unknown", f.StatementFactory.create, {"kind": "tweet"}, "kind"),
    (
        "statement-month-not-first-day",
        f.StatementFactory.create,
        {"date_precision": "month"},
        "stated_on",
    ),
    (
        "source-date-without-precision",
        f.SourceFactory.create,
        {"published_precision": ""},
        "published_precision",
    ),
    (
        "source-precision-without-date",
        f.SourceFactory.create,
        {"published_on": None},
        "published_precision",
    ),
    ("citation-empty-excerpt", f.CitationFactory.create, {"excerpt": ""}, "excerpt"),
]


def break_and_validate(record: Model, changes: dict[str, Any]) -> ValidationError:
    for name, value in changes.items():
        setattr(record, name, value)
    with pytest.raises(ValidationError) as caught:
        record.full_clean()
    return caught.value


def assert_database_refuses(save: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        save()


@pytest.mark.parametrize(
    ("build", "changes", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_it_names_the_field_in_model_validation(
    build: Callable[[], Model], changes: dict[str, Any], field: str
) -> None:
    error = break_and_validate(build(), changes)
    assert field in error.message_dict, error.message_dict


@pytest.mark.parametrize(
    ("build", "changes", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_it_is_refused_by_the_database(
    build: Callable[[], Model], changes: dict[str, Any], field: str
) -> None:
    record = build()
    model = type(record)
    if "iso2" in changes:  # the primary key: insert a new row rather than renaming one
        assert_database_refuses(
            lambda: model._default_manager.create(iso2=changes["iso2"], iso3="QQQ", name="Q")
        )
        return
    assert_database_refuses(lambda: model._default_manager.filter(pk=record.pk).update(**changes))


def test_it_reports_the_constraint_message_under_the_field() -> None:
    error = break_and_validate(f.EventFactory.create(), {"end_date": D(2025, 4, 1)})
    assert error.message_dict == {"end_date": ["The end date cannot be before the start date."]}


def test_it_rejects_a_duplicate_slug() -> None:
    f.EventFactory.create(slug="the-call")
    error = break_and_validate(f.EventFactory.build(slug="the-call"), {})
    assert error.message_dict["slug"] == ["Event with this Slug already exists."]
    assert_database_refuses(lambda: f.EventFactory.create(slug="the-call"))


def test_it_allows_one_participation_per_event_participant_and_role() -> None:
    first = f.ParticipationFactory.create()
    duplicate = f.ParticipationFactory.build(event=first.event, participant=first.participant)
    error = break_and_validate(duplicate, {})
    assert error.message_dict == {"role": ["This participant already has this role in this event."]}
    assert_database_refuses(duplicate.save)
    # The same person in another role is a different fact.
    f.ParticipationFactory.create(
        event=first.event, participant=first.participant, role="announcer"
    )


def test_it_rejects_a_topic_that_is_its_own_parent() -> None:
    topic = f.TopicFactory.create()
    error = break_and_validate(topic, {"parent": topic})
    assert error.message_dict["parent"] == ["A topic cannot be its own ancestor."]
    assert_database_refuses(lambda: Topic.objects.filter(pk=topic.pk).update(parent=topic))


def test_it_rejects_a_topic_cycle_in_model_validation() -> None:
    trade = f.TopicFactory.create()
    tariffs = f.TopicFactory.create(parent=trade)
    reciprocal = f.TopicFactory.create(parent=tariffs)
    error = break_and_validate(trade, {"parent": reciprocal})
    assert error.message_dict == {"parent": ["A topic cannot be its own ancestor."]}


def test_it_rejects_a_topic_cycle_at_the_database() -> None:
    trade = f.TopicFactory.create()
    tariffs = f.TopicFactory.create(parent=trade)
    reciprocal = f.TopicFactory.create(parent=tariffs)
    assert_database_refuses(lambda: Topic.objects.filter(pk=trade.pk).update(parent=reciprocal))
    trade.refresh_from_db()
    assert trade.parent is None
    # Moving a branch elsewhere in the tree is fine.
    other = f.TopicFactory.create()
    Topic.objects.filter(pk=tariffs.pk).update(parent=other)


def test_it_rejects_an_event_related_to_itself() -> None:
    event = f.EventFactory.create()
    relation = f.EventRelationFactory.build(from_event=event, to_event=event)
    error = break_and_validate(relation, {})
    assert error.message_dict == {"to_event": ["An event cannot be related to itself."]}
    assert_database_refuses(relation.save)


def test_it_rejects_a_duplicate_event_relation() -> None:
    relation = f.EventRelationFactory.create()
    duplicate = f.EventRelationFactory.build(
        from_event=relation.from_event, to_event=relation.to_event
    )
    error = break_and_validate(duplicate, {})
    assert error.message_dict == {"to_event": ["These two events are already related this way."]}
    assert_database_refuses(duplicate.save)


def test_it_rejects_a_participant_affiliated_with_a_person() -> None:
    person = f.ParticipantFactory.create()
    error = break_and_validate(f.ParticipantFactory.create(), {"affiliation": person})
    assert error.message_dict == {
        "affiliation": ["Choose an existing organization (a participant of kind 'organization')."]
    }


@pytest.mark.parametrize(
    ("aliases", "messages"),
    [
        (["State Department", ""], ["An alias cannot be blank: give a name."]),
        (["x" * 201], ["An alias is at most 200 characters long; one is longer."]),
        (["a"] * 51, ["At most 50 aliases; there are 51."]),
        ("State Department", ["A list of names (text)."]),
        ([12], ["A list of names (text)."]),
    ],
)
def test_it_rejects_aliases_that_are_not_a_list_of_names(aliases: Any, messages: list[str]) -> None:
    """The admin and the importer get the model's messages: each names the problem."""
    error = break_and_validate(f.ParticipantFactory.create(), {"aliases": aliases})
    assert error.message_dict == {"aliases": messages}


@pytest.mark.parametrize("targets", [{}, {"topic": True}], ids=["no-target", "two-targets"])
def test_it_requires_exactly_one_citation_target(targets: dict[str, bool]) -> None:
    citation = f.CitationFactory.create()
    if not targets:
        citation.event = None
    else:
        citation.topic = f.TopicFactory.create()
    error = break_and_validate(citation, {})
    assert list(error.message_dict) == [NON_FIELD_ERRORS]
    assert "exactly one record" in error.message_dict[NON_FIELD_ERRORS][0]
    assert_database_refuses(citation.save)


def test_it_rejects_an_excerpt_missing_from_its_source() -> None:
    citation = f.CitationFactory.create()
    error = break_and_validate(citation, {"excerpt": "discussed quotas"})
    assert error.message_dict == {
        "excerpt": ["The excerpt does not occur verbatim in the source's body."]
    }


def test_it_rejects_a_citation_for_a_field_the_record_lacks() -> None:
    error = break_and_validate(f.CitationFactory.create(), {"field": "colour"})
    assert error.message_dict == {"field": ["Event has no field 'colour'."]}


def test_it_accepts_the_boundaries() -> None:
    valid = [
        f.TariffMeasureFactory.create(rate=Decimal("0")),
        f.TariffMeasureFactory.create(rate=Decimal("1000")),
        f.EventFactory.create(end_date=D(2025, 4, 7)),  # a one-day event
        f.EventFactory.create(date_precision="year", start_date=D(2021, 1, 1)),
        f.EventFactory.create(cameo_code="1831"),
        f.CountryFactory.create(iso2="QZ", iso3="QZZ"),
    ]
    errors = []
    for record in valid:
        try:
            record.full_clean()
        except ValidationError as error:
            errors.append(error.message_dict)
    assert errors == []
