"""Drive the load of `make loadtest`: wrk's read mix and the editors' writes, at the same time.

Standard library only (it runs in a process of its own, beside the server). Steps:
1. fetch every path of mix.txt once: each must answer 200; remember its ETag;
2. start the editors (writer.py, in threads of this process) and wrk (mix.lua) together, for
   the same duration;
3. write everything measured, and the editors' ledger, to results.json for report.py.

Usage: drive.py BASE_URL TOKEN OUT_DIR [--duration 30] [--connections 64] [--threads 2]
       [--editors 4]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import writer  # noqa: E402


def read_mix(path: Path) -> list[tuple[int, str]]:
    mix = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"(\d+)\s+(/\S*)", line)
        if not match:
            raise SystemExit(f"{path}:{number}: expected '<weight> <path>', got {line!r}")
        mix.append((int(match.group(1)), match.group(2)))
    return mix


def prefetch(base_url: str, mix: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """Each path's ETag; every path must answer 200 (a broken mix would skew everything)."""
    fetched = []
    for weight, path in mix:
        url = base_url + path  # http://127.0.0.1:<port>/..., built by run.sh
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                response.read()
                etag = response.headers.get("ETag", "")
        except urllib.error.HTTPError as exc:
            body = exc.read()[:500].decode("utf-8", "replace")
            raise SystemExit(f"prefetch: GET {path} answered {exc.code}, not 200: {body}") from exc
        fetched.append((weight, path, etag))
    return fetched


def run_wrk(
    base_url: str, requests_file: Path, duration: int, connections: int, threads: int
) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (run.sh installs it: apt-get install wrk)")
    command = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=10s",
        "--latency",
        f"--script={HERE / 'mix.lua'}",
        base_url,
    ]
    env = {"LOADTEST_REQUESTS": str(requests_file), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    output = done.stdout + done.stderr
    match = re.search(r"^LOADTEST_RESULT (\{.*\})$", output, re.MULTILINE)
    if done.returncode != 0 or not match:
        raise SystemExit(f"wrk failed (exit {done.returncode}):\n{output}")
    result: dict[str, Any] = json.loads(match.group(1))
    result["command"] = " ".join(command)
    result["output"] = output
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--editors", type=int, default=4)
    args = parser.parse_args()

    fetched = prefetch(args.base_url, read_mix(HERE / "mix.txt"))
    requests_file = args.out_dir / "requests.tsv"
    requests_file.write_text("".join(f"{w}\t{p}\t{e}\n" for w, p, e in fetched), encoding="utf-8")

    writes: dict[str, Any] = {}

    def editors() -> None:
        writes.update(writer.run(args.base_url, args.token, args.duration, args.editors))

    editor_threads = threading.Thread(target=editors, name="editors")
    started = time.monotonic()
    editor_threads.start()
    reads = run_wrk(args.base_url, requests_file, args.duration, args.connections, args.threads)
    editor_threads.join()
    results = {
        "duration": args.duration,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "elapsed": time.monotonic() - started,
        "paths": len(fetched),
        "reads": reads,
        "writes": writes,
    }
    (args.out_dir / "results.json").write_text(json.dumps(results), encoding="utf-8")
    sys.stderr.write(
        f"loadtest: {reads['requests']} reads and "
        f"{sum(writes['statuses'].values())} editor requests in {results['elapsed']:.1f} s\n"
    )


if __name__ == "__main__":
    main()
