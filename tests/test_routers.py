"""Read replicas: reads go to a replica; writes, reads in a write's transaction and every query
of a write request go to the primary; migrations only to the primary.

The replica here is a second database alias on the test database itself (as a streaming
replica would be), so which alias ran each query is what the tests look at.
"""

import contextvars
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from events.models import Event, Topic
from events.routers import PrimaryReplicaRouter

from .conftest import TokenClient, make_user


@pytest.fixture
def replica(settings: Any) -> Iterator[str]:
    """Reads go to `replica1`, the second alias on the test database (tests/conftest.py)."""
    settings.DATABASE_REPLICAS = ["replica1"]
    yield "replica1"
    # Its connections (a pool, on PostgreSQL) would keep the test database from being dropped.
    connection = connections["replica1"]
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()


ROUTED = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "replica1"]
)


def fresh(function: Any, *args: Any) -> Any:
    """Run outside any request or earlier write (a new context)."""
    return contextvars.Context().run(function, *args)


def test_it_reads_from_the_primary_when_there_is_no_replica() -> None:
    assert fresh(PrimaryReplicaRouter().db_for_read, Event) == "default"


@ROUTED
def test_it_routes_reads_to_the_replica_and_writes_to_the_primary(replica: str) -> None:
    router = PrimaryReplicaRouter()

    def decisions() -> list[str]:
        read_before = router.db_for_read(Event)
        write = router.db_for_write(Event)
        read_after_a_write = router.db_for_read(Event)
        return [read_before, write, read_after_a_write]

    assert fresh(decisions) == ["replica1", "default", "default"]


@ROUTED
def test_it_reads_inside_a_transaction_from_the_primary(replica: str) -> None:
    def reads() -> list[str]:
        outside = Topic.objects.all().db
        with transaction.atomic():
            inside = Topic.objects.all().db
        return [outside, inside, Topic.objects.all().db]

    assert fresh(reads) == ["replica1", "default", "replica1"]


def test_it_migrates_only_the_primary() -> None:
    router = PrimaryReplicaRouter()
    assert router.allow_migrate("default", "events") is True
    assert router.allow_migrate("replica1", "events") is False


@ROUTED
def test_it_serves_a_read_request_entirely_from_the_replica(replica: str) -> None:
    client = Client()
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica1"]) as read,
    ):
        # The list (version, count, page, embedded rows on the fast path) and a detail (raw SQL).
        listed = client.get("/api/v1/events/?country=PK")
        detail = client.get("/api/v1/events/rubio-dar-phone-call-2025-04-07/")
    assert (listed.status_code, detail.status_code) == (200, 200)
    assert listed.json()["count"] == 4
    assert detail.json()["slug"] == "rubio-dar-phone-call-2025-04-07"
    assert len(read.captured_queries) > 5
    assert primary.captured_queries == []


@ROUTED
def test_it_serves_a_write_request_entirely_from_the_primary(replica: str) -> None:
    editor = TokenClient(make_user("ed", editor=True))
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica1"]) as read,
    ):
        response = editor.send(
            "POST", "/api/v1/topics/", {"slug": "sanctions", "name": "Sanctions"}
        )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Sanctions"
    # The token lookup, the validation reads, the write and the answer read back from it.
    assert any(q["sql"].startswith("INSERT") for q in primary.captured_queries)
    assert read.captured_queries == []

    # The next read request reads from the replica again.
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica1"]) as read,
    ):
        after = Client().get("/api/v1/topics/sanctions/")
    assert after.json()["name"] == "Sanctions"
    assert primary.captured_queries == []
    assert read.captured_queries
