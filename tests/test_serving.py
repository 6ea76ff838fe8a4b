"""Production serving, as `make serve` runs it: `collectstatic` with production settings, then
gunicorn with policyapi/gunicorn.py. Static files (admin, Swagger UI, ReDoc) come from WhiteNoise,
named by their content hash, gzipped, and cacheable for a year; every request is one JSON log
line with its id.
"""

import gzip
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "policyapi/gunicorn.py"]
FAR_FUTURE = "max-age=315360000, public, immutable"


def free_port() -> int:
    """A free port: any, or the first free one of TEST_SERVER_PORTS (`8130-8139`) when a
    machine shared with other servers sets it."""
    first, _, last = (os.environ.get("TEST_SERVER_PORTS") or "0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise OSError(f"No free port in TEST_SERVER_PORTS={os.environ['TEST_SERVER_PORTS']}")


class Server:
    def __init__(self, url: str, log: Path, static_root: Path, env: dict[str, str]) -> None:
        self.url, self.log, self.static_root, self.env = url, log, static_root, env

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our server)
            return response.status, dict(response.headers), response.read()

    def exchange(self, request: bytes) -> bytes:
        """Send `request` as is on a new connection; the whole answer (the server closes the
        connection after it)."""
        host, port = self.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        return answer

    def raw(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """The status, headers and body of the answer to `request`, sent as is."""
        head, _, body = self.exchange(request).partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in header_lines)
        return int(status_line.split()[1]), headers, body

    def log_lines(self) -> list[dict]:
        return [
            json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")
        ]


@contextmanager
def serving(work: Path, **settings: str) -> Iterator[Server]:
    """gunicorn in production mode (debug off, hashed static files) on a port of its own, with
    `settings` added to its environment."""
    port = free_port()
    # Production as the README's Deployment section configures it, but for plain HTTP.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.pop("FORWARDED_ALLOW_IPS", None)
    env.update(
        DJANGO_SECRET_KEY="k3$Jx9!pQ2vL8@wZr5&nT1yB6^cF4mH7*uD0eG3sA9jK2lP8qW5",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=str(work / "static"),
        DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        **settings,
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    log = work / "gunicorn.log"
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
                urllib.request.urlopen(url + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not answer: {log.read_text()}")
        yield Server(url, log, work / "static", env)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn as the README deploys it, trusting no proxy (FORWARDED_ALLOW_IPS unset)."""
    with serving(tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture(scope="module")
def behind_a_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn whose operator declared the loopback address a proxy (a load balancer)."""
    with serving(tmp_path_factory.mktemp("proxied"), FORWARDED_ALLOW_IPS="127.0.0.1") as running:
        yield running


def asset_urls(html: bytes) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html.decode())


def test_it_serves_swagger_ui_assets_hashed_compressed_and_cacheable_for_a_year(
    server: Server,
) -> None:
    status, _, page = server.get("/api/v1/docs/")
    assert status == 200
    assets = asset_urls(page)
    bundle = next(a for a in assets if "swagger-ui-bundle" in a)
    assert re.fullmatch(
        r"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle\.[0-9a-f]{12}\.js",
        bundle,
    )
    status, headers, body = server.get(bundle, **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Cache-Control"] == FAR_FUTURE
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    original = (server.static_root / bundle.removeprefix("/static/")).read_bytes()
    assert gzip.decompress(body) == original
    assert len(body) < len(original) / 2


def test_it_serves_every_asset_of_the_docs_and_the_admin(server: Server) -> None:
    for page in ("/api/v1/docs/", "/api/v1/redoc/", "/admin/login/"):
        status, _, html = server.get(page)
        assert status == 200, page
        assets = asset_urls(html)
        assert assets, page
        for asset in assets:
            status, headers, _ = server.get(asset)
            assert (status, headers["Cache-Control"]) == (200, FAR_FUTURE), asset


def test_it_sends_a_file_uncompressed_to_a_client_that_does_not_accept_gzip(
    server: Server,
) -> None:
    _, _, html = server.get("/admin/login/")
    css = next(a for a in asset_urls(html) if a.endswith(".css"))
    status, headers, body = server.get(css, **{"Accept-Encoding": "identity"})
    assert status == 200
    assert "Content-Encoding" not in headers
    assert body == (server.static_root / css.removeprefix("/static/")).read_bytes()


def test_it_caches_a_file_by_its_unhashed_name_only_briefly(server: Server) -> None:
    status, headers, _ = server.get("/static/admin/css/base.css")
    assert status == 200
    assert headers["Cache-Control"] == "max-age=60, public"


def test_it_logs_each_request_as_one_json_line_with_its_request_id(server: Server) -> None:
    status, headers, _ = server.get("/api/v1/countries/?q=pak", **{"X-Request-ID": "serve-test-1"})
    assert (status, headers["X-Request-ID"]) == (200, "serve-test-1")
    for _ in range(50):  # the worker writes the line as it answers
        lines = [line for line in server.log_lines() if line["request_id"] == "serve-test-1"]
        if lines:
            break
        time.sleep(0.1)
    [line] = lines
    assert {k: line[k] for k in ("method", "path", "query", "status", "user")} == {
        "method": "GET",
        "path": "/api/v1/countries/",
        "query": "q=pak",
        "status": 200,
        "user": None,
    }
    assert line["logger"] == "policyapi.requests"


# What gunicorn refuses before Django sees it (policyapi/gunicorn_worker.py): the status it
# chooses, with a problem+json body instead of its HTML page.
HOST = b"Host: 127.0.0.1\r\n"
LIMIT_REQUEST_LINE = 8190  # policyapi/gunicorn.py


def request_line_of(length: int) -> bytes:
    """A GET of an unknown API path whose request line is `length` bytes long."""
    start, end = b"GET /api/v1/", b"/ HTTP/1.1"
    return start + b"x" * (length - len(start) - len(end)) + end


def assert_problem(answer: tuple[int, dict[str, str], bytes], status: int, title: str) -> dict:
    code, headers, body = answer
    assert (code, headers["Content-Type"]) == (status, "application/problem+json")
    assert headers["Content-Length"] == str(len(body))
    problem = json.loads(body)
    assert {k: problem[k] for k in ("type", "title", "status")} == {
        "type": "about:blank",
        "title": title,
        "status": status,
    }
    assert b"<" not in body
    return problem


def test_it_answers_a_request_line_over_the_limit_with_a_414_problem(server: Server) -> None:
    line = request_line_of(LIMIT_REQUEST_LINE + 1)
    problem = assert_problem(
        server.raw(line + b"\r\n" + HOST + b"\r\n"), 414, "Request-URI Too Long"
    )
    assert problem["detail"] == (
        "The request line (method, path and query string) is longer than this server accepts "
        "(8190 bytes). Send fewer values per filter and combine the results: the values of one "
        "parameter are alternatives (OR), so they can be split over several requests."
    )


def test_it_passes_a_request_line_at_the_limit_to_django(server: Server) -> None:
    line = request_line_of(LIMIT_REQUEST_LINE)
    request = line + b"\r\n" + HOST + b"Connection: close\r\n\r\n"
    problem = assert_problem(server.raw(request), 404, "Not Found")
    assert problem["detail"].startswith("Nothing is published at /api/v1/xxx")


def test_it_answers_raw_non_ascii_bytes_in_the_path_with_a_400_problem(server: Server) -> None:
    request = b"GET /api/v1/events/caf\xc3\xa9/ HTTP/1.1\r\n" + HOST + b"\r\n"
    problem = assert_problem(server.raw(request), 400, "Bad Request")
    assert "printable ASCII" in problem["detail"]


@pytest.mark.parametrize(
    "header",
    [b"Bad Header: x", b"No-Colon", b"X-Control: a\x00b", b"X-Folded: a\r\n b"],
    ids=["space-in-name", "no-colon", "nul-in-value", "obsolete-folding"],
)
def test_it_answers_a_malformed_header_with_a_400_problem(server: Server, header: bytes) -> None:
    request = b"GET /api/v1/events/ HTTP/1.1\r\n" + HOST + header + b"\r\n\r\n"
    problem = assert_problem(server.raw(request), 400, "Bad Request")
    assert problem["detail"].startswith("A header field is malformed")


def test_it_answers_too_many_headers_with_a_431_problem(server: Server) -> None:
    headers = b"".join(b"X-Header-%d: y\r\n" % i for i in range(101))
    request = b"GET /api/v1/events/ HTTP/1.1\r\n" + HOST + headers + b"\r\n"
    problem = assert_problem(server.raw(request), 431, "Request Header Fields Too Large")
    assert problem["detail"] == (
        "The request has too many header fields (at most 100) or one that is too large "
        "(at most 8190 bytes)."
    )


def test_it_answers_a_header_over_the_size_limit_with_a_431_problem(server: Server) -> None:
    request = b"GET /api/v1/events/ HTTP/1.1\r\n" + HOST + b"X-Big: " + b"y" * 8200 + b"\r\n\r\n"
    assert_problem(server.raw(request), 431, "Request Header Fields Too Large")


@pytest.mark.parametrize(
    ("request_line", "detail"),
    [
        (b"G(T /api/v1/events/ HTTP/1.1", "The request method is not a valid HTTP method."),
        (
            b"GET /api/v1/events/ HTTP/9.9",
            "The HTTP version is malformed or not supported: this server speaks HTTP/1.0 and 1.1.",
        ),
        (b"GET /api/v1/events/", None),
    ],
    ids=["method", "version", "no-version"],
)
def test_it_answers_a_malformed_request_line_with_a_400_problem(
    server: Server, request_line: bytes, detail: str | None
) -> None:
    problem = assert_problem(
        server.raw(request_line + b"\r\n" + HOST + b"\r\n"), 400, "Bad Request"
    )
    assert problem["detail"] == (detail or problem["detail"])


# Audit: gunicorn answered `HTTP/1.9 200 OK` to an HTTP/1.9 request, passed `Transfer-Encoding:
# gzip, chunked` to Django (which would read the compressed bytes as the body), called a body
# whose length cannot be told a malformed header, and let Django answer `OPTIONS *` and CONNECT
# with an HTML 404.
@pytest.mark.parametrize("version", [b"1.2", b"1.9"])
def test_it_answers_an_http_1_version_above_1_1_with_a_400_problem(
    server: Server, version: bytes
) -> None:
    request = b"GET /api/v1/topics/ HTTP/" + version + b"\r\n" + HOST + b"\r\n"
    answer = server.exchange(request)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    problem = assert_problem(server.raw(request), 400, "Bad Request")
    assert problem["detail"] == (
        "The HTTP version is malformed or not supported: this server speaks HTTP/1.0 and 1.1."
    )


FRAMING = (
    "The request body's length cannot be told (RFC 9112, section 6): send one Content-Length "
    "(a whole number), or `Transfer-Encoding: chunked` in HTTP/1.1 with `chunked` last and "
    "once, never both."
)


@pytest.mark.parametrize(
    ("version", "headers"),
    [
        (b"1.1", b"Transfer-Encoding: gzip\r\n"),
        (b"1.1", b"Transfer-Encoding: identity\r\n"),
        (b"1.1", b"Transfer-Encoding: br\r\n"),
        (b"1.1", b"Transfer-Encoding: chunked, gzip\r\n"),
        (b"1.1", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
        (b"1.1", b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
        (b"1.0", b"Transfer-Encoding: chunked\r\n"),
        (b"1.1", b"Content-Length: 5x\r\n"),
    ],
    ids=[
        "gzip",
        "identity",
        "unknown",
        "chunked-not-last",
        "chunked-twice",
        "with-length",
        "http-1.0",
        "bad-length",
    ],
)
def test_it_answers_a_body_whose_length_cannot_be_told_with_a_400_problem(
    server: Server, version: bytes, headers: bytes
) -> None:
    request = b"POST /api/v1/topics/ HTTP/" + version + b"\r\n" + HOST + headers + b"\r\n"
    problem = assert_problem(server.raw(request + b"0\r\n\r\n"), 400, "Bad Request")
    assert problem["detail"] == FRAMING


@pytest.mark.parametrize("codings", [b"gzip, chunked", b"identity, chunked", b"br,chunked"])
def test_it_answers_a_transfer_coding_beside_chunked_with_a_501_problem(
    server: Server, codings: bytes
) -> None:
    request = (
        b"POST /api/v1/topics/ HTTP/1.1\r\n"
        + HOST
        + b"Transfer-Encoding: "
        + codings
        + b"\r\n\r\n0\r\n\r\n"
    )
    problem = assert_problem(server.raw(request), 501, "Not Implemented")
    assert problem["detail"] == (
        "The request's Transfer-Encoding is not supported: this server decodes `chunked` only; "
        "send the body without another coding (gzip, ...), chunked or with a Content-Length."
    )


def test_it_answers_options_asterisk_with_the_servers_methods(server: Server) -> None:
    answer = server.exchange(b"OPTIONS * HTTP/1.1\r\n" + HOST + b"\r\n")

    assert answer == (
        b"HTTP/1.1 200 OK\r\nAllow: GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
    )


def test_it_answers_connect_with_a_501_problem(server: Server) -> None:
    request = b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n"
    problem = assert_problem(server.raw(request), 501, "Not Implemented")
    assert problem["detail"] == "CONNECT is not implemented: this server is not a proxy."


# Audit: gunicorn's default forwarded_allow_ips trusted the loopback peer, so a client's
# `SCRIPT_NAME: /evil` was a 500 ("The server is misconfigured") and its X-Forwarded-Proto
# made every URL of the answer https.
def test_it_trusts_no_forwarded_scheme_unless_a_proxy_is_declared(
    server: Server, behind_a_proxy: Server
) -> None:
    for running, scheme in ((server, "http"), (behind_a_proxy, "https")):
        status, _, body = running.get("/api/v1/", **{"X-Forwarded-Proto": "https"})
        assert status == 200
        port = running.url.rpartition(":")[2]
        assert json.loads(body)["events"] == f"{scheme}://127.0.0.1:{port}/api/v1/events/"


def test_a_script_name_header_changes_nothing_from_any_peer(
    server: Server, behind_a_proxy: Server
) -> None:
    for running in (server, behind_a_proxy):
        request = (
            b"GET /api/v1/ HTTP/1.1\r\n" + HOST + b"SCRIPT_NAME: /evil\r\nPATH_INFO: /x\r\n"
            b"Connection: close\r\n\r\n"
        )
        status, headers, body = running.raw(request)
        assert (status, headers["Content-Type"]) == (200, "application/json")
        assert json.loads(body)["events"] == "http://127.0.0.1/api/v1/events/"


# Audit: an export cut by a database failure mid-stream wrote gunicorn's traceback over many
# plain-text lines, as were its start-up lines and warnings: every record is one JSON line.
def test_every_line_gunicorn_logs_is_one_json_record(server: Server) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "generate_synthetic", "--events", "1200", "--seed", "3"],
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
    )
    server.raw(b"GET /api/v1/events/ HTTP/1.9\r\n" + HOST + b"\r\n")  # a warning
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET /api/v1/events/export/?format=csv HTTP/1.1\r\n" + HOST + b"\r\n")
        sock.recv(1024)  # the export's first chunk was read: the stream has begun
        with sqlite3.connect(database) as tables:
            tables.execute("ALTER TABLE events_event RENAME TO events_event_gone")
        try:
            while sock.recv(65536):
                pass
        finally:
            with sqlite3.connect(database) as tables:
                tables.execute("ALTER TABLE events_event_gone RENAME TO events_event")

    for _ in range(50):
        text = server.log.read_text()
        if "Error handling request" in text:
            break
        time.sleep(0.1)
    records = [json.loads(line) for line in text.splitlines()]  # each line is JSON
    by_gunicorn = [r for r in records if r["logger"] == "gunicorn.error"]
    assert by_gunicorn[0]["message"].startswith("Starting gunicorn")
    assert any(r["message"].startswith("Invalid request from ip=127.0.0.1") for r in by_gunicorn)
    [cut] = [r for r in by_gunicorn if r["message"] == "Error handling request"]
    assert cut["level"] == "ERROR"
    assert "no such table: events_event" in cut["traceback"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, 1),
        ({"REDIS_URL": "redis://127.0.0.1:6379/9"}, os.cpu_count() or 1),
        ({"WEB_CONCURRENCY": "3"}, 3),
    ],
)
def test_without_redis_one_worker_counts_every_rate_limit(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: int
) -> None:
    """Rate limits live in the cache; without Redis each worker keeps its own, so gunicorn runs
    one worker unless told otherwise (and then warns at start-up)."""
    import importlib.util

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf", "policyapi/gunicorn.py")
    assert spec is not None
    assert spec.loader is not None
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    assert config.workers == expected
    warnings: list[str] = []

    class Log:
        def warning(self, message: str, *args: object) -> None:
            warnings.append(message % args)

    config.when_ready(type("Server", (), {"log": Log()})())
    assert bool(warnings) == (expected > 1 and "REDIS_URL" not in env)
