"""The measurements and the report of `make bench` (run.sh starts the servers and calls this).

Standard library and orjson only. Two commands:

  bench.py measure --size N --out results.json --service URL --uncached URL --django URL
      --wsgi URL
      1. picks the scenarios' values from the data, through the service: the 10,000th row's
         cursor (following `next` from `?cursor=start&page_size=100` 100 times, and checking
         that page 100 equals `?page=100&page_size=100`), the most frequent country, root topic
         and place name among those rows, an event to show;
      2. fetches every scenario from the service and both baselines with the same Host header
         and compares the parsed JSON: the first difference ends the run (exit 1);
      3. checks that the first page with its ETag in If-None-Match is answered 304;
      4. loads each scenario with wrk on loopback, one contender at a time (service, then
         baseline (a), then (b), scenario by scenario), after a warm-up of the same kind,
         and writes requests per second, latency percentiles and statuses to results.json.

  bench.py report results-100000.json [results-1000000.json ...] --setup TEXT
      [--index-check SIZE=FILE ...] [--strict]
      prints the tables (per scenario: service, (a), (b) and the ratios), the first page at
      each size, and the targets; exit 1 if a load run saw an unexpected status or a socket
      error (and, with --strict, if a target is missed).
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

HERE = Path(__file__).resolve().parent
CONTENDERS = ("service", "uncached", "django", "wsgi")
NAMES = {
    "service": "service",
    "uncached": "svc uncached",
    "django": "(a) django",
    "wsgi": "(b) wsgi",
}
DEEP_PAGES = 100  # of 100 rows: the cursor 10,000 rows in
DATE_FROM, DATE_TO = "2012-03-15", "2019-10-20"  # a multi-year range, not on month edges
INDEX_TARGET_SIZE = 1_000_000  # every filter served by an index at this size
LIST_SCENARIOS = ("first25", "first100", "filtered", "deep", "detail", "tariff", "q")


def say(message: str) -> None:
    sys.stderr.write(f"bench: {message}\n")


class Client:
    """A keep-alive HTTP/1.1 client for one server, with the bench's Host header."""

    def __init__(self, base: str, host: str) -> None:
        parts = urlsplit(base)
        self.base, self.host = base, host
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
        sent = {"Host": self.host, "Accept": "application/json", **(headers or {})}
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(*self.address, timeout=120)
            try:
                self.connection.request("GET", path, headers=sent)
                response = self.connection.getresponse()
                body = response.read()
                return response.status, response.headers, body
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, path: str) -> Any:
        status, _, body = self.get(path)
        if status != 200:
            raise SystemExit(f"bench: {self.base}{path} answered {status}: {body[:300]!r}")
        return orjson.loads(body)


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def most_common(values: list[str]) -> str:
    counts = collections.Counter(values)
    return min(counts, key=lambda value: (-counts[value], value))


# --- 1. the scenarios ---------------------------------------------------------------------------


def discover(service: Client) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The scenarios, with values taken from the data; and what was found on the way."""
    start = "/api/v1/events/?cursor=start&page_size=100"
    rows: list[dict[str, Any]] = []
    path: str | None = start
    pages, last_next = 0, None
    while path is not None and pages < DEEP_PAGES:
        body = service.json(path)
        rows += body["results"]
        pages += 1
        last_next = body["next"]
        path = local_path(last_next) if last_next else None
    facts: dict[str, Any] = {"cursor_pages": pages, "deep_rows": len(rows)}
    if pages == DEEP_PAGES:
        numbered = service.json(f"/api/v1/events/?page={DEEP_PAGES}&page_size=100")["results"]
        facts["cursor_matches_page_numbers"] = [r["slug"] for r in numbered] == [
            r["slug"] for r in rows[-100:]
        ]
    synthetic = [row for row in rows if row["slug"].startswith("syn-event-")] or rows
    country = most_common([code for row in synthetic for code in row["countries"]])
    topic = most_common(
        ["-".join(slug.split("-")[:3]) for row in synthetic for slug in row["topics"]]
    )
    place = most_common([row["title"].split()[-2] for row in synthetic])
    shown = synthetic[-1]["slug"]
    facts.update(country=country, topic=topic, place=place, detail=shown)

    scenarios = [
        ("first25", "first page, 25 rows", "/api/v1/events/"),
        ("first100", "first page, 100 rows", "/api/v1/events/?page_size=100"),
        (
            "filtered",
            "filtered page: country + topic + dates",
            f"/api/v1/events/?country={country}&topic={topic}"
            f"&date_from={DATE_FROM}&date_to={DATE_TO}",
        ),
    ]
    if last_next:
        token = parse_qs(urlsplit(last_next).query)["cursor"][0]
        scenarios.append(
            ("deep", f"deep page: cursor {len(rows):,} rows in", f"/api/v1/events/?cursor={token}")
        )
    else:
        say("too few events for a deep page: the deep scenario is left out")
    scenarios += [
        ("detail", "event detail", f"/api/v1/events/{shown}/"),
        (
            "tariff",
            "tariff measures by target",
            f"/api/v1/tariff-measures/?target_country={country}",
        ),
        ("stats", "stats by month", "/api/v1/events/stats/?group_by=month"),
        ("q", "q search (place name)", f"/api/v1/events/?q={place}"),
    ]
    return [
        {
            "key": key,
            "title": title,
            "path": path,
            "headers": {},
            "expect": 200,
            "contenders": list(CONTENDERS),
        }
        for key, title, path in scenarios
    ], facts


# --- 2. equal bodies ----------------------------------------------------------------------------


def first_difference(a: Any, b: Any, where: str = "$") -> str | None:
    """Where two parsed JSON documents first differ, and how; None if they are equal."""
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} {_short(a)} != {type(b).__name__} {_short(b)}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in b:
                return f"{where}.{key}: only in the service's body ({_short(a[key])})"
            if key not in a:
                return f"{where}.{key}: only in the baseline's body ({_short(b[key])})"
            found = first_difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{where}[{index}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)} items"
        return None
    return None if a == b else f"{where}: {_short(a)} != {_short(b)}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


def check_bodies(clients: dict[str, Client], scenarios: list[dict[str, Any]]) -> None:
    for scenario in scenarios:
        bodies = {}
        for name in scenario["contenders"]:
            status, _, raw = clients[name].get(scenario["path"])
            if status != 200:
                raise SystemExit(
                    f"bench: {NAMES[name]} answered {status} to {scenario['path']}: {raw[:300]!r}"
                )
            bodies[name] = orjson.loads(raw)
            if name == "service":
                scenario["body_bytes"] = len(raw)
                data = bodies[name]
                scenario["count"] = data.get("count") if isinstance(data, dict) else len(data)
                if scenario["key"] == "detail":
                    scenario["count"] = None
        for name in scenario["contenders"][1:]:
            found = first_difference(bodies["service"], bodies[name])
            if found:
                raise SystemExit(
                    f"bench: BODIES DIFFER for {scenario['title']} (GET {scenario['path']}): "
                    f"service vs {NAMES[name]}: {found}"
                )
        count = scenario["count"]
        say(
            f"same body from all four: {scenario['title']}"
            + (f" ({count:,} results)" if isinstance(count, int) else "")
        )


def not_modified_scenario(service: Client, first: dict[str, Any]) -> dict[str, Any]:
    status, headers, _ = service.get(first["path"])
    etag = headers.get("ETag") if status == 200 else None
    if not etag:
        raise SystemExit(f"bench: no ETag on {first['path']} (status {status})")
    status, _, body = service.get(first["path"], {"If-None-Match": etag})
    if status != 304:
        raise SystemExit(f"bench: If-None-Match {etag} answered {status}, not 304: {body[:200]!r}")
    return {
        "key": "304",
        "title": "first page revalidated: 304",
        "path": first["path"],
        "headers": {"If-None-Match": etag},
        "expect": 304,
        "contenders": ["service"],
    }


# --- 4. load ------------------------------------------------------------------------------------


def run_wrk(
    base: str, host: str, scenario: dict[str, Any], duration: int, connections: int, threads: int
) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("bench: wrk is not installed (apt-get install wrk)")
    headers = {"Host": host, "Accept": "application/json", **scenario["headers"]}
    command = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=10s",
        "--latency",
        f"--script={HERE / 'measure.lua'}",
        *[arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")],
        base + scenario["path"],
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own arguments
    output = done.stdout + done.stderr
    match = re.search(r"^BENCH_RESULT (\{.*\})$", output, re.MULTILINE)
    if done.returncode != 0 or not match:
        raise SystemExit(f"bench: wrk failed (exit {done.returncode}):\n{output}")
    result: dict[str, Any] = json.loads(match.group(1))
    seconds = result["duration_us"] / 1e6
    statuses = {int(k): v for k, v in result["statuses"].items()}
    unexpected = sum(v for k, v in statuses.items() if k != scenario["expect"])
    return {
        "rps": result["requests"] / seconds if seconds else 0.0,
        "p50_ms": result["latency_us"]["p50"] / 1000,
        "p90_ms": result["latency_us"]["p90"] / 1000,
        "p99_ms": result["latency_us"]["p99"] / 1000,
        "max_ms": result["latency_us"]["max"] / 1000,
        "requests": result["requests"],
        "bytes_per_request": result["bytes"] / max(1, result["requests"]),
        "statuses": result["statuses"],
        "unexpected": unexpected,
        "socket_errors": sum(result["socket_errors"].values()),
    }


def measure(args: argparse.Namespace) -> None:
    bases = {
        "service": args.service,
        "uncached": args.uncached,
        "django": args.django,
        "wsgi": args.wsgi,
    }
    clients = {name: Client(base, args.host) for name, base in bases.items()}
    scenarios, facts = discover(clients["service"])
    say(
        "scenarios from the data: country {country}, topic {topic}, place {place}, event "
        "{detail}; deep page after {deep_rows:,} rows".format(**facts)
    )
    check_bodies(clients, scenarios)
    scenarios.append(not_modified_scenario(clients["service"], scenarios[0]))
    for client in clients.values():
        if client.connection is not None:
            client.connection.close()

    for scenario in scenarios:
        scenario["results"] = {}
        for name in scenario["contenders"]:
            if args.warmup > 0:
                run_wrk(
                    bases[name], args.host, scenario, args.warmup, args.connections, args.threads
                )
            result = run_wrk(
                bases[name], args.host, scenario, args.duration, args.connections, args.threads
            )
            scenario["results"][name] = result
            say(
                f"{scenario['title']:<42} {NAMES[name]:<11} {result['rps']:8.1f} req/s  "
                f"p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms"
            )
    results = {
        "size": args.size,
        "host": args.host,
        "duration": args.duration,
        "warmup": args.warmup,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "facts": facts,
        "scenarios": scenarios,
    }
    Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")


# --- the report ---------------------------------------------------------------------------------


def _ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}x" if b else "    -"


def report(args: argparse.Namespace) -> int:
    runs = sorted(
        (json.loads(Path(f).read_text(encoding="utf-8")) for f in args.results),
        key=lambda run: run["size"],
    )
    checks = dict(item.split("=", 1) for item in args.index_check)
    lines = ["policyapi benchmark: the service against two baselines with the same bodies"]
    lines += args.setup.splitlines()
    first = runs[0]
    lines.append(
        f"load: wrk {first['connections']} connections, {first['wrk_threads']} threads, "
        f"{first['duration']} s per run after a {first['warmup']} s warm-up; one contender at a "
        "time; Host: " + first["host"]
    )
    lines += [
        "contenders: service = the API as deployed (DRF, middleware, throttle; responses, counts",
        "  and stats cached per data version); svc uncached = the same with",
        "  RESPONSE_CACHE_SECONDS=0 (every request runs its queries; counts and stats cached);",
        "  (a) = plain Django views, same SQL and builders (events/fast.py), orjson, no cache;",
        "  (b) = bare WSGI + psycopg_pool + orjson, same SQL and builders, no cache. "
        "The baselines count and compute stats on every request.",
    ]
    problems: list[str] = []
    missed: list[str] = []
    for run in runs:
        lines += ["", f"=== {run['size']:,} events " + "=" * 60]
        facts = run["facts"]
        lines.append(
            f"values from the data: country {facts['country']}, topic {facts['topic']} (and "
            f"below), place {facts['place']!r}, event {facts['detail']}; bodies equal for "
            "every scenario"
        )
        if "cursor_matches_page_numbers" in facts:
            same = "equal" if facts["cursor_matches_page_numbers"] else "NOT EQUAL"
            lines.append(
                f"cursor page {facts['cursor_pages']} (rows {facts['deep_rows'] - 99:,}-"
                f"{facts['deep_rows']:,}) and ?page={facts['cursor_pages']}&page_size=100: {same}"
            )
        by_key = {s["key"]: s for s in run["scenarios"]}
        for scenario in run["scenarios"]:
            results = scenario["results"]
            count = scenario.get("count")
            extra = f"; {count:,} results" if isinstance(count, int) else ""
            if scenario["key"] == "304":
                extra = f"; If-None-Match: {scenario['headers']['If-None-Match']}"
            elif "body_bytes" in scenario:
                extra += f", {scenario['body_bytes']:,} bytes"
            lines += ["", f"{scenario['title']}  GET {scenario['path']}{extra}"]
            lines.append(f"  {'':<12} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'requests':>9}")
            for name, result in results.items():
                lines.append(
                    f"  {NAMES[name]:<12} {result['rps']:9.1f} {result['p50_ms']:9.2f} "
                    f"{result['p99_ms']:9.2f} {result['requests']:9d}"
                )
                if result["unexpected"] or result["socket_errors"]:
                    problems.append(
                        f"{run['size']:,} events, {scenario['title']}, {NAMES[name]}: statuses "
                        f"{result['statuses']}, {result['socket_errors']} socket errors"
                    )
            service = results["service"]
            for mine, name in (
                ("service", "django"),
                ("service", "wsgi"),
                ("uncached", "django"),
                ("uncached", "wsgi"),
            ):
                if mine in results and name in results:
                    ours, base = results[mine], results[name]
                    label = NAMES[name].split()[0]
                    lines.append(
                        f"  {mine}/{label}: req/s {_ratio(ours['rps'], base['rps'])}"
                        f"   p50 {_ratio(ours['p50_ms'], base['p50_ms'])}"
                        f"   p99 {_ratio(ours['p99_ms'], base['p99_ms'])}"
                    )
            if scenario["key"] == "304" and "first25" in by_key:
                full = by_key["first25"]["results"]["service"]
                lines.append(
                    f"  304/200 of the same URL: req/s {_ratio(service['rps'], full['rps'])}"
                    f"   p50 {_ratio(service['p50_ms'], full['p50_ms'])}"
                )

        lines += ["", f"targets at {run['size']:,} events:"]
        for key in LIST_SCENARIOS:
            if key not in by_key:
                continue
            results = by_key[key]["results"]
            ratio = results["service"]["rps"] / results["django"]["rps"]
            ok = ratio >= 0.8
            lines.append(
                f"  {'met   ' if ok else 'MISSED'} {by_key[key]['title']:<42} service/(a) req/s "
                f"{ratio:6.3f} (>= 0.8)"
            )
            if not ok:
                missed.append(f"{run['size']:,}: {by_key[key]['title']} {ratio:.2f} of (a)")
            if "uncached" in results:
                plain = results["uncached"]["rps"] / results["django"]["rps"]
                lines.append(f"  (info) {'':<42} uncached/(a) req/s {plain:6.3f}")
        if "deep" in by_key:
            deep = by_key["deep"]["results"]["service"]["p50_ms"]
            top = by_key["first25"]["results"]["service"]["p50_ms"]
            ok = deep <= 1.2 * top
            lines.append(
                f"  {'met   ' if ok else 'MISSED'} deep page p50 / first page p50 (service)      "
                f"{deep:.2f} / {top:.2f} ms = {deep / top:.3f} (<= 1.2)"
            )
            if not ok:
                missed.append(f"{run['size']:,}: deep page p50 {deep / top:.2f}x the first page")
            uncached = by_key["deep"]["results"].get("uncached")
            if uncached:
                deep_u = uncached["p50_ms"]
                top_u = by_key["first25"]["results"]["uncached"]["p50_ms"]
                lines.append(
                    f"  (info) deep page p50 / first page p50 (uncached)     "
                    f"{deep_u:.2f} / {top_u:.2f} ms = {deep_u / top_u:.3f}"
                )
        if "304" in by_key:
            # The target compares a 304 (no list query) with a 200 that runs the list query:
            # the service without its response cache. Against a cached 200, for information.
            first25 = by_key["first25"]["results"]
            fresh = first25.get("uncached", first25["service"])["rps"]
            cached = by_key["304"]["results"]["service"]["rps"]
            ok = cached >= 3 * fresh
            lines.append(
                f"  {'met   ' if ok else 'MISSED'} 304 req/s / 200 req/s running the list query "
                f"{cached:.1f} / {fresh:.1f} = {cached / fresh:.3f} (>= 3)"
            )
            if not ok:
                missed.append(f"{run['size']:,}: 304 at {cached / fresh:.2f}x the full response")
            served = first25["service"]["rps"]
            lines.append(
                f"  (info) 304 req/s / cached 200 req/s (service)      "
                f"{cached:.1f} / {served:.1f} = {cached / served:.3f}"
            )
        stats = by_key.get("stats")
        if stats:
            ratio = stats["results"]["service"]["rps"] / stats["results"]["django"]["rps"]
            lines.append(
                f"  (info) stats by month, service/(a) req/s {ratio:.2f}: the service serves its "
                "cached result, the baselines group every event each time"
            )
        check = checks.get(str(run["size"]))
        if check:
            lines += ["", f"check_index_usage at {run['size']:,} events:"]
            text = Path(check).read_text(encoding="utf-8").rstrip()
            lines += ["  " + line for line in text.splitlines()]
            exit_status = re.search(r"\(exit status (\d+)\)$", text)
            if exit_status and exit_status.group(1) != "0":
                if run["size"] >= INDEX_TARGET_SIZE:
                    missed.append(f"{run['size']:,}: check_index_usage exit {exit_status.group(1)}")
                else:
                    lines.append(
                        f"  (info) the target is at {INDEX_TARGET_SIZE:,} events: on a smaller "
                        "table the planner may rightly prefer a scan"
                    )

    if len(runs) > 1:
        lines += ["", "=== the first page (25 rows) by size " + "=" * 40]
        lines.append(f"  {'events':>10} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}   (service)")
        base = next(s for s in runs[0]["scenarios"] if s["key"] == "first25")["results"]["service"]
        for run in runs:
            result = next(s for s in run["scenarios"] if s["key"] == "first25")["results"][
                "service"
            ]
            lines.append(
                f"  {run['size']:>10,} {result['rps']:9.1f} {result['p50_ms']:9.2f} "
                f"{result['p99_ms']:9.2f}   p50 {_ratio(result['p50_ms'], base['p50_ms'])} "
                f"of {runs[0]['size']:,}"
            )
        base_u = next(s for s in runs[0]["scenarios"] if s["key"] == "first25")["results"]
        if "uncached" in base_u:
            lines.append(f"  {'events':>10} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}   (uncached)")
            for run in runs:
                result = next(s for s in run["scenarios"] if s["key"] == "first25")["results"][
                    "uncached"
                ]
                lines.append(
                    f"  {run['size']:>10,} {result['rps']:9.1f} {result['p50_ms']:9.2f} "
                    f"{result['p99_ms']:9.2f}   p50 "
                    f"{_ratio(result['p50_ms'], base_u['uncached']['p50_ms'])} "
                    f"of {runs[0]['size']:,}"
                )
        largest = next(s for s in runs[-1]["scenarios"] if s["key"] == "first25")["results"]
        ratio = largest["service"]["p50_ms"] / base["p50_ms"]
        ok = ratio <= 1.5
        lines.append(
            f"  {'met   ' if ok else 'MISSED'} first page p50 at {runs[-1]['size']:,} / at "
            f"{runs[0]['size']:,}: {ratio:.3f} (<= 1.5)"
        )
        if not ok:
            missed.append(f"first page p50 at {runs[-1]['size']:,}: {ratio:.2f}x")

    lines.append("")
    if problems:
        lines += ["unexpected statuses or socket errors:", *[f"  {p}" for p in problems]]
    verdict = "FAIL" if problems or (args.strict and missed) else "DONE"
    summary = f"{len(missed)} target(s) missed" if missed else "every target met"
    lines.append(
        f"RESULT: {verdict}: bodies equal; {summary}"
        + (f" ({'; '.join(missed)})" if missed else "")
    )
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if verdict == "FAIL" else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("measure")
    run.add_argument("--size", type=int, required=True)
    run.add_argument("--out", required=True)
    run.add_argument("--service", required=True)
    run.add_argument("--uncached", required=True)
    run.add_argument("--django", required=True)
    run.add_argument("--wsgi", required=True)
    run.add_argument("--host", default="bench.example")
    run.add_argument("--duration", type=int, default=10)
    run.add_argument("--warmup", type=int, default=3)
    run.add_argument("--connections", type=int, default=8)
    run.add_argument("--threads", type=int, default=2)
    out = commands.add_parser("report")
    out.add_argument("results", nargs="+")
    out.add_argument("--setup", default="")
    out.add_argument("--index-check", action="append", default=[], metavar="SIZE=FILE")
    out.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    if args.command == "measure":
        measure(args)
    else:
        sys.exit(report(args))


if __name__ == "__main__":
    main()
