"""Losing the database, on the real PostgreSQL: while it is unreachable every endpoint that needs
it answers 503 problem+json with Retry-After, /healthz stays 200, /readyz answers 503; once it is
back, requests succeed again without a restart. Two ways to lose it: a server that refuses
connections (a TCP proxy in front of PostgreSQL, stopped and started), and a connection killed
in the middle of a request (pg_terminate_backend)."""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from rest_framework.authtoken.models import Token

from .conftest import make_user

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="outages are tested on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

READS = [
    "/api/v1/",  # needs no database: stays 200
    "/api/v1/events/",
    "/api/v1/events/rubio-dar-phone-call-2025-04-07/",
    "/api/v1/events/stats/?group_by=topic",
    "/api/v1/events/rubio-dar-phone-call-2025-04-07/history/",
    "/api/v1/tariff-measures/?target_country=PK",
    "/api/v1/countries/PK/events/",
    "/api/v1/changes/",
    "/api/v1/sources/",
]


class TcpProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; stopped, it refuses connections (and cuts the
    open ones), like a database server that went down."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            # Shutting down wakes the thread blocked in accept(), which a close alone would not.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _reset_pool() -> None:
    connection.close()
    connection.close_pool()  # type: ignore[attr-defined]


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    settings = connection.settings_dict
    saved = (settings["HOST"], settings["PORT"], dict(settings["OPTIONS"]["pool"]))
    tcp = TcpProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    tcp.start()
    settings["HOST"], settings["PORT"] = "127.0.0.1", str(tcp.port)
    settings["OPTIONS"]["pool"] = {**saved[2], "timeout": 1}  # fail fast while it is down
    _reset_pool()
    try:
        yield tcp
    finally:
        tcp.stop()
        settings["HOST"], settings["PORT"], settings["OPTIONS"]["pool"] = saved
        _reset_pool()


@pytest.fixture
def token() -> str:
    return Token.objects.create(user=make_user("ed", editor=True)).key


def wait_until_ready(client: Client) -> None:
    """The pool reconnects in the background, backing off between attempts: poll /readyz (as a
    load balancer would) until it answers 200. A liveness bound, not a timing assertion."""
    for _ in range(60):
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(1)
    pytest.fail("the service did not reconnect to the database within a minute")


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response.json()["status"] == 503


def test_it_answers_503_while_the_server_refuses_connections_and_recovers(
    proxy: TcpProxy, token: str
) -> None:
    client = Client()
    editor = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert [client.get(path).status_code for path in READS] == [200] * len(READS)

    proxy.stop()
    assert client.get("/api/v1/").status_code == 200
    for path in READS[1:]:
        assert_unavailable(client.get(path))
    assert_unavailable(
        editor.patch(
            "/api/v1/topics/trade/", '{"description": "x"}', content_type="application/json"
        )
    )
    assert_unavailable(
        client.post(
            "/api/v1/auth/token/",
            '{"username": "ed", "password": "x"}',
            content_type="application/json",
        )
    )
    assert client.get("/healthz").status_code == 200
    assert_unavailable(client.get("/readyz"))
    admin = client.get("/admin/login/")
    assert (admin.status_code, admin["Content-Type"]) == (200, "text/html; charset=utf-8")

    proxy.start()  # the same port: the service is not restarted or reconfigured
    wait_until_ready(client)
    assert [client.get(path).status_code for path in READS] == [200] * len(READS)
    assert client.get("/readyz").status_code == 200
    write = editor.patch(
        "/api/v1/topics/trade/", '{"description": "back"}', content_type="application/json"
    )
    assert write.status_code == 200


def test_it_answers_503_when_its_connection_is_killed_mid_request_and_recovers() -> None:
    client = Client()
    assert client.get("/api/v1/events/").status_code == 200
    dsn = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k in ("host", "port", "user", "dbname")
    }
    state = {"queries": 0, "killed": False}

    def kill_before_second_query(
        execute: Any, sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        state["queries"] += 1
        if state["queries"] == 2 and not state["killed"]:
            pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(**dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            state["killed"] = True
        return execute(sql, params, many, context)

    cache.clear()  # the list must run its queries, not come from the response cache
    with connection.execute_wrapper(kill_before_second_query):
        response = client.get("/api/v1/events/")
    assert state["killed"]
    assert_unavailable(response)
    # The next request gets a working connection from the pool: no restart needed.
    assert client.get("/api/v1/events/").status_code == 200
    assert client.get("/readyz").status_code == 200
    connections.close_all()
