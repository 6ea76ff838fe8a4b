"""Check the editors' writes against the database and print the report of `make loadtest`.

Runs after the server has stopped, with the run's environment (DATABASE_URL, ...), so it reads
the database the server wrote, through the project's models. For every topic the editors
wrote, in the order the writer's protocol guarantees:

- database: the record exists unless its last acknowledged write was a DELETE, and each field
  holds the value of the last acknowledged write that set it. Each acknowledged write whose
  effect is missing is a lost write.
- history: one change-history entry per acknowledged write, in order, of the same kind, with
  the values it wrote and the editor as its user.
- change feed: one entry per acknowledged write, in order: created, updated, deleted.
- refused writes (412) changed nothing: their values are in no history entry.

Exit status 1 when any status is unexpected (anything but 2xx, 304 and 412), a socket error or
timeout occurred, a write was lost, a refused write was applied, or a same-ETag race had other
than exactly one winner.

Usage: report.py RESULTS_JSON [--server-log FILE] [--setup TEXT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_EXTRA = {"304", "412"}  # expected, but counted apart from the 2xx


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1] * 1000


# --- the check against the database ------------------------------------------------------------


def expected_history(acked: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(history type, field values after the write) per acknowledged write."""
    state: dict[str, Any] = {}
    entries = []
    for write in acked:
        if write["op"] == "create":
            state = dict(write["fields"])
            entries.append(("+", dict(state)))
        elif write["op"] == "update":
            state.update(write["fields"])
            entries.append(("~", dict(state)))
        else:
            entries.append(("-", dict(state)))
    return entries


def check(ledger: dict[str, list[dict[str, Any]]], editor: str) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policyapi.settings")
    import django

    django.setup()
    from events.models import Change, Topic

    History = Topic.history.model
    kinds = {"+": "created", "~": "updated", "-": "deleted"}
    lost = Counter[str]()
    applied_refused = 0
    problems: list[str] = []
    acked_ops = Counter[str]()

    def problem(text: str) -> None:
        if len(problems) < 20:
            problems.append(text)

    for slug, writes in sorted(ledger.items()):
        acked = [w for w in writes if 200 <= w["status"] < 300]
        refused = [w for w in writes if w["status"] == 412]
        acked_ops.update(w["op"] for w in acked)
        expected = expected_history(acked)
        if not expected:
            continue

        # database: the record as the last acknowledged writes left it
        topic = Topic.objects.filter(slug=slug).select_related("parent").first()
        kind, state = expected[-1]
        if kind == "-":
            if topic is not None:
                lost["database"] += 1
                problem(f"{slug}: DELETE acknowledged (204), the record still exists")
        elif topic is None:
            lost["database"] += len(acked)
            problem(f"{slug}: {len(acked)} acknowledged write(s), the record does not exist")
        else:
            stored = {
                "slug": topic.slug,
                "name": topic.name,
                "description": topic.description,
                "parent": topic.parent.slug if topic.parent else None,
            }
            for name, value in state.items():
                if stored.get(name) != value:
                    writer = [w for w in acked if name in w["fields"]][-1]
                    lost["database"] += 1
                    problem(
                        f"{slug}: {writer['op']} acknowledged ({writer['status']}) set {name}="
                        f"{value!r}; the database holds {stored.get(name)!r}"
                    )

        # history: one entry per acknowledged write, by the editor
        rows = list(
            History.objects.filter(slug=slug).select_related("history_user").order_by("history_id")
        )
        actual = [
            (
                row.history_type,
                {
                    "slug": row.slug,
                    "name": row.name,
                    "description": row.description,
                    "parent": Topic.objects.filter(pk=row.parent_id)
                    .values_list("slug", flat=True)
                    .first()
                    if row.parent_id
                    else None,
                },
                row.history_user.username if row.history_user else None,
            )
            for row in rows
        ]
        for index, (kind, state) in enumerate(expected):
            if index >= len(actual):
                lost["history"] += len(expected) - index
                problem(f"{slug}: {len(expected)} acknowledged writes, {len(actual)} history rows")
                break
            a_kind, a_state, a_user = actual[index]
            same_values = kind == "-" or all(a_state.get(k) == v for k, v in state.items())
            if a_kind != kind or not same_values or a_user != editor:
                lost["history"] += 1
                problem(
                    f"{slug}: history entry {index + 1} is {a_kind} {a_state} by {a_user}; "
                    f"expected {kind} {state} by {editor}"
                )
        if len(actual) > len(expected):
            lost["history"] += len(actual) - len(expected)
            problem(f"{slug}: {len(actual)} history rows for {len(expected)} acknowledged writes")

        # change feed: created / updated / deleted, in order
        feed = list(
            Change.objects.filter(collection="topics", key=slug)
            .order_by("id")
            .values_list("kind", flat=True)
        )
        wanted = [kinds[kind] for kind, _ in expected]
        if feed != wanted:
            missing = sum((Counter(wanted) - Counter(feed)).values())
            extra = sum((Counter(feed) - Counter(wanted)).values())
            lost["change feed"] += max(missing + extra, 1)
            problem(f"{slug}: change feed {feed}, expected {wanted}")

        # refused writes changed nothing
        for write in refused:
            for name, value in write["fields"].items():
                if any(a_state.get(name) == value for _, a_state, _ in actual):
                    applied_refused += 1
                    problem(f"{slug}: PATCH refused (412) set {name}={value!r}; it was applied")
                    break

    return {
        "lost": dict(lost),
        "applied_refused": applied_refused,
        "problems": problems,
        "acked": dict(acked_ops),
        "topics": len(ledger),
        "remaining": Topic.objects.filter(slug__startswith="load-").count(),
    }


# --- the report -------------------------------------------------------------------------------


def server_log_summary(path: Path | None) -> tuple[str, str]:
    if path is None or not path.exists():
        return "no server log", ""
    text = path.read_text(encoding="utf-8", errors="replace")
    tracebacks = text.count("Traceback (most recent call last)")
    timeouts = text.count("WORKER TIMEOUT")
    first = ""
    if tracebacks:
        start = text.index("Traceback (most recent call last)")
        first = text[max(0, text.rfind("\n", 0, max(0, start - 300))) : start + 4000]
    summary = f"{tracebacks} traceback(s), {timeouts} worker timeout(s)"
    if tracebacks or timeouts:
        summary += f" (kept: {path})"
    return summary, first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--server-log", type=Path)
    parser.add_argument("--setup", default="", help="a line describing the server setup")
    parser.add_argument("--editor", default="loadeditor", help="the editors' user name")
    args = parser.parse_args()

    results = json.loads(args.results.read_text(encoding="utf-8"))
    reads, writes = results["reads"], results["writes"]
    verdict = check(writes["ledger"], args.editor)

    read_statuses = Counter({str(k): v for k, v in reads["statuses"].items()})
    editor_statuses = Counter(writes["statuses"])
    read_seconds = reads["duration_us"] / 1e6
    lat = reads["latency_us"]
    n_writes = len(writes["write_latencies"])
    n_editor_reads = len(writes["read_latencies"])
    socket_errors = sum(reads["socket_errors"].values())
    races = Counter(writes["races"])

    lines: list[str] = []
    out = lines.append
    out("policyapi load test")
    if args.setup:
        out(args.setup)
    out(
        f"load: wrk {results['connections']} connections ({results['wrk_threads']} threads) over "
        f"{results['paths']} paths, {reads['conditional_sent']} with If-None-Match, + "
        f"{writes['editors']} editor threads, for {results['duration']} s"
    )
    out("")
    out(f"{'':24}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    out(
        f"{'reads (wrk)':24}{reads['requests']:>10}{reads['requests'] / read_seconds:>10.1f}"
        f"{lat['p50'] / 1000:>10.1f}{lat['p99'] / 1000:>10.1f}"
    )
    elapsed = writes["elapsed"] or 1
    out(
        f"{'writes (editors)':24}{n_writes:>10}{n_writes / elapsed:>10.1f}"
        f"{percentile(writes['write_latencies'], 50):>10.1f}"
        f"{percentile(writes['write_latencies'], 99):>10.1f}"
    )
    out(
        f"{'editor reads (GET)':24}{n_editor_reads:>10}{n_editor_reads / elapsed:>10.1f}"
        f"{percentile(writes['read_latencies'], 50):>10.1f}"
        f"{percentile(writes['read_latencies'], 99):>10.1f}"
    )
    out("")
    out(f"{'status':24}{'reads':>10}{'editors':>10}{'total':>10}")

    def row(label: str, r: int, e: int, note: str = "") -> None:
        out(f"{label:24}{r:>10}{e:>10}{r + e:>10}{('   ' + note) if note else ''}")

    def total(counter: Counter[str], test: Any) -> int:
        return sum(v for k, v in counter.items() if test(k))

    def is_2xx(k: str) -> bool:
        return k.isdigit() and 200 <= int(k) < 300

    row("2xx", total(read_statuses, is_2xx), total(editor_statuses, is_2xx))
    row("304 (expected)", read_statuses["304"], editor_statuses["304"])
    row("412 (expected)", read_statuses["412"], editor_statuses["412"])
    unexpected = 0
    others = sorted(
        (set(read_statuses) | set(editor_statuses)) - EXPECTED_EXTRA,
        key=lambda k: (not k.isdigit(), k),
    )
    for key in others:
        if is_2xx(key):
            continue
        r, e = read_statuses[key], editor_statuses[key]
        unexpected += r + e
        label = key if key.isdigit() else key.replace("error:", "error ")
        row(label, r, e, "UNEXPECTED")
    unexpected += socket_errors
    socket_detail = ", ".join(f"{k} {v}" for k, v in reads["socket_errors"].items() if v)
    row(
        "socket errors, timeouts",
        socket_errors,
        0,
        f"UNEXPECTED: {socket_detail}" if socket_errors else "",
    )
    out(f"{'unexpected, all':24}{unexpected:>30}")

    acked = verdict["acked"]
    lost = verdict["lost"]
    n_lost = sum(lost.values())
    bad_races = sum(v for k, v in races.items() if k != "200+412")
    out("")
    out(
        f"acknowledged writes: {sum(acked.values())} (creates {acked.get('create', 0)}, "
        f"updates {acked.get('update', 0)}, deletes {acked.get('delete', 0)}) on "
        f"{verdict['topics']} topics; {verdict['remaining']} load topics remain"
    )
    by_request = sorted(writes["by_request"].items(), key=lambda item: item[0])
    out("editor requests: " + ", ".join(f"{k} x{v}" for k, v in by_request))
    out(
        f"same-ETag PATCH races: {sum(races.values())}, "
        + ", ".join(f"{v} answered {k.replace('+', ' and ')}" for k, v in sorted(races.items()))
    )
    out(
        f"{'lost writes':24}{n_lost:>30}   (database {lost.get('database', 0)}; entries "
        f"missing or extra: history {lost.get('history', 0)}, "
        f"change feed {lost.get('change feed', 0)})"
    )
    out(f"{'refused writes applied':24}{verdict['applied_refused']:>30}")
    log_summary, first_traceback = server_log_summary(args.server_log)
    out(f"server log: {log_summary}")

    failed = unexpected > 0 or n_lost > 0 or verdict["applied_refused"] > 0 or bad_races > 0
    if verdict["problems"]:
        out("")
        out("write problems (first 20):")
        lines.extend(f"  {p}" for p in verdict["problems"])
    if writes["unexpected"]:
        out("")
        out("unexpected editor responses (first 20):")
        for item in writes["unexpected"]:
            out(f"  {json.dumps(item)[:1500]}")
    if first_traceback:
        out("")
        out("first traceback in the server log:")
        out(first_traceback)
    out("")
    if failed:
        reasons = []
        if unexpected:
            reasons.append(f"{unexpected} unexpected status(es)")
        if n_lost:
            reasons.append(f"{n_lost} lost write(s)")
        if verdict["applied_refused"]:
            reasons.append(f"{verdict['applied_refused']} refused write(s) applied")
        if bad_races:
            reasons.append(f"{bad_races} same-ETag race(s) without exactly one winner")
        out("RESULT: FAIL: " + "; ".join(reasons))
    else:
        out("RESULT: PASS: no unexpected status, no lost write")
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
