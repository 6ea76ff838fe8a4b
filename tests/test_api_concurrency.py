"""Optimistic concurrency: a write with a stale If-Match changes nothing (412), and the check
and the write are one atomic step (on PostgreSQL, ten racing writers: one wins)."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from rest_framework.authtoken.models import Token

from events.models import Topic

from .conftest import TokenClient, make_user

pytestmark = pytest.mark.usefixtures("article")
URL = "/api/v1/topics/trade/"


def test_it_gives_a_detail_a_strong_etag(editor: TokenClient) -> None:
    etag = editor.get(URL)["ETag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert editor.get(URL)["ETag"] == etag


def test_it_writes_when_the_etag_is_current(editor: TokenClient) -> None:
    etag = editor.get(URL)["ETag"]
    response = editor.send("PATCH", URL, {"description": "New."}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response["ETag"] == editor.get(URL)["ETag"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_it_refuses_a_stale_etag_and_changes_nothing(editor: TokenClient, method: str) -> None:
    stale = editor.get(URL)["ETag"]
    editor.send("PATCH", URL, {"description": "Someone else's change."})
    current = editor.get(URL)["ETag"]
    body = {**editor.get(URL).json(), "description": "Mine."} if method != "DELETE" else None
    response = editor.send(method, URL, body, HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert response["ETag"] == current
    assert response.json()["title"] == "Precondition Failed"
    assert Topic.objects.get(slug="trade").description == "Someone else's change."


def test_it_accepts_any_etag_for_a_star_and_none_for_a_weak_one(editor: TokenClient) -> None:
    etag = editor.get(URL)["ETag"]
    assert editor.send("PATCH", URL, {"description": "a"}, HTTP_IF_MATCH="*").status_code == 200
    etag = editor.get(URL)["ETag"]
    weak = f"W/{etag}"
    assert editor.send("PATCH", URL, {"description": "b"}, HTTP_IF_MATCH=weak).status_code == 412
    listed = f'"other", {etag}'
    assert editor.send("PATCH", URL, {"description": "c"}, HTTP_IF_MATCH=listed).status_code == 200


def test_it_accepts_a_write_without_if_match(editor: TokenClient) -> None:
    assert editor.send("PATCH", URL, {"description": "Blind."}).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_lets_exactly_one_of_ten_racing_writers_win() -> None:
    token = Token.objects.create(user=make_user("ed", editor=True))
    etag = Client().get(URL)["ETag"]
    barrier = threading.Barrier(10)
    results: dict[int, int] = {}

    def write(n: int) -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
            barrier.wait()
            response = client.patch(
                URL,
                f'{{"description": "writer {n}"}}',
                content_type="application/json",
                HTTP_IF_MATCH=etag,
            )
            results[n] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for n, status in results.items() if status == 200]
    assert sorted(results.values()) == [200] + [412] * 9
    assert Topic.objects.get(slug="trade").description == f"writer {winners[0]}"


# --- a write that changes nothing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (URL, {}),
        (URL, {"name": "Trade"}),
        ("/api/v1/events/rubio-dar-phone-call-2025-04-07/", {}),
        ("/api/v1/sources/reuters-washington-2025-04-07/", {"language": "en"}),
    ],
)
def test_a_write_that_changes_nothing_keeps_the_record_and_its_etag(
    editor: TokenClient, path: str, body: dict[str, str]
) -> None:
    """A PATCH that sets what is there already (an empty one too) is answered 200 with the
    record as it was: the same updated_at and ETag, in the answer and in every later read
    (a cached one included), no history entry, no change in the feed, so a client's If-Match
    from before the write still holds."""
    from events.models import Change

    before = editor.get(path)
    assert before.status_code == 200
    if "name" in body:
        assert before.json()["name"] == body["name"]
    changes = Change.objects.count()
    response = editor.send("PATCH", path, body, HTTP_IF_MATCH=before["ETag"])
    assert response.status_code == 200, response.content[:300]
    assert response["ETag"] == before["ETag"]
    assert response.json()["updated_at"] == before.json()["updated_at"]
    assert Change.objects.count() == changes
    after = editor.get(path)
    assert after["ETag"] == before["ETag"]
    assert editor.head(path)["ETag"] == before["ETag"]
    again = editor.send("PATCH", path, {}, HTTP_IF_MATCH=after["ETag"])
    assert again.status_code == 200


def test_an_unchanged_put_of_an_event_changes_nothing(editor: TokenClient) -> None:
    """PUT of an event with its own detail (participations, related events and citations in
    the write shape, as the export writes them): no change entry, for it or the events it is
    related to, and no history of its nested records."""
    from events import formats
    from events.models import Change, Event, EventRelation, Participation

    path = "/api/v1/events/rubio-dar-phone-call-2025-04-07/"
    etag = editor.get(path)["ETag"]
    resource = formats.RESOURCES["events"]
    record = resource.queryset().get(slug="rubio-dar-phone-call-2025-04-07")
    body = formats.shape(resource.serializer(), record)
    changes = Change.objects.count()
    histories = (
        Event.history.count() + EventRelation.history.count() + Participation.history.count()
    )
    response = editor.send("PUT", path, body, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content[:500]
    assert response["ETag"] == etag
    assert Change.objects.count() == changes
    assert (
        Event.history.count() + EventRelation.history.count() + Participation.history.count()
        == histories
    )


# --- a citation added while its source's text changes -----------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_body_edit_racing_a_new_citation_of_it_never_leaves_the_citation_broken() -> None:
    """One writer removes a phrase from a source's text while another adds a citation quoting
    that phrase, released together, twenty times: each round one of them is refused (400) or
    the two are serialized, and no citation ever quotes what its source does not say."""
    from events.models import Citation, Source

    token = Token.objects.create(user=make_user("ed", editor=True))
    source = Source.objects.get(slug="reuters-washington-2025-04-07")
    base = source.body
    outcomes: list[tuple[int, int]] = []
    for round_ in range(20):
        # Earlier rounds' phrases stay (a citation may quote them); this round's goes.
        kept = base + "".join(f" PHRASE{n}" for n in range(round_))
        phrase = f"PHRASE{round_}"
        Source.objects.filter(pk=source.pk).update(body=f"{kept} {phrase}")
        barrier = threading.Barrier(2)
        statuses: dict[str, int] = {}

        def run(
            name: str,
            method: str,
            path: str,
            body: str,
            barrier: threading.Barrier = barrier,
            statuses: dict[str, int] = statuses,
        ) -> None:
            try:
                client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
                barrier.wait()
                response = client.generic(method, path, body, content_type="application/json")
                statuses[name] = response.status_code
            finally:
                connections.close_all()

        edit = json.dumps({"body": kept})
        cite = json.dumps(
            {
                "slug": f"race-{round_}",
                "name": f"Race {round_}",
                "citations": [{"source": source.slug, "excerpt": phrase}],
            }
        )
        threads = [
            threading.Thread(
                target=run, args=("edit", "PATCH", f"/api/v1/sources/{source.slug}/", edit)
            ),
            threading.Thread(target=run, args=("cite", "POST", "/api/v1/topics/", cite)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes.append((statuses["edit"], statuses["cite"]))
        assert sorted(statuses.values()) in ([200, 400], [201, 400]), statuses
        broken = [
            c.pk
            for c in Citation.objects.select_related("source")
            if c.excerpt not in c.source.body
        ]
        assert broken == [], (round_, statuses)
    assert outcomes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deadlocks are PostgreSQL's")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_the_database_undoes_to_break_a_deadlock_is_a_409_not_an_outage() -> None:
    """A real deadlock between two transactions (each locks what the other wants): the one
    PostgreSQL undoes raises an OperationalError, which the API answers 409 (send it again),
    not 503 (database unreachable)."""
    from django.db import OperationalError, transaction

    from events.models import Topic as TopicModel
    from events.problems import exception_handler

    TopicModel.objects.create(slug="lock-a", name="A")
    TopicModel.objects.create(slug="lock-b", name="B")
    barrier = threading.Barrier(2)
    errors: list[OperationalError] = []

    def lock(first: str, second: str) -> None:
        try:
            with transaction.atomic():
                TopicModel.objects.select_for_update().get(slug=first)
                barrier.wait()
                TopicModel.objects.select_for_update().get(slug=second)
        except OperationalError as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=lock, args=("lock-a", "lock-b")),
        threading.Thread(target=lock, args=("lock-b", "lock-a")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1
    response = exception_handler(errors[0], {})
    assert response.status_code == 409
    assert "send it again" in response.data["detail"]


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_a_write_with_if_none_match_star_on_an_existing_record_is_refused(
    editor: TokenClient, method: str
) -> None:
    """RFC 9110 13.1.2: `If-None-Match: *` means "only if there is no such record"; so does a
    list holding the record's current ETag."""
    current = editor.get(URL)
    body = None if method == "DELETE" else {**current.json(), "description": "Mine."}
    for header in ("*", current["ETag"], f'"other", {current["ETag"]}'):
        response = editor.send(method, URL, body, HTTP_IF_NONE_MATCH=header)
        assert response.status_code == 412, (header, response.content[:200])
        assert response["ETag"] == current["ETag"]
        assert response["Content-Type"] == "application/problem+json"
    assert Topic.objects.get(slug="trade").description == current.json()["description"]
    response = editor.send(method, URL, body, HTTP_IF_NONE_MATCH='"other"')
    assert response.status_code != 412  # 200, or 409 for a DELETE of a topic still in use


@pytest.mark.parametrize("path", [URL, "/api/v1/topics/"])
def test_if_unmodified_since_is_ignored_without_a_last_modified_date(
    client: Client, path: str
) -> None:
    """The API publishes no Last-Modified date, so RFC 9110 (13.1.4) has it ignore
    If-Unmodified-Since (Django answered an empty text/html 412)."""
    response = client.get(path, HTTP_IF_UNMODIFIED_SINCE="Mon, 01 Jan 1990 00:00:00 GMT")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_a_weak_etag_in_if_none_match_names_the_record_on_a_write(editor: TokenClient) -> None:
    current = editor.get(URL)
    response = editor.send(
        "PATCH", URL, {"description": "Mine."}, HTTP_IF_NONE_MATCH=f"W/{current['ETag']}"
    )
    assert response.status_code == 412
    assert Topic.objects.get(slug="trade").description == current.json()["description"]
