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
