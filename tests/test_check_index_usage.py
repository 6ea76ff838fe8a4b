"""manage.py check_index_usage (what `make bench` runs on its large database) on the test
database: it builds every list query as the views do, and each can be served by an index.

On a small table PostgreSQL rightly prefers a sequential scan, so the test turns those off for
its transaction: what remains proves an index exists that serves each filter and cursor page."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from events.synthetic import generate

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL plans")
def test_every_list_query_can_be_served_by_an_index() -> None:
    generate(events=200, seed=1)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    out = io.StringIO()
    call_command("check_index_usage", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1] == "Every list query is served by an index."
    checked = [line for line in lines if line.startswith(("ok", "FAIL"))]
    assert len(checked) == 24
    assert all(line.startswith("ok  ") for line in checked)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite answer")
def test_it_asks_for_postgresql() -> None:
    with pytest.raises(CommandError, match="DATABASE_URL"):
        call_command("check_index_usage")
