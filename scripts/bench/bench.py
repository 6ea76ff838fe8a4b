"""The measurements and the report of `make bench` (run.sh starts the servers and calls this).

Standard library and orjson only. Two commands:

  bench.py measure --size N --out results.json --work DIR --service URL --uncached URL
      --fastapi URL --wsgi URL
      1. picks the scenarios' values from the data, through the service: the 10,000th row's
         cursor (following `next` from `?cursor=start&page_size=100` 100 times, and checking
         that page 100 equals `?page=100&page_size=100`), the most frequent country, root topic
         and place name among those rows, an event to show; and, for the cycling scenario,
         thousands of distinct event-list URLs (countries, topics, event types, date ranges,
         pages and page sizes found in those rows), written to files in DIR;
      2. fetches every fixed scenario from all four contenders with the same Host header and
         compares the parsed JSON (the service's body is the reference), and a sample of the
         cycling URLs likewise (the uncached service's body is the reference, so that the
         cached service has not seen the URLs it will be timed on): the first difference ends
         the run (exit 1);
      3. checks that the first page with its ETag in If-None-Match is answered 304;
      4. loads each scenario with wrk on loopback: a warm-up per contender, then R rounds in
         each of which every contender runs D seconds, in an order that rotates from round to
         round; the cycling scenario gives every round its own URLs, never requested before;
         writes every run's requests per second, latency percentiles and statuses, and, for
         the contenders whose gunicorn master is given (--pid NAME=PID), the CPU time their
         processes and PostgreSQL's spent per request during the run (from /proc: a measure
         the machine's other load inflates far less than it does req/s).

  bench.py report results-100000.json [results-1000000.json ...] --setup TEXT
      [--index-check SIZE=FILE ...] [--strict]
      prints per scenario the median over the rounds of each contender's req/s, p50 and p99,
      the ratios, the first page at each size and the targets; exit 1 if a load run saw an
      unexpected status or a socket error (and, with --strict, if a target is missed).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import http.client
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import orjson

HERE = Path(__file__).resolve().parent
CONTENDERS = ("service", "uncached", "fastapi", "wsgi")
NAMES = {
    "service": "service",
    "uncached": "svc uncached",
    "fastapi": "FastAPI peer",
    "wsgi": "bare psycopg",
}
DEEP_PAGES = 100  # of 100 rows: the cursor 10,000 rows in
DATE_FROM, DATE_TO = "2012-03-15", "2019-10-20"  # a multi-year range, not on month edges
INDEX_TARGET_SIZE = 1_000_000  # every filter served by an index at this size
PEER_TARGETS = {"fastapi": 1.0, "wsgi": 0.5}  # service (cache off) / peer, req/s, at least
FILTERED_TARGET = 0.7  # filtered list / unfiltered first page (cache off), req/s, at least
SIZE_TARGET = 1.5  # first page p50 at the largest size / at the smallest (cache off), at most
CLOCK_TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux, read in cpu_seconds()


def _stat_fields(pid: str) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (which may hold spaces), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    name_end = raw.rfind(")")
    return [raw[raw.find("(") + 1 : name_end], *raw[name_end + 2 :].split()]


def cpu_seconds(masters: set[int]) -> tuple[dict[int, float], float]:
    """User + system CPU seconds so far of each given process with its children (a gunicorn
    master and its workers), and of every PostgreSQL server process together."""
    import os

    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else CLOCK_TICKS
    own = dict.fromkeys(masters, 0.0)
    database = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry.name)
        if fields is None:
            continue
        # fields[0] is the name; then state (1), ppid (2), ..., utime (12), stime (13).
        spent = (int(fields[12]) + int(fields[13])) / ticks
        pid, parent = int(entry.name), int(fields[2])
        if pid in own:
            own[pid] += spent
        elif parent in own:
            own[parent] += spent
        elif fields[0] == "postgres":
            database += spent
    return own, database


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


def scenario(key: str, title: str, path: str, **more: Any) -> dict[str, Any]:
    return {
        "key": key,
        "title": title,
        "path": path,
        "headers": {},
        "expect": 200,
        "contenders": list(CONTENDERS),
        **more,
    }


def discover(service: Client) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    """The fixed scenarios, with values taken from the data; what was found on the way; and
    the rows read (10,000 of them when the data has that many)."""
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
    facts: dict[str, Any] = {"cursor_pages": pages, "deep_rows": len(rows), "total": body["count"]}
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
        scenario("first25", "first page, 25 rows", "/api/v1/events/"),
        scenario("first100", "first page, 100 rows", "/api/v1/events/?page_size=100"),
        scenario("country", "country filter", f"/api/v1/events/?country={country}"),
        scenario(
            "filtered",
            "filtered page: country + topic + dates",
            f"/api/v1/events/?country={country}&topic={topic}"
            f"&date_from={DATE_FROM}&date_to={DATE_TO}",
        ),
    ]
    if last_next:
        token = parse_qs(urlsplit(last_next).query)["cursor"][0]
        scenarios.append(
            scenario(
                "deep",
                f"deep page: cursor {len(rows):,} rows in",
                f"/api/v1/events/?cursor={token}",
            )
        )
    else:
        say("too few events for a deep page: the deep scenario is left out")
    scenarios += [
        scenario("detail", "event detail", f"/api/v1/events/{shown}/"),
        scenario(
            "tariff",
            "tariff measures by target",
            f"/api/v1/tariff-measures/?target_country={country}",
        ),
        scenario("stats", "stats by month", "/api/v1/events/stats/?group_by=month"),
        scenario("q", "q search (place name)", f"/api/v1/events/?q={place}"),
    ]
    return scenarios, facts, rows


def cycle_urls(rows: list[dict[str, Any]], total: int, wanted: int, seed: int) -> list[str]:
    """`wanted` distinct event-list URLs that a client could send, every one answered 200:
    filters drawn from the rows (countries, topics, event types, date ranges, a place name),
    page sizes, and page numbers only where the pages certainly exist (page 1 always exists;
    further pages on the unfiltered list, and on one country or one event type common enough
    in the rows that a few pages of 100 are sure to be there)."""
    rng = random.Random(seed)  # noqa: S311 - varied URLs, not secrets
    countries = collections.Counter(code for row in rows for code in row["countries"])
    types = collections.Counter(row["event_type"] for row in rows)
    topics = sorted({slug for row in rows for slug in row["topics"]})
    roots = sorted({"-".join(slug.split("-")[:3]) for slug in topics if slug.startswith("syn-")})
    topics = sorted(set(topics) | set(roots))
    places = sorted({row["title"].split()[-2] for row in rows if row["slug"].startswith("syn-")})
    days = sorted(row["start_date"] for row in rows) or ["2020-01-01"]
    first_day = datetime.date.fromisoformat(days[0]) - datetime.timedelta(days=5000)
    span = (datetime.date.fromisoformat(days[-1]) - first_day).days
    sample = max(1, len(rows))
    # "Common": at least 1% of the rows, so at least 1% of the table: more than 4 pages of 100
    # once the table holds 40,000 events; the deeper pages are offered only then.
    common_countries = [c for c, n in countries.items() if n * 100 >= sample]
    common_types = [t for t, n in types.items() if n * 100 >= sample]
    all_countries = sorted(countries)
    deep_pages = total >= 40_000

    def when() -> str:
        return (first_day + datetime.timedelta(days=rng.randrange(span + 1))).isoformat()

    def dates() -> str:
        a, b = sorted((when(), when()))
        return rng.choice([f"date_from={a}", f"date_to={b}", f"date_from={a}&date_to={b}"])

    def size() -> list[str]:
        return [f"page_size={rng.choice([10, 20, 25, 50, 100])}"] if rng.random() < 0.6 else []

    def build() -> list[str]:
        family = rng.randrange(10)
        if family == 0:  # the unfiltered list, at any page number reaches
            rows_per_page = rng.choice([10, 20, 25, 50, 100])
            limit = min(10_000, total) // rows_per_page if deep_pages else 1
            return [f"page={rng.randint(1, max(1, limit))}", f"page_size={rows_per_page}"]
        if family == 1 and deep_pages and common_countries:
            return [f"country={rng.choice(common_countries)}", f"page={rng.randint(1, 4)}", *size()]
        if family == 2 and deep_pages and common_types:
            return [f"event_type={rng.choice(common_types)}", f"page={rng.randint(1, 4)}", *size()]
        parts = []
        if rng.random() < 0.7:
            picked = rng.sample(all_countries, rng.choice([1, 1, 1, 2]))
            parts.append(f"country={','.join(picked)}")
        if rng.random() < 0.5:
            parts.append(f"topic={rng.choice(topics)}")
        if rng.random() < 0.3:
            parts.append(f"event_type={rng.choice(sorted(types))}")
        if rng.random() < 0.5:
            parts.append(dates())
        if family == 9 and places:
            parts.append(f"q={quote(rng.choice(places))}")
        rng.shuffle(parts)
        return [*parts, *size()]

    urls: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(urls) < wanted and attempts < wanted * 50:
        attempts += 1
        parts = build()
        url = "/api/v1/events/" + (f"?{'&'.join(parts)}" if parts else "")
        if url not in seen:
            seen.add(url)
            urls.append(url)
    if len(urls) < wanted:
        raise SystemExit(f"bench: only {len(urls)} distinct cycling URLs could be drawn")
    return urls


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


def compare(
    clients: dict[str, Client], path: str, reference: str, names: list[str], title: str
) -> tuple[int, Any]:
    """Fetch `path` from every contender in `names`, compare with `reference`'s body; the
    reference's body size and parsed body. Exit on a status other than 200 or a difference."""
    bodies: dict[str, Any] = {}
    size = 0
    for name in names:
        status, _, raw = clients[name].get(path)
        if status != 200:
            raise SystemExit(f"bench: {NAMES[name]} answered {status} to {path}: {raw[:300]!r}")
        bodies[name] = orjson.loads(raw)
        if name == reference:
            size = len(raw)
    for name in names:
        if name == reference:
            continue
        found = first_difference(bodies[reference], bodies[name])
        if found:
            raise SystemExit(
                f"bench: BODIES DIFFER for {title} (GET {path}): {NAMES[reference]} vs "
                f"{NAMES[name]}: {found}"
            )
    return size, bodies[reference]


def check_bodies(clients: dict[str, Client], scenarios: list[dict[str, Any]]) -> None:
    for item in scenarios:
        size, data = compare(clients, item["path"], "service", item["contenders"], item["title"])
        item["body_bytes"] = size
        item["count"] = data.get("count") if isinstance(data, dict) else len(data)
        if item["key"] == "detail":
            item["count"] = None
        count = item["count"]
        say(
            f"same body from all four: {item['title']}"
            + (f" ({count:,} results)" if isinstance(count, int) else "")
        )


def check_cycle(clients: dict[str, Client], urls: list[str]) -> dict[str, Any]:
    """Every URL of the checked sample from all four, compared with the uncached service's
    body (the cached service answers them too, so they are never used for timing)."""
    names = ["uncached", "service", "fastapi", "wsgi"]
    sizes, counts = [], []
    for path in urls:
        size, data = compare(clients, path, "uncached", names, "a cycling URL")
        sizes.append(size)
        counts.append(data["count"])
    say(f"same body from all four for {len(urls)} cycling URLs (a sample; the rest alike)")
    return {
        "checked": len(urls),
        "median_bytes": int(statistics.median(sizes)),
        "median_count": int(statistics.median(counts)),
        "empty": sum(1 for count in counts if count == 0),
    }


def not_modified_scenario(service: Client, first: dict[str, Any]) -> dict[str, Any]:
    status, headers, _ = service.get(first["path"])
    etag = headers.get("ETag") if status == 200 else None
    if not etag:
        raise SystemExit(f"bench: no ETag on {first['path']} (status {status})")
    status, _, body = service.get(first["path"], {"If-None-Match": etag})
    if status != 304:
        raise SystemExit(f"bench: If-None-Match {etag} answered {status}, not 304: {body[:200]!r}")
    return scenario(
        "304",
        "first page revalidated: 304",
        first["path"],
        headers={"If-None-Match": etag},
        expect=304,
        contenders=["service"],
    )


# --- 4. load ------------------------------------------------------------------------------------


def run_wrk(
    base: str,
    host: str,
    item: dict[str, Any],
    duration: int,
    connections: int,
    threads: int,
    paths_file: Path | None = None,
    pid: int | None = None,
) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("bench: wrk is not installed (apt-get install wrk)")
    headers = {"Host": host, "Accept": "application/json", **item["headers"]}
    command = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=10s",
        "--latency",
        f"--script={HERE / ('cycle.lua' if paths_file else 'measure.lua')}",
        *[arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")],
        base + item["path"],
    ]
    if paths_file:
        command += [str(paths_file), str(threads)]
    before = cpu_seconds({pid}) if pid else None
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own arguments
    after = cpu_seconds({pid}) if pid else None
    output = done.stdout + done.stderr
    match = re.search(r"^BENCH_RESULT (\{.*\})$", output, re.MULTILINE)
    if done.returncode != 0 or not match:
        raise SystemExit(f"bench: wrk failed (exit {done.returncode}):\n{output}")
    result: dict[str, Any] = json.loads(match.group(1))
    seconds = result["duration_us"] / 1e6
    statuses = {int(k): v for k, v in result["statuses"].items()}
    unexpected = sum(v for k, v in statuses.items() if k != item["expect"])
    cpu: dict[str, float] = {}
    if pid and before and after and result["requests"]:
        # The processes' CPU time over the run (wrk's own is not counted), per request.
        cpu["app_cpu_ms"] = 1000 * (after[0][pid] - before[0][pid]) / result["requests"]
        cpu["db_cpu_ms"] = 1000 * (after[1] - before[1]) / result["requests"]
    return {
        **cpu,
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


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median over the rounds of each figure; the round's req/s range; sums of problems."""
    rps = [run["rps"] for run in runs]
    cpu = {
        key: statistics.median(run[key] for run in runs)
        for key in ("app_cpu_ms", "db_cpu_ms")
        if all(key in run for run in runs)
    }
    return {
        **cpu,
        "rps": statistics.median(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        "requests": sum(run["requests"] for run in runs),
        "unexpected": sum(run["unexpected"] for run in runs),
        "socket_errors": sum(run["socket_errors"] for run in runs),
        "statuses": [run["statuses"] for run in runs],
        "rounds": runs,
    }


def measure(args: argparse.Namespace) -> None:
    bases = {
        "service": args.service,
        "uncached": args.uncached,
        "fastapi": args.fastapi,
        "wsgi": args.wsgi,
    }
    clients = {name: Client(base, args.host) for name, base in bases.items()}
    pids = {name: int(pid) for name, pid in (item.split("=", 1) for item in args.pid)}
    scenarios, facts, rows = discover(clients["service"])
    say(
        "scenarios from the data: country {country}, topic {topic}, place {place}, event "
        "{detail}; deep page after {deep_rows:,} rows".format(**facts)
    )
    check_bodies(clients, scenarios)

    # The cycling URLs: a checked sample, a warm-up slice, then one fresh slice per round.
    work = Path(args.work)
    per_slice = args.cycle_urls
    urls = cycle_urls(
        rows, facts["total"], args.cycle_check + per_slice * (args.rounds + 1), args.size
    )
    cycle_facts = check_cycle(clients, urls[: args.cycle_check])
    slices = []
    for number in range(args.rounds + 1):
        start = args.cycle_check + number * per_slice
        path = work / f"cycle-{args.size}-{number}.txt"
        path.write_text("\n".join(urls[start : start + per_slice]) + "\n", encoding="utf-8")
        slices.append(path)
    cycling = scenario(
        "cycle",
        f"cycling: {per_slice:,} distinct URLs a round",
        urls[args.cycle_check],
        slices=[str(path) for path in slices],
        facts=cycle_facts,
        examples=urls[args.cycle_check : args.cycle_check + 5],
    )
    scenarios.append(cycling)
    scenarios.append(not_modified_scenario(clients["service"], scenarios[0]))
    for client in clients.values():
        if client.connection is not None:
            client.connection.close()

    started = time.monotonic()
    for item in scenarios:
        names = item["contenders"]
        cycle = item["key"] == "cycle"
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        if args.warmup > 0:
            for name in names:
                run_wrk(
                    bases[name],
                    args.host,
                    item,
                    args.warmup,
                    args.connections,
                    args.threads,
                    Path(item["slices"][0]) if cycle else None,
                )
        for number in range(args.rounds):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                result = run_wrk(
                    bases[name],
                    args.host,
                    item,
                    args.duration,
                    args.connections,
                    args.threads,
                    Path(item["slices"][number + 1]) if cycle else None,
                    pids.get(name),
                )
                result["round"] = number + 1
                runs[name].append(result)
                cpu = ""
                if "app_cpu_ms" in result:
                    cpu = f"  cpu {result['app_cpu_ms']:.2f} + db {result['db_cpu_ms']:.2f} ms"
                say(
                    f"{item['title'][:40]:<40} round {number + 1} {NAMES[name]:<12} "
                    f"{result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.2f} ms  "
                    f"p99 {result['p99_ms']:7.2f} ms{cpu}"
                )
        item["results"] = {name: median_of(runs[name]) for name in names}
    results = {
        "size": args.size,
        "host": args.host,
        "duration": args.duration,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "cycle_urls": per_slice,
        "load_seconds": time.monotonic() - started,
        "facts": facts,
        "scenarios": scenarios,
    }
    Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")


# --- the report ---------------------------------------------------------------------------------


def _ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}x" if b else "    -"


def _verdict(ok: bool) -> str:
    return "met   " if ok else "MISSED"


def cpu_table(scenarios: list[dict[str, Any]]) -> list[str]:
    """Per scenario, the CPU time per request of each contender's processes and of PostgreSQL
    while it ran (medians of the rounds), when the run measured them; with 2 cores shared by
    every process, their sum bounds the req/s a contender can reach."""
    names = ("uncached", "fastapi", "wsgi")
    measured = [item["results"].get(name, {}) for item in scenarios for name in names]
    if not any("app_cpu_ms" in result for result in measured):
        return []
    lines = [
        "",
        "  CPU ms per request, server processes + PostgreSQL (median of rounds):",
        f"  {'':<42} {'uncached':>13} {'FastAPI':>13} {'bare':>13}  {'FA/unc':>6}",
    ]
    for item in scenarios:
        cells, totals = [], {}
        for name in names:
            result = item["results"].get(name, {})
            if "app_cpu_ms" in result:
                totals[name] = result["app_cpu_ms"] + result["db_cpu_ms"]
                cells.append(f"{result['app_cpu_ms']:6.2f}+{result['db_cpu_ms']:<6.2f}")
            else:
                cells.append(f"{'-':>13}")
        share = "-"
        if "uncached" in totals and "fastapi" in totals and totals["uncached"]:
            share = f"{totals['fastapi'] / totals['uncached']:.2f}"
        row = " ".join(f"{cell:>13}" for cell in cells)
        lines.append(f"  {item['title'][:42]:<42} {row}  {share:>6}")
    return lines


def report(args: argparse.Namespace) -> int:
    runs = sorted(
        (json.loads(Path(f).read_text(encoding="utf-8")) for f in args.results),
        key=lambda run: run["size"],
    )
    checks = dict(item.split("=", 1) for item in args.index_check)
    lines = ["policyapi benchmark: the service against two independent peers with the same bodies"]
    lines += args.setup.splitlines()
    first = runs[0]
    lines.append(
        f"load: wrk {first['connections']} connections, {first['wrk_threads']} threads; per "
        f"scenario a {first['warmup']} s warm-up per contender, then {first['rounds']} rounds "
        f"of {first['duration']} s per contender in a rotating order; figures are the medians "
        "over the rounds (req/s range over the rounds in brackets); Host: " + first["host"]
    )
    lines += [
        "contenders: service = the API as deployed (DRF, middleware, throttle; responses, counts",
        "  and stats cached per data version, in Redis); svc uncached = the same with",
        "  RESPONSE_CACHE_SECONDS=0 (every request runs its queries; counts and stats still",
        "  cached, under a cache prefix of its own); FastAPI peer = FastAPI + SQLAlchemy 2 Core",
        "  (psycopg 3) + orjson, gunicorn with uvicorn workers; bare psycopg = bare WSGI +",
        "  psycopg_pool + orjson, gunicorn gthread. The peers (scripts/bench/peers/) share SQL",
        "  written from the tables and openapi.yaml, import nothing from the service, cache",
        "  nothing: they count and group on every request.",
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
        if "load_seconds" in run:
            lines.append(f"load time at this size: {run['load_seconds'] / 60:.1f} min")
        by_key = {s["key"]: s for s in run["scenarios"]}
        table = [
            "",
            f"  {'req/s (median of rounds)':<42} {'service':>8} {'uncached':>9} {'FastAPI':>8} "
            f"{'bare':>8}  {'svc/unc':>7} {'unc/FA':>7} {'unc/bare':>8}",
        ]
        for item in run["scenarios"]:
            results = item["results"]
            count = item.get("count")
            extra = f"; {count:,} results" if isinstance(count, int) else ""
            if item["key"] == "304":
                extra = f"; If-None-Match: {item['headers']['If-None-Match']}"
            elif item["key"] == "cycle":
                cf = item["facts"]
                extra = (
                    f"; {cf['checked']} more checked equal on all four (median "
                    f"{cf['median_count']:,} results, {cf['median_bytes']:,} bytes; "
                    f"{cf['empty']} empty); e.g. {', '.join(item['examples'][:3])}"
                )
            elif "body_bytes" in item:
                extra += f", {item['body_bytes']:,} bytes"
            shown = item["path"] if item["key"] != "cycle" else "(a list of URLs)"
            lines += ["", f"{item['title']}  GET {shown}{extra}"]
            lines.append(
                f"  {'':<13} {'req/s':>9} {'(min-max)':>15} {'p50 ms':>8} {'p99 ms':>8} "
                f"{'requests':>9} {'cpu ms':>7} {'db ms':>6}"
            )
            for name, result in results.items():
                spread = f"({result['rps_min']:.0f}-{result['rps_max']:.0f})"
                cpu = ""
                if "app_cpu_ms" in result:
                    cpu = f" {result['app_cpu_ms']:7.2f} {result['db_cpu_ms']:6.2f}"
                lines.append(
                    f"  {NAMES[name]:<13} {result['rps']:9.1f} {spread:>15} "
                    f"{result['p50_ms']:8.2f} {result['p99_ms']:8.2f} {result['requests']:9d}"
                    f"{cpu}"
                )
                if result["unexpected"] or result["socket_errors"]:
                    problems.append(
                        f"{run['size']:,} events, {item['title']}, {NAMES[name]}: statuses "
                        f"{result['statuses']}, {result['socket_errors']} socket errors"
                    )
                if item["key"] == "cycle" and name == "service":
                    served = max(r["requests"] for r in result["rounds"])
                    if served > run["cycle_urls"]:
                        lines.append(
                            f"  (note) the service made {served:,} requests in a round, more "
                            f"than the {run['cycle_urls']:,} URLs: the rest were repeats "
                            "(BENCH_CYCLE_URLS)"
                        )
            rps = {name: result["rps"] for name, result in results.items()}

            def cell(name: str, rps: dict[str, float] = rps) -> str:
                return f"{rps[name]:8.1f}" if name in rps else f"{'-':>8}"

            def share(a: str, b: str, rps: dict[str, float] = rps) -> str:
                return f"{rps[a] / rps[b]:.2f}" if a in rps and b in rps and rps[b] else "-"

            table.append(
                f"  {item['title'][:42]:<42} {cell('service')} {cell('uncached'):>9} "
                f"{cell('fastapi')} {cell('wsgi')}  {share('service', 'uncached'):>7} "
                f"{share('uncached', 'fastapi'):>7} {share('uncached', 'wsgi'):>8}"
            )
        lines += table
        lines += cpu_table(run["scenarios"])

        lines += ["", f"targets at {run['size']:,} events (service with its cache off):"]
        for item in run["scenarios"]:
            results = item["results"]
            if "uncached" not in results:
                continue
            for peer, target in PEER_TARGETS.items():
                if peer not in results:
                    continue
                ratio = results["uncached"]["rps"] / results[peer]["rps"]
                ok = ratio >= target
                lines.append(
                    f"  {_verdict(ok)} {item['title'][:42]:<42} uncached/{NAMES[peer]:<12} "
                    f"req/s {ratio:6.2f} (>= {target})"
                )
                if not ok:
                    missed.append(
                        f"{run['size']:,}: {item['title']} {ratio:.2f} of the {NAMES[peer]}"
                    )
        top = by_key["first25"]["results"]["uncached"]
        for key in ("country", "filtered"):
            if key not in by_key:
                continue
            mine = by_key[key]["results"]["uncached"]
            ratio = mine["rps"] / top["rps"]
            ok = ratio >= FILTERED_TARGET
            lines.append(
                f"  {_verdict(ok)} {by_key[key]['title'][:42]:<42} / first page req/s "
                f"{mine['rps']:.1f} / {top['rps']:.1f} = {ratio:.2f} (>= {FILTERED_TARGET})"
            )
            if not ok:
                missed.append(f"{run['size']:,}: {by_key[key]['title']} {ratio:.2f} of page 1")
        if "deep" in by_key:
            deep = by_key["deep"]["results"]["uncached"]["p50_ms"]
            ok = deep <= 1.2 * top["p50_ms"]
            lines.append(
                f"  {_verdict(ok)} deep page p50 / first page p50                   "
                f"{deep:.2f} / {top['p50_ms']:.2f} ms = {deep / top['p50_ms']:.2f} (<= 1.2)"
            )
            if not ok:
                missed.append(f"{run['size']:,}: deep page p50 {deep / top['p50_ms']:.2f}x page 1")
        if "304" in by_key:
            cached = by_key["304"]["results"]["service"]["rps"]
            ok = cached >= 3 * top["rps"]
            lines.append(
                f"  {_verdict(ok)} 304 req/s (service) / first page 200 req/s (uncached) "
                f"{cached:.1f} / {top['rps']:.1f} = {cached / top['rps']:.2f} (>= 3)"
            )
            if not ok:
                missed.append(f"{run['size']:,}: 304 at {cached / top['rps']:.2f}x the full page")
        lines += ["", f"cache on (for information) at {run['size']:,} events:"]
        for item in run["scenarios"]:
            results = item["results"]
            if "uncached" in results:
                lines.append(
                    f"  (info) {item['title'][:42]:<42} service/uncached req/s "
                    f"{results['service']['rps'] / results['uncached']['rps']:6.2f}  "
                    f"service/FastAPI {results['service']['rps'] / results['fastapi']['rps']:6.2f}"
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
        for name in ("uncached", "service"):
            lines.append(
                f"  {'events':>10} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}   ({NAMES[name]})"
            )
            base = next(s for s in runs[0]["scenarios"] if s["key"] == "first25")["results"][name]
            for run in runs:
                result = next(s for s in run["scenarios"] if s["key"] == "first25")["results"][name]
                lines.append(
                    f"  {run['size']:>10,} {result['rps']:9.1f} {result['p50_ms']:9.2f} "
                    f"{result['p99_ms']:9.2f}   p50 {_ratio(result['p50_ms'], base['p50_ms'])} "
                    f"of {runs[0]['size']:,}"
                )
        small = next(s for s in runs[0]["scenarios"] if s["key"] == "first25")["results"]
        large = next(s for s in runs[-1]["scenarios"] if s["key"] == "first25")["results"]
        ratio = large["uncached"]["p50_ms"] / small["uncached"]["p50_ms"]
        ok = ratio <= SIZE_TARGET
        lines.append(
            f"  {_verdict(ok)} first page p50 (uncached) at {runs[-1]['size']:,} / at "
            f"{runs[0]['size']:,}: {ratio:.2f} (<= {SIZE_TARGET})"
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
    run.add_argument("--work", required=True, help="where the cycling URL lists are written")
    run.add_argument("--service", required=True)
    run.add_argument("--uncached", required=True)
    run.add_argument("--fastapi", required=True)
    run.add_argument("--wsgi", required=True)
    run.add_argument("--host", default="bench.example")
    run.add_argument("--duration", type=int, default=5)
    run.add_argument("--warmup", type=int, default=2)
    run.add_argument("--rounds", type=int, default=3)
    run.add_argument("--cycle-urls", type=int, default=1500, help="distinct URLs per round")
    run.add_argument("--cycle-check", type=int, default=200, help="cycling URLs compared")
    run.add_argument("--connections", type=int, default=8)
    run.add_argument("--threads", type=int, default=2)
    run.add_argument(
        "--pid",
        action="append",
        default=[],
        metavar="NAME=PID",
        help="a contender's gunicorn master: its CPU per request is measured",
    )
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
