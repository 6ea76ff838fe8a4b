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
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "policyapi/gunicorn.py"]
FAR_FUTURE = "max-age=315360000, public, immutable"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, url: str, log: Path, static_root: Path) -> None:
        self.url, self.log, self.static_root = url, log, static_root

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our server)
            return response.status, dict(response.headers), response.read()

    def raw(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send `request` as is on a new connection; the status, headers and body of the
        answer (the server closes the connection after it)."""
        host, port = self.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in header_lines)
        return int(status_line.split()[1]), headers, body

    def log_lines(self) -> list[dict]:
        return [
            json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")
        ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn in production mode (debug off, hashed static files) on a port of its own."""
    work = tmp_path_factory.mktemp("serve")
    port = free_port()
    # Production as the README's Deployment section configures it, but for plain HTTP.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
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
        yield Server(url, log, work / "static")
    finally:
        process.terminate()
        process.wait(timeout=30)


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
