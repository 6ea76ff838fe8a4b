"""Losing the database, on the real PostgreSQL: while it is unreachable every endpoint that needs
it answers 503 problem+json with Retry-After, /healthz stays 200, /readyz answers 503; once it is
back, requests succeed again without a restart. Two ways to lose it: a server that refuses
connections (a TCP proxy in front of PostgreSQL, stopped and started), and a connection killed
in the middle of a request (pg_terminate_backend)."""

import contextlib
import http.client
import os
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any
from unittest import mock

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client
from rest_framework.authtoken.models import Token

from events import caching, exports
from events.models import Event, Topic
from events.views import TopicViewSet

from . import factories as f
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
    open ones), like a database server that went down. `cut_before()` stops it at a chosen
    statement, before the statement reaches the server."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()
        self.cut: tuple[bytes, int] | None = None

    def cut_before(self, statement: bytes, occurrence: int = 1) -> None:
        """Stop when a client sends the `occurrence`-th message holding `statement`, without
        forwarding it. (The traffic is plain text: the clients connect with sslmode=disable.)"""
        with self.lock:
            self.cut = (statement, occurrence)

    def _cuts(self, data: bytes) -> bool:
        with self.lock:
            if self.cut is None or self.cut[0] not in data:
                return False
            statement, left = self.cut[0], self.cut[1] - data.count(self.cut[0])
            self.cut = (statement, left) if left > 0 else None
            return left <= 0

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
            for a, b, watched in ((client, server, True), (server, client, False)):
                threading.Thread(target=self._pipe, args=(a, b, watched), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, watched: bool) -> None:
        try:
            while data := source.recv(65536):
                if watched and self._cuts(data):
                    self.stop()
                    return
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
    saved = (settings["HOST"], settings["PORT"], settings["OPTIONS"])
    tcp = TcpProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    tcp.start()
    settings["HOST"], settings["PORT"] = "127.0.0.1", str(tcp.port)
    settings["OPTIONS"] = {
        **saved[2],
        "pool": {**saved[2]["pool"], "timeout": 1},  # fail fast while it is down
        "sslmode": "disable",  # statements readable by TcpProxy.cut_before()
    }
    _reset_pool()
    try:
        yield tcp
    finally:
        tcp.stop()
        settings["HOST"], settings["PORT"], settings["OPTIONS"] = saved
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

    caching.clear()  # the list must run its queries, not come from the response cache
    with connection.execute_wrapper(kill_before_second_query):
        response = client.get("/api/v1/events/")
    assert state["killed"]
    assert_unavailable(response)
    # The next request gets a working connection from the pool: no restart needed.
    assert client.get("/api/v1/events/").status_code == 200
    assert client.get("/readyz").status_code == 200
    connections.close_all()


def test_it_replaces_pooled_connections_the_server_closed_while_idle() -> None:
    """A server restart (or pg_terminate_backend) closes the pool's idle connections; the next
    requests are answered on fresh ones, found out when they leave the pool
    (policyapi/postgresql/base.py), rather than a 503 per dead connection."""

    def get(path: str) -> int:
        status = Client().get(path).status_code
        # As at the end of every request in production (Django's test client keeps the
        # connection open between requests instead): back to the pool.
        connections.close_all()
        return status

    caching.clear()
    paths = [f"/api/v1/events/?page_size={size}" for size in range(1, 8)]
    assert get(paths[0]) == 200
    dsn = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k in ("host", "port", "user", "dbname")
    }
    with psycopg.connect(**dsn, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        assert killed is not None
        assert killed[0] >= 1  # the pool's idle connections
        for _ in range(100):  # until their backends have exited (a liveness bound)
            left = admin.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
            if left == (0,):
                break
            time.sleep(0.05)
    assert [get(path) for path in paths[1:]] == [200] * (len(paths) - 1)


# --- exports ------------------------------------------------------------------------------------

EXPORTS = [
    "/api/v1/events/export/?format=ndjson",
    "/api/v1/events/export/?format=csv",
    "/api/v1/tariff-measures/export/?format=ndjson",
    "/api/v1/tariff-measures/export/?format=csv",
]


@pytest.mark.parametrize("path", EXPORTS)
def test_an_export_answers_503_while_the_server_refuses_connections(
    proxy: TcpProxy, path: str
) -> None:
    """Regression (issue 12): the export's query ran only once the response had started, so
    the NDJSON export was gunicorn's HTML 500 and the CSV one a 200 with only its header line."""
    client = Client()
    proxy.stop()
    response = client.get(path)
    assert not response.streaming
    assert_unavailable(response)

    proxy.start()
    wait_until_ready(client)
    recovered = client.get(path)
    assert recovered.status_code == 200
    assert b"".join(recovered.streaming_content)  # type: ignore[attr-defined]


def test_an_export_whose_first_query_is_cut_answers_503(proxy: TcpProxy) -> None:
    """The connection lost while the first chunk is read (the cursor's first FETCH never reaches
    the server): still before the response starts, so a 503."""
    proxy.cut_before(b"FETCH FORWARD")
    assert_unavailable(Client().get("/api/v1/events/export/?format=csv"))


@pytest.fixture
def gunicorn(tmp_path: Any) -> Iterator[tuple[str, TcpProxy]]:
    """gunicorn in production mode (tests/test_serving.py) on the test database, through a
    TcpProxy of its own: (the server's URL, the proxy)."""
    from .test_serving import GUNICORN, ROOT, free_port

    settings = connection.settings_dict
    tcp = TcpProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    tcp.start()
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DJANGO_SECRET_KEY="k3$Jx9!pQ2vL8@wZr5&nT1yB6^cF4mH7*uD0eG3sA9jK2lP8qW5",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_MANIFEST="0",
        DATABASE_URL=f"postgres://{settings['USER']}@127.0.0.1:{tcp.port}/{settings['NAME']}"
        "?sslmode=disable",
        DATABASE_POOL_MIN_SIZE="1",
        DATABASE_POOL_TIMEOUT="1",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        LOG_LEVEL="WARNING",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*GUNICORN, "policyapi.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # up to 20 s for gunicorn to listen
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text()}")
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)  # noqa: S310 (our server)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not answer: {log.read_text()}")
        yield url, tcp
    finally:
        process.terminate()
        process.wait(timeout=30)
        tcp.stop()


def http_get(url: str, path: str) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.request("GET", path)
    return conn.getresponse()


def wait_until_served(url: str) -> None:
    """Poll the server's /readyz until its pool has reconnected (a liveness bound)."""
    for _ in range(60):
        if http_get(url, "/readyz").status == 200:
            return
        time.sleep(1)
    pytest.fail("gunicorn did not reconnect to the database within a minute")


def test_an_export_cut_midway_is_an_incomplete_read_to_the_client(
    gunicorn: tuple[str, TcpProxy],
) -> None:
    """The connection lost after the first chunk was sent: the server closes the connection
    without the chunk that ends a chunked body, so the client's HTTP library raises instead of
    handing over a shorter file that looks complete."""
    url, tcp = gunicorn
    events = Event.objects.count() + exports.CHUNK_SIZE  # two chunks: two FETCHes
    Event.objects.bulk_create(
        f.EventFactory.build(slug=f"bulk-{n:04}") for n in range(exports.CHUNK_SIZE)
    )
    for kind in ("ndjson", "csv"):
        tcp.cut_before(b"FETCH FORWARD", occurrence=2)  # the second chunk's
        response = http_get(url, f"/api/v1/events/export/?format={kind}")
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        received = cut.value.partial.splitlines()
        header = 1 if kind == "csv" else 0
        assert len(received) - header == exports.CHUNK_SIZE < events

        tcp.start()  # the same port: the server is not restarted
        wait_until_served(url)

    whole = http_get(url, "/api/v1/events/export/?format=ndjson")
    assert (whole.status, len(whole.read().splitlines())) == (200, events)


# --- writes -------------------------------------------------------------------------------------

TOPIC = {"slug": "export-controls", "name": "Export controls", "parent": "trade"}


def kill(connection_: Any) -> None:
    """Terminate the server process behind a Django connection, as an operator (or a crash)
    would: the client finds out at its next statement."""
    dsn = {
        k: v
        for k, v in connection_.get_connection_params().items()
        if k in ("host", "port", "user", "dbname")
    }
    with psycopg.connect(**dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [connection_.connection.info.backend_pid])


@pytest.mark.parametrize("when", ["during-the-write", "reading-the-answer-back"])
def test_a_write_whose_connection_dies_before_commit_is_a_503_and_its_retry_a_201(
    token: str, when: str
) -> None:
    """Regression (issue 12): the answer was read back after COMMIT, so a connection lost then
    gave a 503 for a committed record, and the retry a 400 for its duplicate slug. The answer
    is now read inside the write's transaction: a 503 means nothing was written."""
    editor = Client(HTTP_AUTHORIZATION=f"Token {token}")
    original = TopicViewSet.detail_response
    state = {"inserts": 0, "killed": False}

    def reading_back(self: Any, *args: Any, **kwargs: Any) -> Any:
        if when == "reading-the-answer-back":
            kill(connection)
            state["killed"] = True
        return original(self, *args, **kwargs)

    def kill_in_the_write(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        state["inserts"] += sql.startswith("INSERT")
        if when == "during-the-write" and state["inserts"] == 2 and not state["killed"]:
            kill(context["connection"])  # the topic's row is inserted, its history entry not
            state["killed"] = True
        return execute(sql, params, many, context)

    with (
        mock.patch.object(TopicViewSet, "detail_response", reading_back),
        connection.execute_wrapper(kill_in_the_write),
    ):
        response = editor.post("/api/v1/topics/", TOPIC, content_type="application/json")
    assert state["killed"]
    assert_unavailable(response)
    assert not Topic.objects.filter(slug="export-controls").exists()

    retry = editor.post("/api/v1/topics/", TOPIC, content_type="application/json")
    assert retry.status_code == 201, retry.content
    assert Topic.objects.get(slug="export-controls").name == "Export controls"


def test_an_update_whose_connection_dies_before_commit_changes_nothing(token: str) -> None:
    editor = Client(HTTP_AUTHORIZATION=f"Token {token}")
    before = Topic.objects.get(slug="trade").description
    original = TopicViewSet.detail_response

    def reading_back(self: Any, *args: Any, **kwargs: Any) -> Any:
        kill(connection)
        return original(self, *args, **kwargs)

    with mock.patch.object(TopicViewSet, "detail_response", reading_back):
        response = editor.patch(
            "/api/v1/topics/trade/", {"description": "x"}, content_type="application/json"
        )
    assert_unavailable(response)
    assert Topic.objects.get(slug="trade").description == before

    retry = editor.patch(
        "/api/v1/topics/trade/", {"description": "x"}, content_type="application/json"
    )
    assert retry.status_code == 200
    assert Topic.objects.get(slug="trade").description == "x"


def test_a_write_whose_commit_never_reaches_the_database_is_a_503_and_its_retry_a_201(
    proxy: TcpProxy, token: str
) -> None:
    """The connection lost at COMMIT, before the server received it: nothing is written. (Lost
    after the server committed but before its reply arrived, the write is committed and the
    answer still a 503: the ambiguity no client-server protocol avoids; README, Reliability.)"""
    editor = Client(HTTP_AUTHORIZATION=f"Token {token}")
    proxy.cut_before(b"COMMIT")
    response = editor.post("/api/v1/topics/", TOPIC, content_type="application/json")
    assert_unavailable(response)

    proxy.start()
    wait_until_ready(Client())
    assert not Topic.objects.filter(slug="export-controls").exists()
    retry = editor.post("/api/v1/topics/", TOPIC, content_type="application/json")
    assert retry.status_code == 201, retry.content
