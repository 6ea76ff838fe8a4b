"""A catalogue of hostile and broken input. Each case is answered with a 4xx problem+json that
names the problem, and leaves the database as it was (every table's row count, history and
change feed included)."""

import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from .conftest import TokenClient
from .test_api_repeated_parameters import PARAMETERS, concrete, encode, ids, required

pytestmark = pytest.mark.usefixtures("article")

CALL = "rubio-dar-phone-call-2025-04-07"
EVENT = {
    "slug": "catalogue-event",
    "title": "An event",
    "event_type": "meeting",
    "cameo_code": "043",
    "start_date": "2025-05-01",
}
MEASURE = {
    "slug": "catalogue-measure",
    "title": "A measure",
    "imposing_country": "US",
    "measure_type": "sectoral",
    "rate": 10,
    "status": "announced",
}
SQL = "'; DROP TABLE events_event; --"
TEMPLATE = "{{ settings.SECRET_KEY }}{% debug %}${7*7}"


def rows() -> dict[str, int]:
    """Row counts of every table the app and the auth tokens own (history and feed included)."""
    models = [*apps.get_app_config("events").get_models(include_auto_created=True)]
    return {m._meta.db_table: m._default_manager.count() for m in models}


def body(data: Any) -> str:
    return json.dumps(data)


# (id, method, path, raw body or query, content type, status, the key of `errors` that names
# the problem, or a phrase of `detail`)
CASES: list[tuple[str, str, str, Any, str, int, str]] = [
    (
        "malformed-json",
        "POST",
        "/api/v1/events/",
        '{"slug": "x",',
        "application/json",
        400,
        "not valid JSON",
    ),
    (
        "truncated-json",
        "POST",
        "/api/v1/events/",
        '{"slug": "x", "title": "y"',
        "application/json",
        400,
        "not valid JSON",
    ),
    (
        "json-nan",
        "POST",
        "/api/v1/tariff-measures/",
        '{"rate": NaN}',
        "application/json",
        400,
        "NaN is not valid JSON",
    ),
    (
        "json-infinity",
        "POST",
        "/api/v1/tariff-measures/",
        '{"rate": Infinity}',
        "application/json",
        400,
        "Infinity is not valid JSON",
    ),
    ("no-content-type", "POST", "/api/v1/events/", body(EVENT), "", 415, "Unsupported media type"),
    (
        "form-content-type",
        "POST",
        "/api/v1/events/",
        "slug=x",
        "application/x-www-form-urlencoded",
        415,
        "Unsupported media type",
    ),
    (
        "text-content-type",
        "PATCH",
        f"/api/v1/events/{CALL}/",
        body({"title": "x"}),
        "text/plain",
        415,
        "Unsupported media type",
    ),
    (
        "nul-byte",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "title": "A\u0000B"}),
        "application/json",
        400,
        "title",
    ),
    (
        "lone-surrogate",
        "POST",
        "/api/v1/events/",
        '{"slug": "x", "title": "A\\ud800B", "event_type": "meeting", "cameo_code": "043", "start_date": "2025-05-01"}',
        "application/json",
        400,
        "title",
    ),
    (
        "nul-in-a-reference",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "countries": ["P\u0000"]}),
        "application/json",
        400,
        "countries[0]",
    ),
    (
        "nul-in-a-nested-reference",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "participations": [{"participant": "a\u0000", "role": "initiator"}]}),
        "application/json",
        400,
        "participations[0].participant",
    ),
    (
        "nul-in-a-detail-write",
        "PATCH",
        f"/api/v1/events/{CALL}/",
        body({"topics": ["trade\u0000"]}),
        "application/json",
        400,
        "topics[0]",
    ),
    (
        "surrogate-in-a-reference",
        "POST",
        "/api/v1/tariff-measures/",
        body({**MEASURE, "imposing_country": "U\ud800"}),
        "application/json",
        400,
        "imposing_country",
    ),
    (
        "surrogate-in-a-choice",
        "POST",
        "/api/v1/tariff-measures/",
        '{"slug": "m", "measure_type": "sectoral\\udfff", "status": "announced"}',
        "application/json",
        400,
        "measure_type",
    ),
    (
        "surrogate-in-a-key",
        "POST",
        "/api/v1/events/",
        '{"slug": "x", "ti\\ud800tle": "y"}',
        "application/json",
        400,
        "non_field_errors",
    ),
    (
        "nul-in-a-nested-key",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "participations": [{"role\u0000": "initiator"}]}),
        "application/json",
        400,
        "participations[0]",
    ),
    (
        "100k-title",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "title": "x" * 100_000}),
        "application/json",
        400,
        "title",
    ),
    (
        "100k-summary",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "summary": "x" * 100_000}),
        "application/json",
        400,
        "summary",
    ),
    (
        "100k-slug",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "slug": "x" * 100_000}),
        "application/json",
        400,
        "slug",
    ),
    (
        "deeply-nested",
        "POST",
        "/api/v1/events/",
        "[" * 100_000 + "]" * 100_000,
        "application/json",
        400,
        "not valid JSON",
    ),
    (
        "nested-where-text-goes",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "title": {"a": [[[{"b": 1}]]]}}),
        "application/json",
        400,
        "title",
    ),
    (
        "a-list-body",
        "POST",
        "/api/v1/events/",
        body([EVENT]),
        "application/json",
        400,
        "non_field_errors",
    ),
    (
        "over-the-size-limit",
        "POST",
        "/api/v1/sources/",
        body({"body": "x" * (1024 * 1024 + 1)}),
        "application/json",
        413,
        "the limit is 1048576 bytes",
    ),
    (
        "year-0-in-body",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "start_date": "0000-01-01"}),
        "application/json",
        400,
        "start_date",
    ),
    (
        "year-10000-in-body",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "start_date": "10000-01-01"}),
        "application/json",
        400,
        "start_date",
    ),
    (
        "rate-negative",
        "POST",
        "/api/v1/tariff-measures/",
        body({**MEASURE, "rate": -5}),
        "application/json",
        400,
        "rate",
    ),
    (
        "rate-huge",
        "POST",
        "/api/v1/tariff-measures/",
        body({**MEASURE, "rate": 1e308}),
        "application/json",
        400,
        "rate",
    ),
    (
        "rate-overflowing-float",
        "POST",
        "/api/v1/tariff-measures/",
        '{"slug": "m", "title": "t", "imposing_country": "US", "measure_type": "sectoral", "status": "announced", "rate": 1e999}',
        "application/json",
        400,
        "rate",
    ),
    (
        "rate-as-text",
        "POST",
        "/api/v1/tariff-measures/",
        body({**MEASURE, "rate": "ten"}),
        "application/json",
        400,
        "rate",
    ),
    (
        "unknown-enum-in-body",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "event_type": "party"}),
        "application/json",
        400,
        "event_type",
    ),
    (
        "duplicate-slug",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "slug": CALL}),
        "application/json",
        400,
        "slug",
    ),
    (
        "topic-its-own-ancestor",
        "PATCH",
        "/api/v1/topics/trade/",
        body({"parent": "reciprocal-tariffs"}),
        "application/json",
        400,
        "parent",
    ),
    (
        "event-related-to-itself",
        "PATCH",
        f"/api/v1/events/{CALL}/",
        body({"related_events": [{"relation_type": "part_of", "event": CALL}]}),
        "application/json",
        400,
        "related_events[0].event",
    ),
    (
        "participation-of-nobody",
        "PATCH",
        f"/api/v1/events/{CALL}/",
        body({"participations": [{"participant": "no-such-person", "role": "initiator"}]}),
        "application/json",
        400,
        "participations[0].participant",
    ),
    (
        "source-text-dropping-cited-excerpts",
        "PATCH",
        "/api/v1/sources/reuters-washington-2025-04-07/",
        body({"body": "Nothing anything cites."}),
        "application/json",
        400,
        "body",
    ),
    (
        "sql-in-a-slug",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "slug": SQL}),
        "application/json",
        400,
        "slug",
    ),
    (
        "sql-in-a-reference",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "countries": [SQL]}),
        "application/json",
        400,
        "countries",
    ),
    (
        "template-in-a-reference",
        "POST",
        "/api/v1/events/",
        body({**EVENT, "topics": [TEMPLATE]}),
        "application/json",
        400,
        "topics",
    ),
    (
        "repeated-parameter-on-a-write",
        "PATCH",
        "/api/v1/topics/trade/?format=json&format=json",
        body({"description": "Changed"}),
        "application/json",
        400,
        "format",
    ),
    (
        "template-in-a-code",
        "POST",
        "/api/v1/countries/",
        body({"iso2": TEMPLATE, "iso3": "XXX", "name": "X"}),
        "application/json",
        400,
        "iso2",
    ),
]
QUERY_CASES: list[tuple[str, str, dict[str, str | list[str]], int, str]] = [
    ("page-past-the-end", "/api/v1/events/", {"page": "9"}, 404, "Page 9 does not exist"),
    ("page-past-the-page-number-depth", "/api/v1/events/", {"page": "999"}, 400, "page"),
    ("page-zero", "/api/v1/events/", {"page": "0"}, 400, "page"),
    ("page-negative", "/api/v1/events/", {"page": "-3"}, 400, "page"),
    ("page-size-10-to-the-9", "/api/v1/events/", {"page_size": str(10**9)}, 400, "page_size"),
    ("year-0-in-a-filter", "/api/v1/events/", {"date_from": "0000-01-01"}, 400, "date_from"),
    ("year-10000-in-a-filter", "/api/v1/events/", {"date_to": "10000-01-01"}, 400, "date_to"),
    ("nan-rate-filter", "/api/v1/tariff-measures/", {"rate_min": "NaN"}, 400, "rate_min"),
    ("infinite-rate-filter", "/api/v1/tariff-measures/", {"rate_max": "Infinity"}, 400, "rate_max"),
    ("huge-rate-filter", "/api/v1/tariff-measures/", {"rate_max": "1e400"}, 400, "rate_max"),
    ("unknown-enum-filter", "/api/v1/tariff-measures/", {"status": "rumoured"}, 400, "status"),
    ("unknown-parameter", "/api/v1/events/", {"colour": "red"}, 400, "colour"),
    # Digits that are not 0-9: int() refuses some ("²") and reads others ("١٢" is 12).
    ("superscript-page", "/api/v1/events/", {"page": "\u00b2"}, 400, "page"),
    ("arabic-indic-page-size", "/api/v1/events/", {"page_size": "\u0661\u0662"}, 400, "page_size"),
    ("fullwidth-page", "/api/v1/sources/", {"page": "\uff11"}, 400, "page"),
    ("superscript-feed-after", "/api/v1/changes/", {"after": "\u00b2"}, 400, "after"),
    ("superscript-feed-size", "/api/v1/changes/", {"page_size": "\u00b9"}, 400, "page_size"),
    (
        "superscript-history-page",
        f"/api/v1/events/{CALL}/history/",
        {"page": "\u00b2"},
        400,
        "page",
    ),
    # Dates and times that do not exist.
    ("30-february-since", "/api/v1/changes/", {"since": "2025-02-30T00:00:00Z"}, 400, "since"),
    ("hour-25-since", "/api/v1/changes/", {"since": "2025-04-07T25:00:00Z"}, 400, "since"),
    ("offset-99-since", "/api/v1/changes/", {"since": "2025-04-07T00:00:00+99:99"}, 400, "since"),
    (
        "offset-99-updated-since",
        "/api/v1/events/",
        {"updated_since": "2025-04-07T00:00:00+99:99"},
        400,
        "updated_since",
    ),
    ("30-february-date-from", "/api/v1/events/", {"date_from": "2025-02-30"}, 400, "date_from"),
    # Empty items in a sort.
    ("ordering-comma", "/api/v1/events/", {"ordering": ","}, 400, "ordering"),
    # The schema's maxItems (100), as for every multi-valued parameter.
    (
        "ordering-too-many",
        "/api/v1/events/",
        {"ordering": ",".join(["date"] * 101)},
        400,
        "ordering",
    ),
    (
        "ordering-too-many-repeated",
        "/api/v1/tariff-measures/",
        {"ordering": ["rate"] * 101},
        400,
        "ordering",
    ),
    ("ordering-trailing-comma", "/api/v1/events/", {"ordering": "date,"}, 400, "ordering"),
    (
        "ordering-inner-comma",
        "/api/v1/tariff-measures/",
        {"ordering": "rate,,slug"},
        400,
        "ordering",
    ),
    ("ordering-comma-export", "/api/v1/events/export/", {"ordering": "date,"}, 400, "ordering"),
    (
        "ordering-comma-stats",
        "/api/v1/events/stats/",
        {"group_by": "month", "ordering": ","},
        400,
        "ordering",
    ),
    # Cursors not from a `next` link.
    ("tampered-cursor", "/api/v1/events/", {"cursor": "WyIyMDI1LTA0LTA3IiwgIngiXQ"}, 400, "cursor"),
    ("nul-cursor", "/api/v1/events/", {"cursor": "a\u0000b"}, 400, "cursor"),
    # A single-valued parameter given twice: refused, not cut to its last value (every
    # operation's every parameter: tests/test_api_repeated_parameters.py).
    ("repeated-page", "/api/v1/events/", {"page": ["1", "2"]}, 400, "page"),
    ("repeated-page-size", "/api/v1/topics/", {"page_size": ["5", "100"]}, 400, "page_size"),
    ("repeated-cursor", "/api/v1/events/", {"cursor": ["start", "start"]}, 400, "cursor"),
    ("repeated-q", "/api/v1/events/", {"q": ["tariffs", "minerals"]}, 400, "q"),
    (
        "repeated-date",
        "/api/v1/events/",
        {"date_from": ["2025-01-01", "2025-04-01"]},
        400,
        "date_from",
    ),
    ("repeated-rate", "/api/v1/tariff-measures/", {"rate_min": ["10", "50"]}, 400, "rate_min"),
    (
        "repeated-updated-since",
        "/api/v1/statements/",
        {"updated_since": ["2025-01-01T00:00:00Z", "2030-01-01T00:00:00Z"]},
        400,
        "updated_since",
    ),
    (
        "repeated-group-by",
        "/api/v1/events/stats/",
        {"group_by": ["month", "topic"]},
        400,
        "group_by",
    ),
    (
        "repeated-feed-since",
        "/api/v1/changes/",
        {"since": ["2025-01-01", "2030-01-01"]},
        400,
        "since",
    ),
    ("repeated-feed-after", "/api/v1/changes/", {"after": ["0", "40"]}, 400, "after"),
    (
        "repeated-export-format",
        "/api/v1/events/export/",
        {"format": ["csv", "ndjson"]},
        400,
        "format",
    ),
    ("repeated-format", f"/api/v1/events/{CALL}/", {"format": ["json", "api"]}, 400, "format"),
    ("repeated-history-page", f"/api/v1/events/{CALL}/history/", {"page": ["1", "1"]}, 400, "page"),
]
IDENTIFIER_FILTERS = [
    ("/api/v1/events/", "country"),
    ("/api/v1/events/", "participant"),
    ("/api/v1/events/", "topic"),
    ("/api/v1/events/", "cameo"),
    ("/api/v1/events/", "event_type"),
    ("/api/v1/events/", "date_from"),
    ("/api/v1/events/", "updated_since"),
    ("/api/v1/events/", "ordering"),
    ("/api/v1/tariff-measures/", "imposing_country"),
    ("/api/v1/tariff-measures/", "target_country"),
    ("/api/v1/tariff-measures/", "measure_type"),
    ("/api/v1/tariff-measures/", "rate_min"),
    ("/api/v1/tariff-measures/", "effective_on"),
    ("/api/v1/participants/", "kind"),
    ("/api/v1/participants/", "affiliation"),
    ("/api/v1/statements/", "speaker"),
    ("/api/v1/topics/", "parent"),
    ("/api/v1/events/stats/", "group_by"),
    ("/api/v1/changes/", "since"),
    ("/api/v1/changes/", "after"),
]


def assert_problem(response: Any, status: int, names: str) -> None:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert names in problem.get("errors", {}) or names in problem["detail"], problem


@pytest.mark.parametrize(
    ("method", "path", "data", "content_type", "status", "names"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_it_refuses_a_broken_body_and_writes_nothing(
    editor: TokenClient,
    method: str,
    path: str,
    data: Any,
    content_type: str,
    status: int,
    names: str,
) -> None:
    before = rows()
    response = editor.generic(method, path, data, content_type=content_type)
    assert_problem(response, status, names)
    assert rows() == before


@pytest.mark.parametrize(
    ("path", "params", "status", "names"),
    [case[1:] for case in QUERY_CASES],
    ids=[case[0] for case in QUERY_CASES],
)
def test_it_refuses_a_broken_query(
    client: Client, path: str, params: dict[str, str | list[str]], status: int, names: str
) -> None:
    before = rows()
    assert_problem(client.get(path, params), status, names)
    assert rows() == before


@pytest.mark.parametrize(
    "value", [SQL, TEMPLATE, "%00", "\u0000"], ids=["sql", "template", "percent-nul", "nul"]
)
@pytest.mark.parametrize(
    ("path", "name"), IDENTIFIER_FILTERS, ids=[f"{p}:{n}" for p, n in IDENTIFIER_FILTERS]
)
def test_it_refuses_injection_looking_values_in_every_filter(
    client: Client, path: str, name: str, value: str
) -> None:
    extra = {"group_by": "month"} if path.endswith("/stats/") and name != "group_by" else {}
    before = rows()
    assert_problem(client.get(path, {name: value, **extra}), 400, name)
    assert rows() == before


@pytest.mark.parametrize(("method", "path", "parameter"), PARAMETERS, ids=ids(PARAMETERS))
def test_it_refuses_a_nul_in_every_query_parameter(
    client: Client, method: str, path: str, parameter: dict[str, Any]
) -> None:
    """Every query parameter the schema lists, free text included (a NUL in `publisher` once
    reached PostgreSQL, which refuses NUL in text: a 500 schemathesis found from outside)."""
    name = parameter["name"]
    query = encode([*required(path, method, name), (name, "a\x00b")])
    before = rows()
    response = client.generic(method.upper(), f"{concrete(path)}?{query}")
    if name == "format":  # a renderer's name: 404 where content negotiation refuses it
        assert_problem(response, 400 if path.endswith("/export/") else 404, "format")
    else:
        assert_problem(response, 400, name)
        assert response.json()["errors"][name] == ["Null characters are not allowed."]
    assert rows() == before


def _typed(parameter: dict[str, Any]) -> str | None:
    """A query parameter's value type, when it is a number, a date or a time."""
    schema = parameter["schema"]
    schema = schema.get("items", schema) if schema.get("type") == "array" else schema
    if schema.get("type") in ("integer", "number"):
        return "number"
    return schema.get("format") if schema.get("format") in ("date", "date-time") else None


TYPED = [case for case in PARAMETERS if _typed(case[2])]
# What Python's parsers read but a client never writes (events/literals.py): each must be a
# 400 naming the parameter, never a value read some other way.
FULLWIDTH = str.maketrans(
    "0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
)
ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)
VALID = {"number": "12", "date": "2025-04-07", "date-time": "2025-04-07T00:00:00Z"}
MISREAD = {
    "number": ["1_2", " 12", "12 ", "+12", "\u00b2"],
    "date": ["04/07/2025", "Apr 7 2025", "2025-4-7", " 2025-04-07", "2025-04-07 "],
    "date-time": [
        " 2025-04-07T00:00:00Z",
        "2025-04-07T00:00:00Z\u00a0",
        # ISO 8601's basic and reduced forms, and what Django's fallback reads: not RFC 3339.
        "20250407T000000Z",
        "2025-04-07T10",
        "2025-04-07T10Z",
        "2025-4-7T10:00:00Z",
        "2025-04-07_10:00:00",
        "2025-04-07T10:00:00+0500",
        "2025-04-07T10:00:00.Z",
    ],
}


@pytest.mark.parametrize(("method", "path", "parameter"), TYPED, ids=ids(TYPED))
def test_every_number_date_and_time_parameter_takes_ascii_iso_forms_only(
    client: Client, method: str, path: str, parameter: dict[str, Any]
) -> None:
    """Fullwidth and Arabic-Indic digits, underscores, spaces, US and spelled-out dates: int(),
    Decimal() and strptime() read them all, each its own way; the API refuses every one of
    them on every numeric, date and time parameter the schema lists, and takes the plain form."""
    name, kind = parameter["name"], _typed(parameter)
    assert kind is not None
    valid = VALID[kind]
    for value in [valid.translate(FULLWIDTH), valid.translate(ARABIC_INDIC), *MISREAD[kind]]:
        query = encode([*required(path, method, name), (name, value)])
        response = client.generic(method.upper(), f"{concrete(path)}?{query}")
        assert response.status_code == 400, (value, response.content[:300])
        assert name in response.json()["errors"], (value, response.json())
    query = encode([*required(path, method, name), (name, valid)])
    response = client.generic(method.upper(), f"{concrete(path)}?{query}")
    assert response.status_code in (200, 404), (valid, response.content[:300])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_date", "\uff12\uff10\uff12\uff15-04-07"),
        ("start_date", "2025-4-7"),
        ("end_date", "\u0662\u0660\u0662\u0665-04-07"),
    ],
)
def test_a_write_takes_dates_in_ascii_iso_form_only(
    editor: TokenClient, field: str, value: str
) -> None:
    response = editor.patch(
        f"/api/v1/events/{CALL}/", {field: value}, content_type="application/json"
    )
    assert_problem(response, 400, field)


@pytest.mark.parametrize(
    "value",
    [
        "\uff12\uff10\uff12\uff15-04-07T00:00:00Z",
        "2025-04-07",
        "20250407T100000Z",
        "2025-4-7T10:00:00Z",
        "2025-04-07T10:00:00+0500",
    ],
)
def test_a_write_takes_a_source_retrieval_time_in_rfc_3339_form_only(
    editor: TokenClient, value: str
) -> None:
    source = apps.get_model("events", "Source").objects.order_by("slug").first()
    assert source is not None
    response = editor.patch(
        f"/api/v1/sources/{source.slug}/", {"retrieved_at": value}, content_type="application/json"
    )
    assert_problem(response, 400, "retrieved_at")
    good = editor.patch(
        f"/api/v1/sources/{source.slug}/",
        {"retrieved_at": "2025-04-07T10:00:00+05:00"},
        content_type="application/json",
    )
    assert good.status_code == 200, good.content[:300]


@pytest.mark.parametrize("rate", ["10.0000000000000000001", "1e-400", "0." + "0" * 400 + "1"])
def test_a_rate_is_never_rounded_on_its_way_in(editor: TokenClient, rate: str) -> None:
    """A JSON number is read as written: a float would make 10.0000000000000000001 a 10.0
    and 1e-400 a 0.0, which the rate's 3 decimal places would then accept."""
    measure = apps.get_model("events", "TariffMeasure").objects.order_by("slug").first()
    assert measure is not None
    response = editor.patch(
        f"/api/v1/tariff-measures/{measure.slug}/",
        '{"rate": ' + rate + "}",
        content_type="application/json",
    )
    assert_problem(response, 400, "rate")
    measure.refresh_from_db()
    assert measure.rate != 0


@pytest.mark.parametrize("value", [SQL, TEMPLATE], ids=["sql", "template"])
@pytest.mark.parametrize("path", ["/api/v1/events/", "/api/v1/sources/", "/api/v1/participants/"])
def test_it_treats_injection_looking_text_as_text_in_searches(
    client: Client, path: str, value: str
) -> None:
    """Free text (`q`, `publisher`) may hold anything: it is searched for, never run (a
    publisher that no source has is a 400 that quotes the name as given)."""
    before = rows()
    response = client.get(path, {"q": value})
    assert response.status_code == 200
    assert response.json()["count"] == 0
    if path == "/api/v1/sources/":
        response = client.get(path, {"publisher": f'"{value}"'})
        assert_problem(response, 400, "publisher")
        assert repr(value) in response.json()["errors"]["publisher"][0]
    assert rows() == before


def test_it_stores_injection_looking_text_verbatim(editor: TokenClient) -> None:
    response = editor.send("POST", "/api/v1/events/", {**EVENT, "title": SQL, "summary": TEMPLATE})
    assert response.status_code == 201
    stored = editor.get("/api/v1/events/catalogue-event/").json()
    assert (stored["title"], stored["summary"]) == (SQL, TEMPLATE)


@pytest.mark.parametrize(
    "query",
    ["country=%E0%A4%A", "topic=%FF%FE", "q=%", "country=%zz"],
    ids=["truncated-utf8", "invalid-utf8", "lone-percent", "bad-hex"],
)
def test_it_survives_broken_percent_encoding(client: Client, query: str) -> None:
    before = rows()
    response = client.get(f"/api/v1/events/?{query}")
    name = query.split("=")[0]
    if name == "q":  # "%" is searched for as the text "%"
        assert response.status_code == 200
    else:
        assert_problem(response, 400, name)
    assert rows() == before


BROKEN_PATHS = [
    "/api/v1/events/%ZZ/",
    "/api/v1/events/%E0%A4/",
    "/api/v1/events/%ED%A0%80/",  # the UTF-8 of a lone surrogate: not UTF-8
    "/api/v1/countries/%00/",
    "/api/v1/events/a%00b/",
    "/api/v1/events/a%00b/history/",
    "/api/v1/participants/a%00b/",
    "/api/v1/topics/%00/events/",
    "/api/v1/participants/%00/events/",
    "/api/v1/sources/%00/history/",
    "/api/v1/countries/%00%00/events/",
    "/api/v1/countries/%00%00/imposed-tariff-measures/",
    "/api/v1/countries/P%00/applicable-tariff-measures/",
    "/api/v1/countries/PAK/events/",
]


@pytest.mark.parametrize("path", BROKEN_PATHS)
def test_it_answers_404_for_broken_percent_encoding_in_paths(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/events/a%00b/", "/api/v1/tariff-measures/%00/"])
def test_a_write_to_a_path_that_cannot_name_a_record_is_a_404(
    editor: TokenClient, method: str, path: str
) -> None:
    before = rows()
    response = editor.generic(method, path, body({"title": "x"}), content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert rows() == before


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/", "/api/v1/schema/"])
def test_options_on_the_documentation_pages_lists_the_methods(client: Client, path: str) -> None:
    response = client.options(path)
    assert response.status_code == 200
    assert {"GET", "OPTIONS"} <= {m.strip() for m in response["Allow"].split(",")}
    assert response.content == b""


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("q=tariff%FF", "q"),
        ("publisher=%FF", "publisher"),
        ("q=%ED%A0%80", "q"),
        ("q=ok&country=P%C3", "country"),
        ("%FF=1", "\ufffd"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/events/", "/api/v1/sources/", "/api/v1/changes/"])
def test_text_that_is_not_utf8_is_refused_not_rewritten(
    client: Client, path: str, query: str, name: str
) -> None:
    """Django decodes a bad byte as U+FFFD: `q=tariff%FF` searched for "tariff\ufffd" and
    linked to it in `next`. Every parameter whose name or value is not UTF-8 is a 400 naming
    it, on every path (the admin's pages aside)."""
    response = client.get(f"{path}?{query}")
    assert_problem(response, 400, name)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "TRACE"])
def test_a_health_check_answers_only_reads(path: str, method: str) -> None:
    response = Client(enforce_csrf_checks=True).generic(method, path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_health_check_lists_its_methods(client: Client, path: str) -> None:
    response = client.options(path)
    assert (response.status_code, response["Allow"]) == (204, "GET, HEAD, OPTIONS")


@pytest.mark.parametrize("path", ["/healthz/", "//api/v1/events/", "/nothing/here/", "/api"])
def test_a_url_that_names_nothing_is_a_problem_not_a_page(client: Client, path: str) -> None:
    response = client.get(path, follow=True)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v2/topics/", "/api/v1/topics/trade/nope/"])
def test_a_write_to_a_url_that_names_nothing_is_a_404_not_a_csrf_failure(
    editor: TokenClient, method: str, path: str
) -> None:
    editor.handler.enforce_csrf_checks = True
    response = editor.send(method, path, {})
    assert response.status_code == 404, response.content[:200]
    assert response["Content-Type"] == "application/problem+json"


def test_a_publisher_whose_name_holds_a_comma_is_quoted_and_an_unknown_one_is_refused(
    client: Client,
) -> None:
    """`?publisher=Smith, Jones` read "Smith" and "Jones" and answered Smith's sources alone;
    a quoted name holds its comma, and a name no source has is a 400 naming it."""
    from . import factories as f

    f.SourceFactory.create(publisher="Smith, Jones", slug="smith-jones")
    f.SourceFactory.create(publisher="Smith", slug="smith")

    def slugs(query: dict[str, Any]) -> list[str]:
        response = client.get("/api/v1/sources/", query)
        assert response.status_code == 200, response.content[:300]
        return sorted(row["slug"] for row in response.json()["results"])

    assert slugs({"publisher": '"Smith, Jones"'}) == ["smith-jones"]
    assert slugs({"publisher": '"smith, jones",SMITH'}) == ["smith", "smith-jones"]
    assert slugs({"publisher": ["Smith", '"Smith, Jones"']}) == ["smith", "smith-jones"]
    response = client.get("/api/v1/sources/", {"publisher": "Smith, Jones"})
    assert_problem(response, 400, "publisher")
    assert "'Jones'" in response.json()["errors"]["publisher"][0]
    assert_problem(client.get("/api/v1/sources/", {"publisher": '"Smith'}), 400, "publisher")


@pytest.mark.parametrize("ordering", ["title,-title", "-date,-date", "date,title,-date"])
def test_a_sort_key_given_again_changes_nothing(client: Client, ordering: str) -> None:
    """A list's `ordering` is an array of sort keys that the schema lets repeat (it cannot say
    "not `date` and `-date` both"): a key given again is schema-valid and is accepted; it
    cannot change an order its first mention has settled."""
    first = ordering.split(",")[0]
    once = client.get("/api/v1/events/", {"ordering": first})
    again = client.get("/api/v1/events/", {"ordering": ordering})
    assert again.status_code == 200
    if ordering != "date,title,-date":
        assert [r["slug"] for r in again.json()["results"]] == [
            r["slug"] for r in once.json()["results"]
        ]


def test_the_feed_says_how_long_a_number_may_be(client: Client) -> None:
    response = client.get("/api/v1/changes/", {"after": "9223372036854775807"})
    assert_problem(response, 400, "after")
    assert "at most 18 digits" in response.json()["errors"]["after"][0]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"slug": "dup", "name": "x", "name": "y"}', "'name' appears twice"),
        ('{"slug": "dup", "name": "x", "citations": [{"source": "a", "source": "b"}]}', "twice"),
        ('{"slug": "dup", "name": "x", "parent": ' + "9" * 5000 + "}", "more than 4300 digits"),
    ],
)
def test_a_body_with_a_repeated_key_or_an_endless_number_is_refused(
    editor: TokenClient, body: str, words: str
) -> None:
    before = rows()
    response = editor.post("/api/v1/topics/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert words in response.json()["detail"]
    assert "sys.set_int_max_str_digits" not in response.json()["detail"]
    assert rows() == before


@pytest.mark.parametrize(
    "content_type",
    ["application/*", "application/json; charset=latin-1", "application/json; charset=utf-16"],
)
def test_a_body_that_is_not_said_to_be_utf8_json_is_a_415(
    editor: TokenClient, content_type: str
) -> None:
    before = rows()
    response = editor.post(
        "/api/v1/topics/", '{"slug": "ct", "name": "CT"}', content_type=content_type
    )
    assert response.status_code == 415, response.content[:200]
    assert response["Content-Type"] == "application/problem+json"
    assert rows() == before


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "application/json; charset=UTF-8"])
def test_json_in_any_case_and_utf8_is_read(editor: TokenClient, content_type: str) -> None:
    response = editor.post(
        "/api/v1/topics/", '{"slug": "ct", "name": "CT"}', content_type=content_type
    )
    assert response.status_code == 201, response.content[:200]
