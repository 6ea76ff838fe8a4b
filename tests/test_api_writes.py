"""Writes: create, replace, update and delete on every collection, validated by the models' own
rules, atomic, with read-only fields ignored and unknown ones refused."""

from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.db.models import Model

from events.models import (
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
from events.views import RecordViewSet

from .conftest import TokenClient

pytestmark = pytest.mark.usefixtures("article")

CALL = "rubio-dar-phone-call-2025-04-07"
NOTES = "seed-source-notes"

NEW: dict[str, dict[str, Any]] = {
    "events": {
        "slug": "dar-visits-washington",
        "title": "Dar visits Washington",
        "event_type": "visit",
        "cameo_code": "042",
        "start_date": "2025-06-01",
        "date_precision": "month",
        "countries": ["PK", "us"],
        "topics": ["trade"],
        "participations": [
            {"participant": "ishaq-dar", "role": "initiator", "country": "PK"},
            {"participant": "marco-rubio", "role": "counterpart", "country": "US"},
        ],
        "related_events": [{"relation_type": "preceded_by", "event": CALL}],
        "citations": [{"source": NOTES, "excerpt": "Ishaq Dar holds two offices"}],
    },
    "participants": {
        "slug": "shehbaz-sharif",
        "name": "Shehbaz Sharif",
        "kind": "person",
        "country": "PK",
        "aliases": ["PM Sharif"],
    },
    "countries": {"iso2": "IN", "iso3": "IND", "name": "India"},
    "topics": {"slug": "export-controls", "name": "Export controls", "parent": "trade"},
    "tariff-measures": {
        "slug": "us-tariff-on-pakistan-steel",
        "title": "U.S. tariff on Pakistani steel",
        "imposing_country": "US",
        "target_countries": ["PK"],
        "measure_type": "sectoral",
        "rate": 25.5,
        "status": "announced",
        "discussed_in": [CALL],
    },
    "statements": {
        "slug": "rubio-on-minerals",
        "event": CALL,
        "speaker": "marco-rubio",
        "text": "We are interested in critical minerals.",
        "kind": "quote",
        "stated_on": "2025-04-07",
    },
    "sources": {
        "slug": "state-department-readout",
        "title": "Secretary Rubio's Call with Pakistani Deputy Prime Minister Dar",
        "publisher": "U.S. Department of State",
        "web_url": "https://www.state.gov/",
        "published_on": "2025-04-07",
        "published_precision": "day",
        "body": "Secretary Rubio spoke with Deputy Prime Minister Dar.",
    },
}
MODELS: dict[str, type[Model]] = {
    "events": Event,
    "participants": Participant,
    "countries": Country,
    "topics": Topic,
    "tariff-measures": TariffMeasure,
    "statements": Statement,
    "sources": Source,
}
KEYS: dict[str, str] = {name: data.get("slug") or data["iso2"] for name, data in NEW.items()}


@pytest.mark.parametrize("collection", NEW)
def test_it_creates_a_record_and_answers_with_its_detail(
    editor: TokenClient, collection: str
) -> None:
    response = editor.send("POST", f"/api/v1/{collection}/", NEW[collection])
    assert response.status_code == 201, response.content
    body = response.json()
    url = f"http://testserver/api/v1/{collection}/{KEYS[collection]}/"
    assert (body["url"], response["Location"]) == (url, url)
    assert response["ETag"] == editor.get(url)["ETag"]
    lookup = {"iso2": "IN"} if collection == "countries" else {"slug": KEYS[collection]}
    assert MODELS[collection]._default_manager.filter(**lookup).exists()


def test_it_creates_an_event_with_everything_it_embeds(editor: TokenClient) -> None:
    body = editor.send("POST", "/api/v1/events/", NEW["events"]).json()
    assert [c["iso2"] for c in body["countries"]] == ["PK", "US"]
    assert [t["slug"] for t in body["topics"]] == ["trade"]
    assert [(p["participant"]["slug"], p["role"]) for p in body["participations"]] == [
        ("marco-rubio", "counterpart"),
        ("ishaq-dar", "initiator"),
    ]
    assert [
        (r["relation_type"], r["direction"], r["event"]["slug"]) for r in body["related_events"]
    ] == [("preceded_by", "outgoing", CALL)]
    assert [c["excerpt"] for c in body["citations"]] == ["Ishaq Dar holds two offices"]


@pytest.mark.parametrize("collection", NEW)
def test_it_replaces_a_record_with_put(editor: TokenClient, collection: str) -> None:
    editor.send("POST", f"/api/v1/{collection}/", NEW[collection])
    url = f"/api/v1/{collection}/{KEYS[collection]}/"
    field = next(f for f in ("title", "name", "text") if f in NEW[collection])
    response = editor.send("PUT", url, {**NEW[collection], field: "Renamed"})
    assert response.status_code == 200, response.content
    assert response.json()[field] == "Renamed"


def test_it_resets_what_a_put_leaves_out(editor: TokenClient) -> None:
    editor.send("POST", "/api/v1/events/", NEW["events"])
    minimal = {
        k: NEW["events"][k] for k in ("slug", "title", "event_type", "cameo_code", "start_date")
    }
    body = editor.send("PUT", "/api/v1/events/dar-visits-washington/", minimal).json()
    assert (body["countries"], body["participations"], body["date_precision"]) == ([], [], "day")


@pytest.mark.parametrize("collection", NEW)
def test_it_updates_part_of_a_record_with_patch(editor: TokenClient, collection: str) -> None:
    editor.send("POST", f"/api/v1/{collection}/", NEW[collection])
    url = f"/api/v1/{collection}/{KEYS[collection]}/"
    field = next(f for f in ("title", "name", "text") if f in NEW[collection])
    response = editor.send("PATCH", url, {field: "Patched"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body[field] == "Patched"
    if collection == "events":
        assert len(body["participations"]) == 2  # untouched by a PATCH that leaves them out


@pytest.mark.parametrize("collection", NEW)
def test_it_deletes_a_record(editor: TokenClient, collection: str) -> None:
    editor.send("POST", f"/api/v1/{collection}/", NEW[collection])
    url = f"/api/v1/{collection}/{KEYS[collection]}/"
    response = editor.send("DELETE", url)
    assert (response.status_code, response.content) == (204, b"")
    assert editor.get(url).status_code == 404


def test_it_deletes_an_events_nested_records_with_it(editor: TokenClient) -> None:
    editor.send("POST", "/api/v1/events/", NEW["events"])
    event = Event.objects.get(slug="dar-visits-washington")
    editor.send("DELETE", "/api/v1/events/dar-visits-washington/")
    assert not Participation.objects.filter(event_id=event.pk).exists()
    assert not EventRelation.objects.filter(from_event_id=event.pk).exists()
    assert not Citation.objects.filter(event_id=event.pk).exists()


def test_it_refuses_to_delete_a_record_others_still_refer_to(editor: TokenClient) -> None:
    response = editor.send("DELETE", "/api/v1/participants/marco-rubio/")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("The record is still referred to by")
    assert Participant.objects.filter(slug="marco-rubio").exists()


def test_it_reads_back_what_a_get_returned(editor: TokenClient) -> None:
    """A record read from the API can be changed and written back as is."""
    url = f"/api/v1/events/{CALL}/"
    before = editor.get(url).json()
    sent = {**before, "title": "The Rubio-Dar call"}
    response = editor.send("PUT", url, sent)
    assert response.status_code == 200, response.content
    after = response.json()
    assert after["title"] == "The Rubio-Dar call"
    for field in (
        "countries",
        "topics",
        "participations",
        "statements",
        "citations",
        "discussed_measures",
    ):
        assert after[field] == before[field], field
    # Incoming relations belong to the other events and are left alone.
    assert after["related_events"] == before["related_events"]


def test_it_ignores_read_only_fields(editor: TokenClient) -> None:
    url = "/api/v1/topics/trade/"
    before = editor.get(url).json()
    sent = {
        "url": "http://elsewhere.example/",
        "created_at": "1999-01-01T00:00:00Z",
        "updated_at": "1999-01-01T00:00:00Z",
        "children": [],
        "events_url": "http://elsewhere.example/",
    }
    after = editor.send("PATCH", url, sent).json()
    assert after["url"] == before["url"]
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] != "1999-01-01T00:00:00Z"
    assert [c["slug"] for c in after["children"]] == [c["slug"] for c in before["children"]]


def test_it_refuses_unknown_fields(editor: TokenClient) -> None:
    response = editor.send("PATCH", "/api/v1/topics/trade/", {"titel": "Typo", "colour": "red"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "colour": ["Unknown field: it is not part of this record."],
        "titel": ["Unknown field: it is not part of this record."],
    }


def test_it_refuses_to_change_a_slug(editor: TokenClient) -> None:
    response = editor.send("PATCH", "/api/v1/topics/trade/", {"slug": "commerce"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "slug": ["The slug cannot change: create a new record and delete this one."]
    }


# One invariant each: the API answers 400 naming the field, and nothing is written.
INVARIANTS = [
    (
        "events",
        {"end_date": "2025-05-01"},
        "end_date",
        "The end date cannot be before the start date.",
    ),
    ("events", {"cameo_code": "21"}, "cameo_code", "A CAMEO event code: 01-20, then 0-2 digits."),
    (
        "events",
        {"start_date": "2025-06-15"},
        "start_date",
        "A date known to the month must be the 1st of the month, one known to the year 1 January.",
    ),
    ("events", {"slug": CALL}, "slug", "Event with this Slug already exists."),
    (
        "events",
        {"related_events": [{"relation_type": "context_for", "event": "dar-visits-washington"}]},
        "related_events[0].event",
        None,
    ),
    (
        "events",
        {
            "participations": [
                {"participant": "marco-rubio", "role": "initiator"},
                {"participant": "marco-rubio", "role": "initiator"},
            ]
        },
        "participations[1].role",
        "The participant has this role twice in the list.",
    ),
    (
        "events",
        {"participations": [{"participant": "nobody", "role": "initiator"}]},
        "participations[0].participant",
        "No participant has the slug 'nobody'.",
    ),
    (
        "events",
        {"citations": [{"source": NOTES, "excerpt": "words the notes never use"}]},
        "citations[0].excerpt",
        "The excerpt does not occur verbatim in the source's body.",
    ),
    (
        "events",
        {"citations": [{"source": NOTES, "excerpt": "Ishaq Dar", "field": "colour"}]},
        "citations[0].field",
        "Event has no field 'colour'.",
    ),
    (
        "tariff-measures",
        {"rate": 1000.5},
        "rate",
        "Ensure this value is less than or equal to 1000.",
    ),
    ("tariff-measures", {"rate": -1}, "rate", "Ensure this value is greater than or equal to 0."),
    (
        "tariff-measures",
        {"effective_on": "2025-04-09", "ended_on": "2025-04-01"},
        "ended_on",
        "A measure cannot end before it takes effect.",
    ),
    ("countries", {"iso2": "in"}, "iso2", "Two upper-case letters, e.g. 'PK'."),
    ("countries", {"iso3": "PAK"}, "iso3", "Country with this ISO 3166-1 alpha-3 already exists."),
    (
        "participants",
        {"affiliation": "marco-rubio"},
        "affiliation",
        "Choose an existing organization (a participant of kind 'organization').",
    ),
    ("participants", {"wikidata_qid": "42"}, "wikidata_qid", "A Wikidata item id, e.g. 'Q42'."),
    (
        "statements",
        {"date_precision": "month"},
        "stated_on",
        "A date known to the month must be the 1st of the month, one known to the year 1 January.",
    ),
    (
        "sources",
        {"published_on": None},
        "published_precision",
        "A publication date needs a precision (day, month or year), and a precision needs a date.",
    ),
]


@pytest.mark.parametrize(("collection", "changes", "field", "message"), INVARIANTS)
def test_it_answers_400_naming_the_field_and_writes_nothing(
    editor: TokenClient, collection: str, changes: dict[str, Any], field: str, message: str | None
) -> None:
    model = MODELS[collection]._default_manager
    before = (model.count(), Citation.objects.count(), Participation.objects.count())
    data = {**NEW[collection], **changes}
    response = editor.send("POST", f"/api/v1/{collection}/", data)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    if message is not None:
        assert errors[field] == [message]
    assert (
        model.count(),
        Citation.objects.count(),
        Participation.objects.count(),
    ) == before


def test_it_refuses_a_topic_made_its_own_ancestor(editor: TokenClient) -> None:
    response = editor.send("PATCH", "/api/v1/topics/trade/", {"parent": "reciprocal-tariffs"})
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"parent": ["A topic cannot be its own ancestor."]},
    )
    assert Topic.objects.get(slug="trade").parent is None


def test_it_refuses_an_event_related_to_itself(editor: TokenClient) -> None:
    response = editor.send(
        "PATCH",
        f"/api/v1/events/{CALL}/",
        {"related_events": [{"relation_type": "part_of", "event": CALL}]},
    )
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"related_events[0].event": ["An event cannot be related to itself."]},
    )


def test_it_writes_nothing_when_a_nested_record_fails_after_others_were_written(
    editor: TokenClient,
) -> None:
    """The event and its first participations are saved before the last citation fails
    validation; the whole write is rolled back."""
    data = {
        **NEW["events"],
        "citations": [
            {"source": NOTES, "excerpt": "Ishaq Dar holds two offices"},
            {"source": NOTES, "excerpt": "not in the notes at all"},
        ],
    }
    counts = (Event.objects.count(), Participation.objects.count(), Citation.objects.count())
    response = editor.send("POST", "/api/v1/events/", data)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["citations[1].excerpt"]
    assert (
        Event.objects.count(),
        Participation.objects.count(),
        Citation.objects.count(),
    ) == counts


def test_it_keeps_the_citations_a_write_leaves_in_place(editor: TokenClient) -> None:
    event = Event.objects.get(slug=CALL)
    ids = list(event.citations.order_by("key").values_list("pk", flat=True))
    body = editor.get(f"/api/v1/events/{CALL}/").json()  # citations ordered by key too
    response = editor.send("PATCH", f"/api/v1/events/{CALL}/", {"citations": body["citations"][1:]})
    assert response.status_code == 200
    assert list(event.citations.order_by("key").values_list("pk", flat=True)) == ids[1:]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        ("{not json", "application/json", 400, "The body is not valid JSON"),
        (
            '{"rate": NaN}',
            "application/json",
            400,
            "The body is not valid JSON: NaN is not valid JSON",
        ),
        ("[1, 2]", "application/json", 400, None),
        ("", "application/json", 400, "The request body is empty; send a JSON object."),
        (
            "title=x",
            "application/x-www-form-urlencoded",
            415,
            'Unsupported media type "application/x-www-form-urlencoded" in request.',
        ),
        ('{"title": "x"}', "text/plain", 415, 'Unsupported media type "text/plain" in request.'),
    ],
)
def test_it_refuses_a_body_it_cannot_read(
    editor: TokenClient, body: str, content_type: str, status: int, detail: str | None
) -> None:
    response = editor.generic("PATCH", "/api/v1/topics/trade/", body, content_type=content_type)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    if detail is not None:
        assert response.json()["detail"].startswith(detail)


def test_it_refuses_a_body_over_the_limit(editor: TokenClient) -> None:
    big = {"name": "x" * (1024 * 1024)}
    response = editor.send("PATCH", "/api/v1/topics/trade/", big)
    assert response.status_code == 413
    assert response.json()["detail"].endswith("the limit is 1048576 bytes.")
    assert Topic.objects.get(slug="trade").name == "Trade"


@pytest.mark.parametrize("value", ["\u0000", "\ud800"])
def test_it_refuses_nul_bytes_and_lone_surrogates(editor: TokenClient, value: str) -> None:
    body = '{"name": "Trade' + ("\\u0000" if value == "\u0000" else "\\ud800") + '"}'
    response = editor.generic(
        "PATCH", "/api/v1/topics/trade/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_it_leaves_nothing_behind_when_the_database_fails_halfway(editor: TokenClient) -> None:
    """A database error after the event and its first rows are inserted: everything rolls back."""
    from unittest import mock

    from django.db import DatabaseError

    from .test_bad_input import rows

    original = Participation.save
    calls = {"n": 0}

    def failing_save(self: Participation, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the event and its first participation are already written
            raise DatabaseError("disk full")
        original(self, *args, **kwargs)

    before = rows()
    with mock.patch.object(Participation, "save", failing_save):
        response = editor.send("POST", "/api/v1/events/", NEW["events"])
    assert calls["n"] == 2
    assert response.status_code == 500
    assert response.json()["detail"] == (
        "The server failed to answer this request; the error has been logged."
    )
    assert rows() == before
    assert not Event.objects.filter(slug="dar-visits-washington").exists()


# Issue 12: editing a source's text silently broke its citations (an excerpt must occur in its
# source's body), and then the export no longer imported. Source.clean() refuses it.
REUTERS = "reuters-washington-2025-04-07"
ARREST_LINE = '  Reuters placed the arrest "last month", i.e. March 2025.\n'


def breaks(count: str) -> str:
    return (
        f"The text no longer contains the excerpt of {count} of this source (an excerpt must "
        "occur verbatim in its source's body): keep the excerpts in the text, or change or "
        "delete those citations first."
    )


def test_it_refuses_a_source_body_that_drops_a_cited_excerpt(editor: TokenClient) -> None:
    source = Source.objects.get(slug=REUTERS)
    before = (source.body, source.updated_at, source.history.count())
    etag = editor.get(f"/api/v1/sources/{REUTERS}/")["ETag"]

    response = editor.send(
        "PATCH", f"/api/v1/sources/{REUTERS}/", {"body": source.body.replace(ARREST_LINE, "")}
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "Invalid input: body. See `errors` for what is wrong with each.",
        "errors": {
            "body": [
                breaks("1 citation"),
                'event mohammad-sharifullah-arrested-2025-03, field start_date: "Reuters placed '
                'the arrest "last month", i.e. March 2025."',
            ]
        },
    }
    source.refresh_from_db()
    assert (source.body, source.updated_at, source.history.count()) == before
    assert editor.get(f"/api/v1/sources/{REUTERS}/")["ETag"] == etag


def test_it_refuses_a_put_that_replaces_a_cited_text(editor: TokenClient) -> None:
    record = editor.get(f"/api/v1/sources/{REUTERS}/").json()
    body = record["body"]

    response = editor.send("PUT", f"/api/v1/sources/{REUTERS}/", {**record, "body": "Nothing."})

    assert response.status_code == 400
    assert response.json()["errors"] == {  # oldest citation first
        "body": [
            breaks("5 citations"),
            'country CD: ""Congo" in the article is the Democratic Republic of the ..."',
            'event rubio-dar-phone-call-2025-04-07, field start_date: "The call took place on '
            'Monday 7 April 2025."',
            'event us-state-department-statement-on-rubio-dar-call, field start_date: "The call '
            'took place on Monday 7 April 2025."',
            'event pakistan-foreign-ministry-statement-on-rubio-dar-call, field start_date: "The '
            'call took place on Monday 7 April 2025."',
            'event mohammad-sharifullah-arrested-2025-03, field start_date: "Reuters placed the '
            'arrest "last month", i.e. March 2025."',
        ]
    }
    assert Source.objects.get(slug=REUTERS).body == body


def test_it_lists_the_first_ten_broken_citations_and_counts_the_rest(
    editor: TokenClient,
) -> None:
    slug = "newsx-us-pakistan-talks-2025-04"
    cited = Citation.objects.filter(source__slug=slug).count()

    response = editor.send("PATCH", f"/api/v1/sources/{slug}/", {"body": "Nothing."})

    assert response.status_code == 400
    messages = response.json()["errors"]["body"]
    assert (messages[0], len(messages), messages[-1]) == (
        breaks(f"{cited} citations"),
        12,
        f"... and {cited - 10} more.",
    )


def test_it_accepts_a_body_edit_that_keeps_every_excerpt(editor: TokenClient) -> None:
    source = Source.objects.get(slug=REUTERS)
    body = source.body + "\n- A line nothing cites yet."

    response = editor.send("PATCH", f"/api/v1/sources/{REUTERS}/", {"body": body})

    assert response.status_code == 200, response.content
    assert response.json()["body"] == body
    assert Source.objects.get(slug=REUTERS).body == body


# --- the connection lost around the commit (on PostgreSQL for real: test_database_loss.py) -------


def lose_the_connection(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    raise OperationalError("server closed the connection unexpectedly")


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response.json()["detail"] == "The database is not reachable; try again shortly."


def failing_read_back(original: Any) -> Any:
    """detail_response with every query failing, as if the connection died once the write's
    statements had run and before its answer was read."""

    def detail_response(self: Any, *args: Any, **kwargs: Any) -> Any:
        with connection.execute_wrapper(lose_the_connection):
            return original(self, *args, **kwargs)

    return detail_response


# Transactional: the 503 drops the "broken" connection, which on PostgreSQL would end the
# transaction a test otherwise runs in (and the write's commit is then a real one).
LOSING_THE_CONNECTION = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@LOSING_THE_CONNECTION
@pytest.mark.parametrize("collection", NEW)
def test_a_create_whose_answer_cannot_be_read_is_not_committed_and_its_retry_succeeds(
    editor: TokenClient, collection: str
) -> None:
    """Regression (issue 12): the answer was read after COMMIT, so a 503 could mean a
    committed record, whose retry was then a 400 for its duplicate slug."""
    from .test_bad_input import rows

    before = rows()
    with mock.patch.object(
        RecordViewSet, "detail_response", failing_read_back(RecordViewSet.detail_response)
    ):
        response = editor.send("POST", f"/api/v1/{collection}/", NEW[collection])
    assert_unavailable(response)
    assert rows() == before

    retry = editor.send("POST", f"/api/v1/{collection}/", NEW[collection])
    assert retry.status_code == 201, retry.content
    key = "iso2" if collection == "countries" else "slug"
    assert MODELS[collection]._default_manager.filter(**{key: KEYS[collection]}).exists()


@LOSING_THE_CONNECTION
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_update_whose_answer_cannot_be_read_changes_nothing(
    editor: TokenClient, method: str
) -> None:
    from .test_bad_input import rows

    before, description = rows(), Topic.objects.get(slug="trade").description
    change = {**editor.get("/api/v1/topics/trade/").json(), "description": "Changed."}
    with mock.patch.object(
        RecordViewSet, "detail_response", failing_read_back(RecordViewSet.detail_response)
    ):
        response = editor.send(method, "/api/v1/topics/trade/", change)
    assert_unavailable(response)
    assert rows() == before
    assert Topic.objects.get(slug="trade").description == description

    assert editor.send(method, "/api/v1/topics/trade/", change).status_code == 200
    assert Topic.objects.get(slug="trade").description == "Changed."


@LOSING_THE_CONNECTION
def test_a_write_whose_commit_fails_is_a_503_and_writes_nothing(editor: TokenClient) -> None:
    """COMMIT itself raising (on SQLite the transaction is then rolled back; on PostgreSQL a
    connection lost at that instant leaves the outcome unknown: README, Reliability)."""
    from .test_bad_input import rows

    before = rows()
    with mock.patch.object(
        connection, "commit", side_effect=OperationalError("server closed the connection")
    ) as commit:
        response = editor.send("POST", "/api/v1/topics/", NEW["topics"])
    assert commit.called
    assert_unavailable(response)
    assert rows() == before

    assert editor.send("POST", "/api/v1/topics/", NEW["topics"]).status_code == 201
