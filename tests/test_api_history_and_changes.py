"""History (/<collection>/<key>/history/) and the change feed (/changes/) after writes through
the API, the admin and a management command, each with its acting user."""

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from events.models import Change

from .conftest import TokenClient, make_user
from .test_api_writes import NEW

pytestmark = pytest.mark.usefixtures("article")
CALL = "rubio-dar-phone-call-2025-04-07"


def history(client: Client, path: str) -> list[dict[str, Any]]:
    response = client.get(f"{path}history/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def feed(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/changes/", params)
    assert response.status_code == 200, response.content
    return response.json()


def last_id() -> int:
    return Change.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- history ----------------------------------------------------------------------------------


def test_it_lists_a_records_changes_newest_first_with_who_and_what(editor: TokenClient) -> None:
    editor.send("PATCH", "/api/v1/topics/trade/", {"name": "Trade policy", "description": "New."})
    entries = history(editor, "/api/v1/topics/trade/")
    assert [(e["kind"], e["user"]) for e in entries] == [("updated", "ed"), ("created", None)]
    assert entries[0]["changes"] == [
        {"field": "name", "old": "Trade", "new": "Trade policy"},
        {
            "field": "description",
            "old": "Trade between countries and the policies that govern it.",
            "new": "New.",
        },
    ]
    assert entries[1]["reason"] == "Loaded from fixture article"
    assert {"field": "slug", "old": None, "new": "trade"} in entries[1]["changes"]


def test_it_shows_related_records_by_slug_and_code(editor: TokenClient) -> None:
    editor.send(
        "PATCH",
        f"/api/v1/events/{CALL}/",
        {"countries": ["PK", "US", "AF"], "location_country": "af"},
    )
    changes = history(editor, f"/api/v1/events/{CALL}/")[0]["changes"]
    assert {"field": "location_country", "old": None, "new": "AF"} in changes
    assert {"field": "countries", "old": ["PK", "US"], "new": ["AF", "PK", "US"]} in changes


def test_it_shows_nested_changes_as_changes_of_their_field(editor: TokenClient) -> None:
    editor.send(
        "PATCH",
        f"/api/v1/events/{CALL}/",
        {
            "participations": [
                {"participant": "marco-rubio", "role": "counterpart", "country": "US"},
                {
                    "participant": "ishaq-dar",
                    "role": "counterpart",
                    "country": "PK",
                    "note": "By phone.",
                },
            ]
        },
    )
    entries = history(editor, f"/api/v1/events/{CALL}/")
    nested = [c for e in entries for c in e["changes"] if c["field"] == "participations"]
    assert nested[0] == {
        "field": "participations",
        "old": {"participant": "ishaq-dar", "role": "counterpart", "country": "PK", "note": ""},
        "new": {
            "participant": "ishaq-dar",
            "role": "counterpart",
            "country": "PK",
            "note": "By phone.",
        },
    }


def test_it_keeps_the_history_of_a_deleted_record(editor: TokenClient) -> None:
    editor.send("POST", "/api/v1/topics/", NEW["topics"])
    editor.send("DELETE", "/api/v1/topics/export-controls/")
    entries = history(editor, "/api/v1/topics/export-controls/")
    assert [(e["kind"], e["user"]) for e in entries] == [("deleted", "ed"), ("created", "ed")]


def test_it_answers_404_for_the_history_of_a_record_that_never_was(client: Client) -> None:
    response = client.get("/api/v1/topics/never/history/")
    assert (response.status_code, response.json()["detail"]) == (
        404,
        "No topic has the slug 'never'.",
    )


def test_it_records_the_admin_user_in_the_history(staff_client: Client) -> None:
    from django.urls import reverse

    from events.models import Country

    url = reverse("admin:events_country_change", args=["AF"])
    response = staff_client.post(
        url,
        {
            "iso2": "AF",
            "iso3": "AFG",
            "name": "Islamic Republic of Afghanistan",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert Country.objects.get(iso2="AF").name == "Islamic Republic of Afghanistan"
    entry = history(staff_client, "/api/v1/countries/af/")[0]
    assert (entry["user"], entry["changes"]) == (
        "editor",
        [{"field": "name", "old": "Afghanistan", "new": "Islamic Republic of Afghanistan"}],
    )
    change = Change.objects.order_by("-id").first()
    assert change is not None
    assert change.user is not None
    assert (change.collection, change.key, change.kind, change.user.username) == (
        "countries",
        "AF",
        "updated",
        "editor",
    )


def test_it_records_the_user_a_management_command_names(tmp_path: Any) -> None:
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).parent.parent / "fixtures" / "article.json").read_text())
    for obj in data:
        if obj["model"] == "events.topic" and obj["fields"]["slug"] == "trade":
            obj["fields"]["name"] = "Trade and commerce"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data))
    make_user("importer")
    call_command("loaddata", str(changed), user="importer", verbosity=0)
    entry = history(Client(), "/api/v1/topics/trade/")[0]
    assert (entry["user"], entry["changes"]) == (
        "importer",
        [{"field": "name", "old": "Trade", "new": "Trade and commerce"}],
    )


# --- change feed ------------------------------------------------------------------------------


def test_it_lists_the_article_as_creations(client: Client) -> None:
    body = feed(client, page_size=1000)
    assert body["has_more"] is False
    kinds = {(c["collection"], c["kind"]) for c in body["results"]}
    assert kinds == {
        (collection, "created")
        for collection in (
            "events",
            "participants",
            "countries",
            "topics",
            "tariff-measures",
            "statements",
            "sources",
        )
    }
    assert len(body["results"]) == 47  # 8 events, 7 participants, 5 countries, 14 topics, ...
    first = body["results"][0]
    assert set(first) == {"id", "at", "kind", "collection", "key", "url", "user"}


def test_it_lists_api_writes_once_each_with_the_user(editor: TokenClient) -> None:
    def changes_made_by(method: str, path: str, data: Any = None) -> list[tuple[str, str, str]]:
        start = last_id()
        editor.send(method, path, data)
        results = feed(editor, after=start)["results"]
        assert {c["user"] for c in results} == {"ed"}
        return [(c["kind"], c["collection"], c["key"]) for c in results]

    assert changes_made_by("POST", "/api/v1/events/", NEW["events"]) == [
        ("created", "events", "dar-visits-washington"),
        # Its detail shows the relation too (incoming), and the source's the cited fact.
        ("updated", "events", CALL),
        ("updated", "sources", "seed-source-notes"),
    ]
    assert changes_made_by("PATCH", "/api/v1/topics/trade/", {"description": "x"}) == [
        ("updated", "topics", "trade")
    ]
    deleted = changes_made_by("DELETE", "/api/v1/events/dar-visits-washington/")
    assert sorted(deleted) == [
        ("deleted", "events", "dar-visits-washington"),
        ("updated", "events", CALL),
        ("updated", "sources", "seed-source-notes"),
    ]
    tombstone = feed(editor, after=last_id() - 3)["results"]
    assert [c["url"] for c in tombstone if c["kind"] == "deleted"] == [None]


def test_it_pages_with_a_stable_cursor(client: Client) -> None:
    seen: list[int] = []
    url = "/api/v1/changes/?page_size=10"
    while True:
        body = client.get(url).json()
        seen += [c["id"] for c in body["results"]]
        url = body["next"]
        if not body["has_more"]:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 47
    assert client.get(url).json()["results"] == []  # nothing new yet
    make_user("ed", editor=True)
    Client().get("/")  # no write
    assert client.get(url).json()["has_more"] is False


def test_it_lets_a_client_mirror_the_data_set(editor: TokenClient) -> None:
    """Replay the feed into a dictionary; it must equal what the API serves now."""
    mirror: dict[tuple[str, str], Any] = {}
    position = 0

    def sync() -> None:
        nonlocal position
        body = feed(editor, after=position, page_size=1000)
        for change in body["results"]:
            key = (change["collection"], change["key"])
            if change["kind"] == "deleted":
                mirror.pop(key, None)
            else:
                mirror[key] = editor.get(change["url"]).json()
            position = change["id"]

    sync()
    editor.send("POST", "/api/v1/events/", NEW["events"])
    editor.send(
        "PATCH", "/api/v1/participants/marco-rubio/", {"office": "Secretary of State and NSA"}
    )
    editor.send("POST", "/api/v1/topics/", NEW["topics"])
    editor.send("DELETE", "/api/v1/topics/export-controls/")
    sync()
    truth: dict[tuple[str, str], Any] = {}
    for collection in (
        "events",
        "participants",
        "countries",
        "topics",
        "tariff-measures",
        "statements",
        "sources",
    ):
        for row in editor.get(f"/api/v1/{collection}/", {"page_size": 100}).json()["results"]:
            key = row.get("slug", row.get("iso2"))
            truth[(collection, key)] = editor.get(row["url"]).json()
    assert mirror == truth


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {"since": "yesterday"},
            {"since": ["Enter an ISO 8601 date and time, e.g. 2025-04-07T00:00:00Z."]},
        ),
        (
            {"after": "-1"},
            {
                "after": [
                    "Must be a whole number (digits 0-9) of at least 0 (at most 18 digits); got '-1'."
                ]
            },
        ),
        (
            {"after": "\u00b2"},
            {
                "after": [
                    "Must be a whole number (digits 0-9) of at least 0 (at most 18 digits); got '\u00b2'."
                ]
            },
        ),
        (
            {"page_size": "\u0661\u0662"},
            {
                "page_size": [
                    "Must be a whole number (digits 0-9) of at least 1 and at most 1000;"
                    " got '\u0661\u0662'."
                ]
            },
        ),
        (
            {"page_size": "5000"},
            {
                "page_size": [
                    "Must be a whole number (digits 0-9) of at least 1 and at most 1000;"
                    " got '5000'."
                ]
            },
        ),
        *(
            (
                {"since": since},
                {"since": ["Enter an ISO 8601 date and time, e.g. 2025-04-07T00:00:00Z."]},
            )
            for since in (
                "2025-02-30T00:00:00Z",
                "2025-04-07T25:00:00Z",
                "2025-04-07T00:00:00+99:99",
            )
        ),
        # A NUL in any parameter is refused before any parsing (events/filters.py).
        ({"since": "2025-04-07T00:00:00\u0000"}, {"since": ["Null characters are not allowed."]}),
        (
            {"cursor": "x"},
            {"cursor": ["Unknown query parameter. Allowed here: after, format, page_size, since."]},
        ),
    ],
)
def test_it_refuses_malformed_feed_parameters(
    client: Client, params: dict[str, str], errors: Any
) -> None:
    response = client.get("/api/v1/changes/", params)
    assert (response.status_code, response.json()["errors"]) == (400, errors)


def test_it_filters_the_feed_by_time(editor: TokenClient) -> None:
    from django.utils import timezone

    now = timezone.now()
    editor.send("PATCH", "/api/v1/topics/trade/", {"description": "later"})
    results = feed(editor, since=now.isoformat())["results"]
    assert [(c["key"], c["kind"]) for c in results] == [("trade", "updated")]


def test_it_keeps_two_quick_writes_apart(editor: TokenClient) -> None:
    """Regression: a create and an update a moment apart were shown as one "created" entry
    holding the updated value (found by the load test)."""
    editor.send("POST", "/api/v1/topics/", {"slug": "h-demo", "name": "H demo", "parent": "trade"})
    editor.send("PATCH", "/api/v1/topics/h-demo/", {"description": "second write"})
    entries = history(editor, "/api/v1/topics/h-demo/")
    assert [e["kind"] for e in entries] == ["updated", "created"]
    assert entries[0]["changes"] == [{"field": "description", "old": "", "new": "second write"}]
    assert {"field": "description", "old": None, "new": "second write"} not in entries[1]["changes"]
