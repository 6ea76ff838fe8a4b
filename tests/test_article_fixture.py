"""The article data set (fixtures/article.json): complete, cited, verbatim and reloadable."""

import datetime
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Model

from events.models import (
    Citation,
    Country,
    DatePrecision,
    Event,
    EventRelation,
    Participant,
    Participation,
    Source,
    Statement,
    TariffMeasure,
    Topic,
)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed"
SHARED_SEED = ROOT.parent / "shared" / "seed"
ARTICLE_SLUG = "newsx-us-pakistan-talks-2025-04"
NOTES_SLUG = "seed-source-notes"

CITED_MODELS: list[type[Model]] = [
    Country,
    Topic,
    Participant,
    Event,
    EventRelation,
    Participation,
    Statement,
    TariffMeasure,
]
ALL_MODELS: list[type[Model]] = [*CITED_MODELS, Source, Citation]

# Every date field of a cited record, with the field holding its precision (None: always a day).
DATE_FIELDS: dict[type[Model], dict[str, str | None]] = {
    Event: {"start_date": "date_precision", "end_date": "date_precision"},
    Statement: {"stated_on": "date_precision"},
    TariffMeasure: {
        "announced_on": None,
        "effective_on": None,
        "suspended_on": None,
        "suspended_until": None,
        "ended_on": None,
        "status_as_of": None,
    },
}
# Facts the article never states: they must be cited to a corroborating report.
CORROBORATED_ONLY_FIELDS = {
    "start_date",
    "end_date",
    "stated_on",
    "announced_on",
    "effective_on",
    "suspended_on",
    "suspended_until",
    "ended_on",
    "status",
    "status_as_of",
    "legal_basis",
    "cameo_code",
}
CITATION_FK: dict[type[Model], str] = {
    Country: "country",
    Topic: "topic",
    Participant: "participant",
    Event: "event",
    EventRelation: "event_relation",
    Participation: "participation",
    Statement: "statement",
    TariffMeasure: "tariff_measure",
}


def states_date(excerpt: str, date: datetime.date, precision: str) -> bool:
    """Whether the excerpt writes out the date to the given precision ('7 April 2025')."""
    words = set(re.findall(r"\w+", excerpt))
    needed = {str(date.year)}
    if precision in (DatePrecision.DAY, DatePrecision.MONTH):
        needed.add(date.strftime("%B"))
    if precision == DatePrecision.DAY:
        needed.add(str(date.day))
    return needed <= words


def snapshot() -> dict[str, str]:
    """Every record in natural-key form, and the row count of every table the app owns."""
    state = {
        model.__name__: serializers.serialize(
            "json",
            model._default_manager.order_by("pk"),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        for model in ALL_MODELS
    }
    for model in apps.get_app_config("events").get_models(include_auto_created=True):
        state[f"rows:{model._meta.db_table}"] = str(model._default_manager.count())
    return state


def test_it_keeps_a_byte_for_byte_copy_of_the_seed_files() -> None:
    if not SHARED_SEED.is_dir():
        pytest.skip("../shared/seed is only present in development checkouts and CI")
    for name in ("article.txt", "SOURCE_NOTES.md"):
        assert (SEED / name).read_bytes() == (SHARED_SEED / name).read_bytes(), name


def test_it_stores_the_article_byte_for_byte_as_its_source_body(article: None) -> None:
    source = Source.objects.get(slug=ARTICLE_SLUG)
    assert source.body.encode("utf-8") == (SEED / "article.txt").read_bytes()
    assert source.body_kind == Source.BodyKind.FULL_TEXT
    assert source.publisher == "NewsX"


def test_it_stores_the_source_notes_byte_for_byte(article: None) -> None:
    source = Source.objects.get(slug=NOTES_SLUG)
    assert source.body.encode("utf-8") == (SEED / "SOURCE_NOTES.md").read_bytes()


def test_it_takes_research_note_bodies_verbatim_from_the_notes(article: None) -> None:
    notes_lines = set((SEED / "SOURCE_NOTES.md").read_text(encoding="utf-8").split("\n"))
    reports = Source.objects.filter(body_kind=Source.BodyKind.RESEARCH_NOTES)
    assert reports.count() == 7
    for source in reports:
        for line in source.body.split("\n"):
            assert line in notes_lines, (source.slug, line)


def test_it_finds_every_excerpt_verbatim_in_its_source(article: None) -> None:
    citations = list(Citation.objects.select_related("source"))
    assert len(citations) > 100
    for citation in citations:
        assert citation.excerpt in citation.source.body, citation.key


def test_it_cites_every_record(article: None) -> None:
    for model in CITED_MODELS:
        records = list(model._default_manager.all())
        assert records, model.__name__
        for record in records:
            cited = Citation.objects.filter(**{CITATION_FK[model]: record}).exists()
            assert cited, f"{model.__name__} {record} has no citation"


def test_it_cites_every_date_with_an_excerpt_that_states_it(article: None) -> None:
    checked = 0
    for model, fields in DATE_FIELDS.items():
        for record in model._default_manager.all():
            for field, precision_field in fields.items():
                value = getattr(record, field)
                if value is None:
                    continue
                precision = getattr(record, precision_field) if precision_field else "day"
                citations = Citation.objects.filter(**{CITATION_FK[model]: record, "field": field})
                assert any(states_date(c.excerpt, value, precision) for c in citations), (
                    f"{model.__name__} {record}: no citation states {field}={value} ({precision})"
                )
                checked += 1
    assert checked >= 20


def test_it_never_cites_the_article_for_what_only_corroborating_reports_state(
    article: None,
) -> None:
    from_article = Citation.objects.filter(source__slug=ARTICLE_SLUG)
    assert not from_article.filter(field__in=CORROBORATED_ONLY_FIELDS).exists()
    # Tammy Bruce and Dar's second office appear only in The News International and UrduPoint.
    assert not from_article.filter(participant__slug="tammy-bruce").exists()
    assert not from_article.filter(participation__participant__slug="tammy-bruce").exists()
    assert not from_article.filter(excerpt__contains="Deputy Prime Minister").exists()
    dar = Citation.objects.filter(participant__slug="ishaq-dar", field="office")
    assert dar.filter(
        source__slug="the-news-international-2025-04-08", excerpt__contains="Deputy Prime Minister"
    ).exists()


def test_it_takes_nothing_from_the_publishers_also_read_line(article: None) -> None:
    body = Source.objects.get(slug=ARTICLE_SLUG).body
    also_read = body.index("ALSO READ:")
    for citation in Citation.objects.filter(source__slug=ARTICLE_SLUG):
        assert body.index(citation.excerpt) + len(citation.excerpt) <= also_read, citation.key
    assert not Participant.objects.filter(name__icontains="Maine").exists()
    assert not Topic.objects.filter(name__icontains="school").exists()


def test_it_quotes_both_statements_verbatim_from_a_cited_source(article: None) -> None:
    statements = list(Statement.objects.all())
    assert {s.slug for s in statements} == {
        "state-department-on-rubio-dar-call",
        "pakistan-foreign-ministry-on-rubio-dar-call",
    }
    for statement in statements:
        sources = [c.source for c in statement.citations.filter(field="text")]
        assert any(statement.text in source.body for source in sources), statement.slug


def test_it_captures_every_event_the_article_reports(article: None) -> None:
    assert dict(Event.objects.values_list("slug", "cameo_code")) == {
        "rubio-dar-phone-call-2025-04-07": "041",
        "us-state-department-statement-on-rubio-dar-call": "010",
        "pakistan-foreign-ministry-statement-on-rubio-dar-call": "010",
        "us-reciprocal-tariffs-announced-2025-04-02": "163",
        "mohammad-sharifullah-arrested-2025-03": "173",
        "kabul-airport-attack-2021-08-26": "1831",
        "us-ukraine-critical-minerals-talks": "046",
        "us-dr-congo-critical-minerals-talks": "046",
    }
    call = Event.objects.get(slug="rubio-dar-phone-call-2025-04-07")
    assert (call.start_date, call.date_precision) == (datetime.date(2025, 4, 7), "day")
    arrest = Event.objects.get(slug="mohammad-sharifullah-arrested-2025-03")
    assert (arrest.start_date, arrest.date_precision) == (datetime.date(2025, 3, 1), "month")
    assert arrest.latest_date == datetime.date(2025, 3, 31)


def test_it_captures_every_participant_and_country(article: None) -> None:
    assert set(Participant.objects.values_list("slug", flat=True)) == {
        "marco-rubio",
        "ishaq-dar",
        "donald-trump",
        "tammy-bruce",
        "mohammad-sharifullah",
        "us-department-of-state",
        "pakistan-ministry-of-foreign-affairs",
    }
    assert set(Country.objects.values_list("iso2", flat=True)) == {"US", "PK", "UA", "CD", "AF"}


def test_it_records_both_tariff_measures_with_rates_and_targets(article: None) -> None:
    baseline = TariffMeasure.objects.get(slug="us-baseline-tariff-10-percent-2025")
    assert (baseline.rate, baseline.imposing_country_id, baseline.status) == (10, "US", "in_force")
    assert not baseline.target_countries.exists()  # applies to every country
    pakistan = TariffMeasure.objects.get(slug="us-reciprocal-tariff-pakistan-29-percent-2025")
    assert pakistan.rate == 29
    assert list(pakistan.target_countries.values_list("iso2", flat=True)) == ["PK"]
    assert (pakistan.effective_on, pakistan.suspended_on, pakistan.suspended_until) == (
        datetime.date(2025, 4, 9),
        datetime.date(2025, 4, 10),
        datetime.date(2025, 7, 9),
    )


def test_it_passes_model_validation_for_every_fixture_record(article: None) -> None:
    for model in ALL_MODELS:
        for record in model._default_manager.all():
            try:
                record.full_clean()
            except ValidationError as error:  # pragma: no cover - the message is the point
                pytest.fail(f"{model.__name__} {record}: {error.message_dict}")


def test_it_loads_twice_without_change(article: None) -> None:
    first = snapshot()
    call_command("loaddata", "article", verbosity=0)
    assert snapshot() == first


def test_it_records_a_creation_entry_for_every_loaded_record(article: None) -> None:
    call = Event.objects.get(slug="rubio-dar-phone-call-2025-04-07")
    entry = call.history.get()
    assert (entry.history_type, entry.history_change_reason) == ("+", "Loaded from fixture article")
    assert {row.topic.slug for row in entry.topics.all()} == {
        slug for slug in call.topics.values_list("slug", flat=True)
    }
    for model in ALL_MODELS:
        records = model._default_manager.count()
        assert model.history.filter(history_type="+").count() == records, model.__name__  # type: ignore[attr-defined]


def test_it_records_what_a_reload_changed(article: None, tmp_path: Path) -> None:
    import json

    data = json.loads((ROOT / "fixtures" / "article.json").read_text(encoding="utf-8"))
    for obj in data:
        if obj["fields"].get("slug") == "kabul-airport-attack-2021-08-26":
            obj["fields"]["title"] = "Kabul airport bombing"
            obj["fields"]["countries"] = ["AF"]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    call_command("loaddata", str(changed), verbosity=0)
    attack = Event.objects.get(slug="kabul-airport-attack-2021-08-26")
    latest, first = attack.history.all()
    delta = latest.diff_against(first)
    assert latest.history_type == "~"
    assert sorted(change.field for change in delta.changes) == ["countries", "title"]
    # Records the reload did not change keep their single entry.
    assert Event.objects.get(slug="rubio-dar-phone-call-2025-04-07").history.count() == 1
