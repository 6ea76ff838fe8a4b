"""Measure the worker's peak memory while it streams a large export (`make export-memory`).

Creates a PostgreSQL database of its own, fills it with `generate_synthetic --events N`, serves
it as in production (gunicorn, one gthread worker, debug off) on 127.0.0.1, downloads
`/api/v1/events/export/` in each format from another process, and reads the worker's peak
resident memory (VmHWM in /proc) after each. Exits 1 when the peak passes the limit (150 MB by
default). The database is dropped afterwards (`--keep` keeps it, and `--reuse` uses a kept one).

    .venv/bin/python scripts/export_memory.py --events 1000000
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def worker_of(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise RuntimeError("gunicorn started no worker")


def wait_ready(url: str, master: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if master.poll() is not None:
            raise RuntimeError("gunicorn exited before it was ready")
        try:
            # Our own server on loopback, by http://.
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer")


def download(url: str) -> tuple[int, int, float, float]:
    """Bytes and lines of the response, seconds to the first bytes and to the end."""
    started = time.monotonic()
    first = 0.0
    size = lines = 0
    with urllib.request.urlopen(url, timeout=3600) as response:  # noqa: S310 (loopback)
        while chunk := response.read(1 << 16):
            if not size:
                first = time.monotonic() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
    return size, lines, first, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit-mb", type=float, default=150)
    parser.add_argument("--port", type=int, default=8390)
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="policyapi_export_memory")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--reuse", action="store_true", help="Use a database kept earlier.")
    args = parser.parse_args()

    def admin(statement: sql.Composed) -> None:
        with psycopg.connect(f"{args.pg_server}/postgres", autocommit=True) as conn:
            conn.execute(statement)

    env = {
        **os.environ,
        "DATABASE_URL": f"{args.pg_server}/{args.database}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "THROTTLE_ANON_RATE": "1000000/s",
    }
    env.pop("REDIS_URL", None)
    name = sql.Identifier(args.database)
    if not args.reuse:
        admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin(sql.SQL("CREATE DATABASE {}").format(name))
        manage = [str(BIN / "python"), "manage.py"]
        # The project's own commands, with arguments this script builds.
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        say(f"generating {args.events:,} synthetic events ...")
        subprocess.run(  # noqa: S603
            [*manage, "generate_synthetic", "--events", str(args.events), "--seed", str(args.seed)],
            cwd=ROOT,
            env=env,
            check=True,
        )
    base = f"http://127.0.0.1:{args.port}"
    master = subprocess.Popen(  # noqa: S603 (gunicorn from this virtualenv)
        [
            str(BIN / "gunicorn"),
            "policyapi.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            "1",
            "--threads",
            "2",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    failed = False
    try:
        wait_ready(f"{base}/readyz", master)
        worker = worker_of(master.pid)
        download(f"{base}/api/v1/events/export/?date_from=2015-01-01&date_to=2015-01-02")  # warm-up
        say(f"worker {worker}: {kib(worker, 'VmRSS') / 1024:.1f} MB resident after warm-up")
        for kind in ("ndjson", "csv"):
            size, lines, first, total = download(f"{base}/api/v1/events/export/?format={kind}")
            peak = kib(worker, "VmHWM") / 1024
            failed |= peak >= args.limit_mb
            say(
                f"{kind:6}: {lines:,} lines, {size / 1e6:,.1f} MB in {total:.0f} s (first bytes "
                f"after {first:.2f} s); worker peak resident memory so far {peak:.1f} MB "
                f"(limit {args.limit_mb:.0f} MB)"
            )
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=60)
        if not args.keep:
            admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    say(f"RESULT: {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
