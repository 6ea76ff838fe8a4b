"""Optimistic concurrency: a write with a stale If-Match changes nothing (412), and the check
and the write are one atomic step (on PostgreSQL, ten racing writers: one wins)."""

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
