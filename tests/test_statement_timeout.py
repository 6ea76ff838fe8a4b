"""A statement that runs past the database's statement timeout (DATABASE_STATEMENT_TIMEOUT), on
the real PostgreSQL: the request answers 503 problem+json saying so, with Retry-After, writes
nothing, and the connection serves the next request."""

from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from events.models import Topic
from events.problems import CANCELLED

from .conftest import make_user

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="statement timeouts are PostgreSQL's"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

URL = "/api/v1/topics/trade/"


def test_a_write_past_the_statement_timeout_answers_503_and_writes_nothing() -> None:
    editor = Client(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user('ed', editor=True)).key}"
    )
    before = Topic.objects.get(slug="trade").description
    etag = editor.get(URL)["ETag"]
    dsn = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k in ("host", "port", "user", "dbname")
    }

    def short_timeout_on_the_row_lock(
        execute: Any, sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        # The write's If-Match check locks the row (SELECT ... FOR UPDATE) inside the write's
        # transaction: a timeout local to that transaction, as DATABASE_STATEMENT_TIMEOUT sets
        # one for the whole session, without leaving it on a pooled connection.
        if "FOR UPDATE" in sql:
            context["connection"].connection.execute("SET LOCAL statement_timeout = 200")
        return execute(sql, params, many, context)

    # Another session holds the row, so the lock waits until the timeout cancels it.
    with psycopg.connect(**dsn) as holder:
        holder.execute("SELECT 1 FROM events_topic WHERE slug = 'trade' FOR UPDATE")
        with connection.execute_wrapper(short_timeout_on_the_row_lock):
            response = editor.patch(
                URL, '{"description": "late"}', content_type="application/json", HTTP_IF_MATCH=etag
            )
        holder.rollback()

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response.json()["detail"] == CANCELLED
    assert Topic.objects.get(slug="trade").description == before
    again = editor.patch(
        URL, '{"description": "on time"}', content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert again.status_code == 200
    assert Topic.objects.get(slug="trade").description == "on time"
