"""import_data and export_data (events/imports.py, events/exports.py, events/formats.py).

Round trips: the article data set (and a synthetic one) exported in each format, imported into
an empty database and exported again gives the very same files. Imports are all or nothing:
files with errors of every kind are rejected with every problem listed and the database
unchanged; importing the same files again, or a dry run, writes nothing.
"""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import models

from events import imports
from events.formats import RESOURCES
from events.models import (
    Change,
    Citation,
    Country,
    Event,
    EventRelation,
    Participant,
    Participation,
    Source,
    Statement,
    TariffMeasure,
    Topic,
)
from events.synthetic import generate

from .conftest import make_user

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
FORMATS = ["ndjson", "csv", "json"]
DATA_MODELS: list[type[models.Model]] = [
    Citation,
    Statement,
    TariffMeasure,
    EventRelation,
    Participation,
    Event,
    Participant,
    Topic,
    Country,
    Source,
]


def export_all(directory: Path, kind: str) -> dict[str, bytes]:
    call_command("export_data", format=kind, output_dir=directory, stderr=io.StringIO())
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def empty_the_database() -> None:
    """Delete every record of the data set (what an empty database holds)."""
    Topic.objects.update(parent=None)  # topics protect their children's parent link
    for model in DATA_MODELS:
        model._default_manager.all().delete()
    assert all(not model._default_manager.exists() for model in DATA_MODELS)


def import_files(*paths: Path, user: str = "importer", **options: Any) -> str:
    out = io.StringIO()
    call_command(
        "import_data",
        *[str(p) for p in paths],
        user=user,
        stdout=out,
        stderr=io.StringIO(),
        **options,
    )
    return out.getvalue()


def table_sizes() -> dict[str, int]:
    """Rows of every data table, history and change feed included."""
    sizes = {model.__name__: model._default_manager.count() for model in DATA_MODELS}
    for model in DATA_MODELS:
        history = getattr(model, "history", None)
        if history is not None:
            sizes[f"history {model.__name__}"] = history.count()
    sizes["changes"] = Change.objects.count()
    return sizes


def counts(output: str) -> dict[str, list[int]]:
    """The summary's numbers per collection: created, updated, unchanged, failed."""
    rows = {}
    for line in output.splitlines()[1:]:
        name, *numbers = line.split()
        rows[name] = [int(n) for n in numbers]
    return rows


@pytest.fixture
def importer(db: None) -> User:
    return make_user("importer")


@pytest.mark.parametrize("kind", FORMATS)
def test_it_round_trips_the_article_data_set(tmp_path: Path, importer: User, kind: str) -> None:
    before = export_all(tmp_path / "before", kind)
    assert set(before) == {f"{name}.{kind}" for name in RESOURCES}
    sizes = {model.__name__: model._default_manager.count() for model in DATA_MODELS}
    empty_the_database()

    # Alphabetical order: events come before the participants and sources they name.
    output = import_files(*sorted((tmp_path / "before").iterdir()))

    assert counts(output)["events"] == [8, 0, 0, 0]
    assert {model.__name__: model._default_manager.count() for model in DATA_MODELS} == sizes
    assert export_all(tmp_path / "after", kind) == before


@pytest.mark.parametrize("kind", FORMATS)
def test_it_round_trips_synthetic_data(tmp_path: Path, importer: User, kind: str) -> None:
    empty_the_database()
    generate(events=30, seed=11)
    # A small set: without the generator's countries and topics that nothing names.
    Country.objects.filter(
        events=None,
        located_events=None,
        participants=None,
        participations=None,
        imposed_measures=None,
        targeted_by_measures=None,
    ).delete()
    for _ in range(3):  # the topic tree's three levels, leaves first
        Topic.objects.filter(events=None, children=None).delete()
    before = export_all(tmp_path / "before", kind)
    empty_the_database()

    import_files(*sorted((tmp_path / "before").iterdir()))

    assert export_all(tmp_path / "after", kind) == before


def test_every_history_entry_of_an_import_names_the_user(tmp_path: Path, importer: User) -> None:
    export_all(tmp_path, "ndjson")
    empty_the_database()
    Event.history.all().delete()
    Citation.history.all().delete()
    last_change = Change.objects.order_by("id").last()

    import_files(*tmp_path.iterdir())

    assert Event.history.filter(history_type="+").count() == 8
    assert set(Event.history.values_list("history_user__username", flat=True)) == {"importer"}
    assert set(Citation.history.values_list("history_user__username", flat=True)) == {"importer"}
    assert set(
        Change.objects.filter(id__gt=last_change.id if last_change else 0).values_list(
            "user__username", flat=True
        )
    ) == {"importer"}


def test_importing_the_same_files_again_changes_nothing(tmp_path: Path, importer: User) -> None:
    export_all(tmp_path, "csv")
    sizes = table_sizes()

    output = import_files(*tmp_path.iterdir())

    assert counts(output) == {
        "sources": [0, 0, 9, 0],
        "countries": [0, 0, 5, 0],
        "topics": [0, 0, 14, 0],
        "participants": [0, 0, 7, 0],
        "events": [0, 0, 8, 0],
        "statements": [0, 0, 2, 0],
        "tariff-measures": [0, 0, 2, 0],
    }
    assert table_sizes() == sizes


def test_a_changed_record_is_updated_and_only_it(tmp_path: Path, importer: User) -> None:
    export_all(tmp_path, "ndjson")
    events = tmp_path / "events.ndjson"
    records = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    records[0]["summary"] = "Revised. " + records[0]["summary"]
    events.write_text("".join(json.dumps(record) + "\n" for record in records))
    history = Event.history.count()

    output = import_files(events)

    assert counts(output)["events"] == [0, 1, 7, 0]
    assert Event.history.count() == history + 1
    latest = Event.history.first()
    assert latest is not None
    assert latest.history_user.username == "importer"


def test_a_dry_run_writes_nothing(tmp_path: Path, importer: User) -> None:
    export_all(tmp_path, "json")
    empty_the_database()
    sizes = table_sizes()

    output = import_files(*tmp_path.iterdir(), dry_run=True)

    assert "dry run; nothing was written" in output
    assert counts(output)["events"] == [8, 0, 0, 0]
    assert table_sizes() == sizes


def test_records_that_name_each_other_are_imported(tmp_path: Path, importer: User) -> None:
    record = (
        '{{"slug": "{a}", "title": "A", "event_type": "meeting", "cameo_code": "040", '
        '"start_date": "2025-04-07", "related_events": [{{"relation_type": "{t}", "event": "{b}"}}]}}'
    )
    path = tmp_path / "events.ndjson"
    path.write_text(
        record.format(a="one", b="two", t="preceded_by")
        + "\n"
        + record.format(a="two", b="one", t="context_for")
        + "\n"
    )

    output = import_files(path)

    assert counts(output)["events"] == [2, 0, 0, 0]
    assert EventRelation.objects.filter(from_event__slug="one", to_event__slug="two").exists()
    assert EventRelation.objects.filter(from_event__slug="two", to_event__slug="one").exists()
    assert counts(import_files(path))["events"] == [0, 0, 2, 0]


def test_a_spreadsheet_csv_uses_the_short_forms(tmp_path: Path, importer: User) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "slug,title,event_type,cameo_code,start_date,countries,topics,participations,"
        "related_events\n"
        "rubio-dar-follow-up,Rubio and Dar follow up,phone_call,041,2025-04-07,PK;us,"
        "trade;tariffs,marco-rubio:initiator:US;ishaq-dar:counterpart,"
        "preceded_by:rubio-dar-phone-call-2025-04-07\n",
        encoding="utf-8",
    )

    import_files(path)

    event = Event.objects.get(slug="rubio-dar-follow-up")
    assert sorted(event.countries.values_list("iso2", flat=True)) == ["PK", "US"]
    assert sorted(event.topics.values_list("slug", flat=True)) == ["tariffs", "trade"]
    assert sorted(event.participations.values_list("participant__slug", "role", "country")) == [
        ("ishaq-dar", "counterpart", None),
        ("marco-rubio", "initiator", "US"),
    ]
    assert event.date_precision == "day"  # a column left out takes its default
    assert event.relations_from.get().to_event.slug == "rubio-dar-phone-call-2025-04-07"


def test_files_with_errors_are_rejected_with_every_problem_listed(
    tmp_path: Path, importer: User
) -> None:
    (tmp_path / "events.csv").write_text(
        "slug,title,event_type,cameo_code,start_date,end_date,topics\n"
        "a-new-event,Fine,meeting,040,2025-04-07,,trade\n"
        "bad-date,Bad date,meeting,040,2025-13-45,,\n"
        "unknown-topic,Unknown slug,meeting,040,2025-04-07,,no-such-topic\n"
        "ends-early,Constraint,meeting,040,2025-04-07,2025-04-01,\n"
        "bad-cameo,Bad CAMEO,meeting,21,2025-04-07,,\n"
        "too-many,cells,meeting,040,2025-04-07,,,extra\n",
        encoding="utf-8",
    )
    (tmp_path / "topics.csv").write_text("slug,name,colour\nnew-topic,New,red\n")
    (tmp_path / "participants.csv").write_bytes(
        b"slug,name,kind\nlatin-1,Jos\xe9,person\nfine,Fine,person\n"
    )
    (tmp_path / "statements.json").write_text('[{"slug": "cut", "text": "trunc')
    (tmp_path / "countries.ndjson").write_text(
        '{"iso2": "XA", "iso3": "XAA", "name": "Ok"}\n{"iso2": "XB", \n'
    )
    sizes = table_sizes()

    with pytest.raises(CommandError) as raised:
        import_files(*sorted(tmp_path.iterdir()))

    listed = str(raised.value)
    assert listed.splitlines()[0] == "9 problem(s); nothing was written."
    expected = [
        f"{tmp_path}/countries.ndjson:line 2: Not valid JSON: Expecting property name enclosed "
        "in double quotes (column 16).",
        f"{tmp_path}/events.csv:line 3: start_date: Date has wrong format. Use one of these "
        "formats instead: YYYY-MM-DD.",
        f"{tmp_path}/events.csv:line 4: topics[0]: No topic has the slug 'no-such-topic'.",
        f"{tmp_path}/events.csv:line 5: end_date: The end date cannot be before the start date.",
        f"{tmp_path}/events.csv:line 6: cameo_code: A CAMEO event code: 01-20, then 0-2 digits.",
        f"{tmp_path}/events.csv:line 7: 8 cells where the header has 7 columns.",
        f"{tmp_path}/participants.csv:line 2: Not UTF-8 text (byte 12 of the line): save the "
        "file as UTF-8.",
        f"{tmp_path}/statements.json:line 1: Not valid JSON: Unterminated string starting at "
        "column 26.",
        f"{tmp_path}/topics.csv:line 1: colour: Unknown column. The columns of topics: slug, "
        "name, description, parent, citations.",
    ]
    assert listed.splitlines()[1:] == expected
    assert table_sizes() == sizes


def test_an_unknown_reference_names_the_field_of_the_nested_record(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text(
        '{"slug": "x", "title": "X", "event_type": "meeting", "cameo_code": "040", '
        '"start_date": "2025-04-07", "participations": [{"participant": "nobody", '
        '"role": "host"}]}\n'
        '{"slug": "y", "title": "Y", "event_type": "meeting", "cameo_code": "040", '
        '"start_date": "2025-04-07", "citations": [{"source": "seed-source-notes", '
        '"excerpt": "not in it"}]}\n'
    )
    sizes = table_sizes()

    with pytest.raises(CommandError) as raised:
        import_files(path)

    assert str(raised.value).splitlines()[1:] == [
        f"{path}:line 1: participations[0].participant: No participant has the slug 'nobody'.",
        f'{path}:line 1: participations[0].role: "host" is not a valid choice.',
        f"{path}:line 2: citations[0].excerpt: The excerpt does not occur verbatim in the "
        "source's body.",
    ]
    assert table_sizes() == sizes


# Issue 12 (hostile clients): NUL characters, lone surrogates and absurd nesting were a
# traceback (UnicodeEncodeError printing the problems, RecursionError reading the file) or a
# database error; they are problems like any other, found by the API parser's own check.
NUL = "NUL characters (\\u0000) are not allowed."
SURROGATE = "Lone surrogates (\\ud800 to \\udfff without their pair) are not Unicode text."
KEY_SURROGATE = "A field name contains a lone surrogate (\\ud800 to \\udfff without its pair)."
TOO_DEEP = "Nested more than 20 levels deep; no record has that shape."
DEEP = "[" * 100_000 + "]" * 100_000


def rejected(*paths: Path) -> list[str]:
    """The problems listed for the files (which must be refused, writing nothing)."""
    sizes = table_sizes()
    with pytest.raises(CommandError) as raised:
        import_files(*paths)
    assert table_sizes() == sizes
    listed = str(raised.value)
    listed.encode("utf-8")  # printable: no lone surrogate reaches the terminal
    return listed.splitlines()


def test_unstorable_text_in_a_json_file_is_a_problem_of_its_record(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.json"
    path.write_text(
        '[{"slug": "fine", "name": "Fine"},\n'
        ' {"slug": "nul", "name": "A\\u0000B"},\n'
        ' {"slug": "surrogate", "name": "S", "citations": [{"source": "seed-source-notes", '
        '"excerpt": "x", "field\\udfff": ""}]},\n'
        ' {"slug": "deep", "name": "D", "description": ' + "[" * 25 + "]" * 25 + "}]\n"
    )

    assert rejected(path) == [
        "3 problem(s); nothing was written.",
        f"{path}:record 2: name: {NUL}",
        f"{path}:record 3: citations[0]: {KEY_SURROGATE}",
        f"{path}:record 4: description{'[0]' * 19}: {TOO_DEEP}",
    ]
    assert not Topic.objects.filter(slug="fine").exists()


def test_a_json_file_nested_100000_deep_is_a_problem_at_its_line(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.json"
    path.write_text(
        '[{"slug": "fine", "name": "Fine"},\n {"slug": "x", "name": "[{", "description":\n'
        + DEEP
        + "}]"
    )

    assert rejected(path)[1:] == [f"{path}:line 3: {TOO_DEEP}"]


def test_unstorable_text_in_an_ndjson_file_is_a_problem_of_its_line(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.ndjson"
    path.write_text(
        '{"slug": "fine", "name": "Fine"}\n'
        '{"slug": "nul", "name": "A\\u0000B"}\n'
        '{"slug": "surrogate\\ud800", "name": "S"}\n'
        '{"slug": "deep", "name": ' + DEEP + "}\n"
        '{"slug": "raw-nul", "name": "A\x00B"}\n'
    )

    assert rejected(path)[1:] == [
        f"{path}:line 2: name: {NUL}",
        f"{path}:line 3: slug: {SURROGATE}",
        f"{path}:line 4: {TOO_DEEP}",
        # A raw NUL byte is a control character JSON does not allow in a string.
        f"{path}:line 5: Not valid JSON: Invalid control character at column 31.",
    ]
    assert not Topic.objects.filter(slug="fine").exists()


def test_unstorable_text_in_a_csv_file_is_a_problem_of_its_line_and_column(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.csv"
    cited = '"[{""source"": ""seed-source-notes"", ""excerpt"": ""A\\ud800""}]"'
    deep = "[" * 50_000 + "]" * 50_000  # within the csv module's field limit of 131072
    path.write_bytes(
        (
            "slug,name,citations\n"
            "fine,Fine,\n"
            "raw-nul,A\x00B,\n"
            f"surrogate,S,{cited}\n"
            f"deep,D,{deep}\n"
        ).encode()
    )

    assert rejected(path)[1:] == [
        f"{path}:line 3: name: {NUL}",
        f"{path}:line 4: citations[0].excerpt: {SURROGATE}",
        f"{path}:line 5: citations: {TOO_DEEP}",
    ]
    assert not Topic.objects.filter(slug="fine").exists()


def test_a_nul_in_a_csv_header_is_a_problem_of_the_header(tmp_path: Path, importer: User) -> None:
    path = tmp_path / "topics.csv"
    path.write_bytes(b"slug,na\x00me\nfine,Fine\n")

    assert rejected(path)[1:] == [f"{path}:line 1: column 2: {NUL}"]


# Issue 12: a source's body changed by an import broke the citations that quote it (and then
# the export no longer imported). The import's end state is checked, so a body and the
# citations quoting it may change together.
REUTERS = "reuters-washington-2025-04-07"
ARREST = "mohammad-sharifullah-arrested-2025-03"
ARREST_LINE = 'Reuters placed the arrest "last month", i.e. March 2025.'
NEW_ARREST_LINE = "Reuters dated the arrest to March 2025."


def exported(directory: Path, collection: str, **changes: Any) -> Path:
    """The collection exported as NDJSON, with `changes` ({key: {field: value}}) made."""
    path = directory / f"{collection}.ndjson"
    call_command(
        "export_data",
        resource=[collection],
        format="ndjson",
        output_dir=directory,
        stderr=io.StringIO(),
    )
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for record in records:
        record.update(changes.get(record.get("slug"), {}))
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def reworded_arrest_citations() -> list[dict[str, str]]:
    citations = Event.objects.get(slug=ARREST).citations.select_related("source")
    return sorted(
        (
            {
                "source": c.source.slug,
                "excerpt": NEW_ARREST_LINE if c.excerpt == ARREST_LINE else c.excerpt,
                "field": c.field,
            }
            for c in citations
        ),
        key=json.dumps,
    )


def test_a_source_body_that_breaks_citations_is_a_problem(tmp_path: Path, importer: User) -> None:
    body = Source.objects.get(slug=REUTERS).body
    sources = exported(tmp_path, "sources", **{REUTERS: {"body": body.replace(ARREST_LINE, "")}})
    line = next(n for n, text in enumerate(sources.read_text().splitlines(), 1) if REUTERS in text)

    assert rejected(sources) == [
        "2 problem(s); nothing was written.",
        f"{sources}:line {line}: body: The text no longer contains the excerpt of 1 citation of "
        "this source (an excerpt must occur verbatim in its source's body): keep the excerpts "
        "in the text, or change or delete those citations first.",
        f'{sources}:line {line}: body: event {ARREST}, field start_date: "{ARREST_LINE}"',
    ]
    assert Source.objects.get(slug=REUTERS).body == body


def test_a_source_body_and_its_citations_may_change_together(
    tmp_path: Path, importer: User
) -> None:
    body = Source.objects.get(slug=REUTERS).body.replace(ARREST_LINE, NEW_ARREST_LINE)
    sources = exported(tmp_path, "sources", **{REUTERS: {"body": body}})
    events = exported(tmp_path, "events", **{ARREST: {"citations": reworded_arrest_citations()}})

    dry_run = import_files(sources, events, dry_run=True)
    output = import_files(sources, events)

    assert counts(dry_run)["sources"] == counts(output)["sources"] == [0, 1, 8, 0]
    assert counts(output)["events"] == [0, 1, 7, 0]
    assert Source.objects.get(slug=REUTERS).body == body
    excerpts = set(Event.objects.get(slug=ARREST).citations.values_list("excerpt", flat=True))
    assert NEW_ARREST_LINE in excerpts
    assert ARREST_LINE not in excerpts


def test_a_slug_listed_twice_is_a_problem(tmp_path: Path, importer: User) -> None:
    path = tmp_path / "topics.csv"
    path.write_text("slug,name\nsame,One\nsame,Two\n")

    with pytest.raises(CommandError) as raised:
        import_files(path)

    assert f"{path}:line 3: slug: 'same' is listed twice (first at {path}:line 2)." in str(
        raised.value
    )
    assert not Topic.objects.filter(slug="same").exists()


def test_the_collection_comes_from_the_file_name_or_the_option(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "my-spreadsheet.csv"
    path.write_text("slug,name\nexport-controls,Export controls\n")

    with pytest.raises(CommandError, match="Which collection does it hold"):
        import_files(path)
    import_files(path, resource="topics")

    assert Topic.objects.filter(slug="export-controls").exists()


def test_it_needs_an_existing_user(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match="No user is named 'nobody'"):
        import_files(EXAMPLES / "topics.csv", user="nobody")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir()))
def test_the_example_files_are_valid_and_hold_the_article_data(importer: User, name: str) -> None:
    """fixtures/examples (the README's): one file per format, each the article's own records,
    so importing one into the article data set changes nothing."""
    report = imports.run([EXAMPLES / name], user=importer, dry_run=True)

    assert report.problems == []
    changed = {
        collection: numbers
        for collection, numbers in report.counts.items()
        if numbers["created"] or numbers["updated"] or numbers["failed"]
    }
    assert changed == {}
    assert sum(numbers["unchanged"] for numbers in report.counts.values()) > 0


def test_export_data_writes_one_collection_to_standard_output(
    capsys: pytest.CaptureFixture[str], db: None
) -> None:
    call_command("export_data", resource=["topics"], format="csv")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "slug,name,description,parent,citations"
    assert len(lines) == 1 + Topic.objects.count()


# Audit: one line that is not UTF-8 hid every other problem of the file, and so did a row the
# csv module could not read (a cell over its field limit): the README promises every problem,
# each on its line, beside the validation errors of the other rows.
NOT_UTF8 = "Not UTF-8 text (byte {} of the line): save the file as UTF-8."


def test_a_line_that_is_not_utf8_is_a_problem_beside_those_of_the_other_lines(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.ndjson"
    path.write_bytes(
        b'{"slug":"audit-n1","name":"\\u0000"}\n'
        b'{"slug":"audit-x","name":"a\xffb"}\n'
        b'{"slug":"audit-n2","name":"\\ud800"}\n'
        b'{"slug":"audit-fine","name":"Fine"}\n'
    )

    assert rejected(path) == [
        "3 problem(s); nothing was written.",
        f"{path}:line 1: name: {NUL}",
        f"{path}:line 2: {NOT_UTF8.format(28)}",
        f"{path}:line 3: name: {SURROGATE}",
    ]
    assert not Topic.objects.filter(slug="audit-fine").exists()


def test_a_csv_row_that_is_not_utf8_is_a_problem_of_its_line_beside_the_others(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.csv"
    path.write_bytes(
        b"slug,name,description\n"
        b"latin-1,Jos\xe9,\n"
        b'multi-line,M,"first line\n'
        b'second \xff line"\n'
        b"bad-slug!,Bad,\n"
        b"fine,Fine,\n"
    )

    assert rejected(path) == [
        "3 problem(s); nothing was written.",
        f"{path}:line 2: {NOT_UTF8.format(12)}",
        f"{path}:line 4: {NOT_UTF8.format(8)}",
        f'{path}:line 5: slug: Enter a valid "slug" consisting of letters, numbers, underscores '
        "or hyphens.",
    ]
    assert not Topic.objects.filter(slug="fine").exists()


def test_a_csv_header_that_is_not_utf8_is_the_only_problem_listed(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.csv"
    path.write_bytes(b"slug,n\xe4me\nfine,Fine\nlatin-1,Jos\xe9\n")

    # Without its column names no row can be read; every line that is not UTF-8 is listed.
    assert rejected(path)[1:] == [
        f"{path}:line 1: {NOT_UTF8.format(7)}",
        f"{path}:line 3: {NOT_UTF8.format(12)}",
    ]


def test_a_json_file_that_is_not_utf8_is_a_problem_at_each_such_line(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.json"
    path.write_bytes(b'[{"slug": "a", "name": "\xff"},\n {"slug": "b", "name": "ok"},\n "\xe9"]')

    # One document: what it holds is unknown without those bytes, so nothing else is checked.
    assert rejected(path)[1:] == [
        f"{path}:line 1: {NOT_UTF8.format(25)}",
        f"{path}:line 3: {NOT_UTF8.format(3)}",
    ]


def test_csv_rows_the_csv_module_cannot_read_are_problems_of_their_lines(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.csv"
    path.write_text(
        "slug,name,description\n"
        f"big,{'x' * 200_000},d\n"  # over the csv module's default field limit of 131072
        "wrong,count\n"
        '"after"quote,A,\n'
        "fine,Fine,\n"
        'open,"never closed,d\n'
        "swallowed,S,s\n"
    )

    assert rejected(path) == [
        "4 problem(s); nothing was written.",
        f"{path}:line 2: name: Ensure this value has at most 200 characters (it has 200000).",
        f"{path}:line 3: 2 cells where the header has 3 columns.",
        f"{path}:line 4: Not valid CSV: ',' expected after '\"'.",
        f"{path}:line 6: Not valid CSV: a quoted cell that starts on this line is never closed "
        '(a quote in a quoted cell is written twice: "").',
    ]
    assert not Topic.objects.filter(slug="fine").exists()


def test_a_csv_cell_longer_than_the_csv_modules_default_limit_is_imported(
    tmp_path: Path, importer: User
) -> None:
    body = "A long article. " * 10_000  # 160,000 characters, as a JSON file may hold
    path = tmp_path / "sources.csv"
    path.write_text(f"slug,title,publisher,body\nlong-article,A long article,Reuters,{body}\n")

    import_files(path)

    assert Source.objects.get(slug="long-article").body == body


def test_a_key_given_twice_in_a_record_is_a_problem_as_in_the_api(
    tmp_path: Path, importer: User
) -> None:
    path = tmp_path / "topics.ndjson"
    path.write_text('{"slug": "dup", "name": "x", "name": "y"}\n', encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        import_files(path)
    assert "the key 'name' appears twice in one object" in str(raised.value)
    assert not Topic.objects.filter(slug="dup").exists()
