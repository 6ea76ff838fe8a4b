"""Instructions the service executes per request, counted by valgrind's callgrind.

Req/s and even CPU time move by 20% and more from one run to the next on a shared machine;
the number of instructions a request executes does not (two runs agree within 1%), so a change
to the read path is measured here before it is measured by `make bench`. The service runs in
this process with the production settings, as scripts/profile_reads.py runs it (debug off, the
request log, the throttle in the cache, the response cache off unless --cache), but its WSGI
application is called directly: no test client, no HTTP, no gunicorn. Database and Redis work
happen in their own processes and are not counted; only the app's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db with synthetic events> \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python scripts/instructions.py --scenario detail

The scenarios are profile_reads.py's (first, list, country, filtered, detail, tariff, search,
vocabularies), their URLs read from the data once and written to a file. The script then runs
itself twice under `valgrind --tool=callgrind`, each time 20 warm-up requests and then
--low and --high requests (50 and 250) cycling through the URLs, and prints the difference of
the two totals divided by the difference of the counts: start-up and warm-up cancel out. About a
minute per scenario (valgrind runs Python some 50 times slower). Needs valgrind
(`apt-get install valgrind`).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import profile_reads  # noqa: E402 - the scenarios, and the production settings it sets

WARM_UP = 20


def environ(url: str) -> dict[str, Any]:
    """A WSGI environ for GET `url`, as gunicorn builds it for a request on loopback."""
    path, _, query = url.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT": "application/json",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }


def serve(paths_file: str, count: int) -> None:
    """The child: WARM_UP requests, then `count` more, cycling through the file's URLs."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    paths = Path(paths_file).read_text(encoding="utf-8").split()
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    for number in range(WARM_UP + count):
        body = application(environ(paths[number % len(paths)]), start_response)
        b"".join(body)
        body.close()
        if not statuses[-1].startswith("200"):
            raise SystemExit(f"{paths[number % len(paths)]}: {statuses[-1]}")


def instructions(paths_file: str, count: int) -> int:
    """Instructions callgrind counts for a child serving `count` requests after the warm-up."""
    done = subprocess.run(  # noqa: S603 - our own arguments
        [
            str(shutil.which("valgrind")),
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--serve",
            paths_file,
            str(count),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise SystemExit(f"instructions: the run under valgrind failed:\n{tail}")
    return int(found.group(1))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        # Quiet: one log line per request would be counted, but not written anywhere useful.
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the child
        import django

        django.setup()
        serve(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="detail", choices=profile_reads.SCENARIOS)
    parser.add_argument("--low", type=int, default=50)
    parser.add_argument("--high", type=int, default=250)
    parser.add_argument("--cache", action="store_true", help="keep the response cache on")
    args = parser.parse_args()
    if args.high <= args.low:
        parser.error("--high must be more than --low")
    if shutil.which("valgrind") is None:
        raise SystemExit("instructions: valgrind is not installed (apt-get install valgrind)")
    if not args.cache:
        os.environ["RESPONSE_CACHE_SECONDS"] = "0"  # the children inherit it
    import django

    django.setup()
    paths = profile_reads.urls(args.scenario, args.high)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    try:
        low, high = (instructions(handle.name, count) for count in (args.low, args.high))
    finally:
        os.unlink(handle.name)
    per_request = (high - low) / (args.high - args.low)
    state = "on" if args.cache else "off"
    sys.stdout.write(
        f"scenario {args.scenario}: {per_request / 1e6:.3f} M instructions per request "
        f"(callgrind; requests {args.low} and {args.high} after {WARM_UP} to warm up; "
        f"response cache {state}; e.g. {paths[0]})\n"
    )


if __name__ == "__main__":
    main()
