"""The editors of `make loadtest`: concurrent topic writes, recorded for the lost-write check.

Standard library only. Each editor thread holds one keep-alive connection and, as the editor
(`Authorization: Token <key>`), loops until the deadline over two kinds of cycle:

- solo: create a topic of its own (POST, 201), read it (GET, 200 with an ETag), change it with
  that ETag in If-Match (PATCH, 200), change it again without If-Match (PATCH, last write wins,
  200), and every other cycle read it again and delete it with its ETag (DELETE, 204).
- contended: editors work in pairs. The pair's leader (each in turn) creates a topic and reads
  its ETag; then both editors PATCH it at the same moment with that same ETag. Exactly one must
  win (200) and the other must be refused (412): two winners would be a lost update. After both
  answers are in, the leader deletes the topic in one cycle out of three. Only the leader ever
  deletes, and only once nobody else writes the topic, so a DELETE never races a PATCH (a PATCH
  that lost that race would get a 404, which this test would rightly count as unexpected).

Every acknowledged (2xx) write is appended to a per-topic ledger in the order the protocol
guarantees (one editor at a time, or a pair synchronised by a barrier), with the values it set;
refused writes (412) are recorded too, so the check can prove they changed nothing. `report.py`
compares the ledger with the database afterwards.

Run alone: `python writer.py http://127.0.0.1:8000 TOKEN --duration 10 --out ledger.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import secrets
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

TOPICS = "/api/v1/topics/"
PARENT = "trade"  # a seed topic; every load topic is a leaf below it, so deleting one never 409s
IDLE_RECONNECT = 1.0  # seconds: gunicorn closes idle keep-alive connections after 2 s
TIMEOUT = 30.0  # seconds a request may take before it counts as failed


class Aborted(Exception):
    """A request failed (unexpected status or transport error): abandon the current cycle."""


@dataclass
class Stats:
    statuses: Counter[str] = field(default_factory=Counter)  # "200", "412", "error:..."
    by_request: Counter[str] = field(default_factory=Counter)  # "PATCH 412"
    write_latencies: list[float] = field(default_factory=list)  # seconds, POST/PATCH/DELETE
    read_latencies: list[float] = field(default_factory=list)  # seconds, GET
    unexpected: list[dict[str, Any]] = field(default_factory=list)  # the first few, in full


class Ledger:
    """Acknowledged and refused writes per topic slug, in protocol order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.topics: dict[str, list[dict[str, Any]]] = {}
        self.races = Counter[str]()  # contended PATCH outcomes: "200+412", "200+200", ...

    def add(self, slug: str, op: str, status: int, fields: dict[str, Any], **extra: Any) -> None:
        entry = {"op": op, "status": status, "fields": fields, "at": time.time(), **extra}
        with self.lock:
            self.topics.setdefault(slug, []).append(entry)


class Editor:
    """One editor: a thread with its own connection."""

    def __init__(self, base_url: str, token: str, stats: Stats, ledger: Ledger) -> None:
        url = urllib.parse.urlsplit(base_url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.token = token
        self.stats = stats
        self.ledger = ledger
        self.conn: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        expected: tuple[int, ...] = (200,),
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request; count its status; raise Aborted if it is not an expected one."""
        send = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        send.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            send["Content-Type"] = "application/json"
        if self.conn is None or time.monotonic() - self.last_used > IDLE_RECONNECT:
            self.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        started = time.monotonic()
        try:
            self.conn.request(method, path, body=data, headers=send)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            self.record(method, f"error:{type(exc).__name__}", time.monotonic() - started)
            self.note_unexpected(method, path, body, f"{type(exc).__name__}: {exc}", {}, b"")
            raise Aborted from exc
        elapsed = time.monotonic() - started
        self.last_used = time.monotonic()
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        status = response.status
        self.record(method, str(status), elapsed)
        answer = {k.lower(): v for k, v in response.getheaders()}
        if status not in expected:
            self.note_unexpected(method, path, body, status, answer, payload)
            raise Aborted
        return status, answer, payload

    def record(self, method: str, status: str, elapsed: float) -> None:
        self.stats.statuses[status] += 1
        self.stats.by_request[f"{method} {status}"] += 1
        latencies = self.stats.read_latencies if method == "GET" else self.stats.write_latencies
        latencies.append(elapsed)

    def note_unexpected(
        self,
        method: str,
        path: str,
        body: Any,
        status: Any,
        headers: dict[str, str],
        payload: bytes,
    ) -> None:
        if len(self.stats.unexpected) < 20:
            self.stats.unexpected.append(
                {
                    "at": time.strftime("%H:%M:%S"),
                    "request": f"{method} {path}",
                    "body": body,
                    "status": status,
                    "headers": headers,
                    "response": payload[:2000].decode("utf-8", "replace"),
                }
            )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # --- the writes -----------------------------------------------------------------------

    def create(self, slug: str, label: str) -> None:
        fields = {"slug": slug, "name": f"Load {label}", "parent": PARENT, "description": ""}
        status, headers, _ = self.request("POST", TOPICS, fields, expected=(201,))
        self.ledger.add(slug, "create", status, fields, etag=headers.get("etag"))

    def etag(self, slug: str) -> str:
        _, headers, _ = self.request("GET", f"{TOPICS}{slug}/")
        return headers["etag"]

    def patch(self, slug: str, fields: dict[str, Any], if_match: str | None) -> int:
        headers = {"If-Match": if_match} if if_match else {}
        expected = (200, 412) if if_match else (200,)
        status, answer, _ = self.request(
            "PATCH", f"{TOPICS}{slug}/", fields, headers, expected=expected
        )
        self.ledger.add(slug, "update", status, fields, if_match=if_match, etag=answer.get("etag"))
        return status

    def delete(self, slug: str) -> None:
        if_match = self.etag(slug)
        status, _, _ = self.request(
            "DELETE", f"{TOPICS}{slug}/", headers={"If-Match": if_match}, expected=(204,)
        )
        self.ledger.add(slug, "delete", status, {}, if_match=if_match)

    def solo_cycle(self, slug: str, cycle: int) -> None:
        self.create(slug, slug)
        etag = self.etag(slug)
        self.patch(slug, {"description": f"{slug}: checked, cycle {cycle}"}, etag)
        self.patch(slug, {"name": f"Load {slug} (renamed)"}, None)
        if cycle % 2 == 1:
            self.delete(slug)


class Pair:
    """Two editors that PATCH the same topic with the same ETag at the same moment."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.go = True
        self.round = 0
        self.slug = ""
        self.etag = ""
        self.statuses: dict[int, int] = {}
        self.start = threading.Barrier(2, action=self._next_round, timeout=2 * TIMEOUT + 10)
        self.ready = threading.Barrier(2, timeout=2 * TIMEOUT + 10)
        self.done = threading.Barrier(2, timeout=2 * TIMEOUT + 10)

    def _next_round(self) -> None:
        self.go = time.monotonic() < self.deadline
        self.round += 1
        self.slug, self.etag, self.statuses = "", "", {}


def editor_thread(
    number: int,
    run_id: str,
    base_url: str,
    token: str,
    deadline: float,
    pair: Pair | None,
    stats: Stats,
    ledger: Ledger,
) -> None:
    editor = Editor(base_url, token, stats, ledger)
    role = number % 2  # the pair's leader alternates between its two editors
    cycle = 0
    try:
        while True:
            if time.monotonic() >= deadline and pair is None:
                break
            if time.monotonic() < deadline:
                with contextlib.suppress(Aborted):  # counted; the next cycle starts afresh
                    editor.solo_cycle(f"load-{run_id}-e{number}-s{cycle}", cycle)
            if pair is None:
                cycle += 1
                continue
            contended_cycle(editor, pair, role, number, run_id, ledger)
            if not pair.go:
                break
            cycle += 1
    except threading.BrokenBarrierError:
        stats.statuses["error:partner-gone"] += 1
    finally:
        editor.close()


def contended_cycle(
    editor: Editor, pair: Pair, role: int, number: int, run_id: str, ledger: Ledger
) -> None:
    pair.start.wait()  # both editors here; the barrier's action decided whether to go on
    if not pair.go:
        return
    leader = pair.round % 2 == role
    if leader:
        slug = f"load-{run_id}-p{number // 2}-r{pair.round}"
        try:
            editor.create(slug, slug)
            pair.etag = editor.etag(slug)
            pair.slug = slug
        except Aborted:
            pass
    pair.ready.wait()
    if pair.slug:
        fields = {"description": f"{pair.slug}: editor {number} won"}
        try:
            pair.statuses[number] = editor.patch(pair.slug, fields, pair.etag)
        except Aborted:
            pair.statuses[number] = 0
    pair.done.wait()
    if leader and pair.slug:
        outcome = "+".join(str(s) for s in sorted(pair.statuses.values()))
        with ledger.lock:
            ledger.races[outcome] += 1
        if pair.round % 3 == 0:
            with contextlib.suppress(Aborted):  # counted already
                editor.delete(pair.slug)


def run(base_url: str, token: str, duration: float, editors: int) -> dict[str, Any]:
    """Run `editors` editor threads for `duration` seconds; return their statistics and ledger."""
    stats, ledger = Stats(), Ledger()
    run_id = secrets.token_hex(3)
    deadline = time.monotonic() + duration
    pairs = [Pair(deadline) for _ in range(editors // 2)]
    threads = []
    for number in range(editors):
        pair = pairs[number // 2] if number // 2 < len(pairs) else None
        thread = threading.Thread(
            target=editor_thread,
            args=(number, run_id, base_url, token, deadline, pair, stats, ledger),
            name=f"editor-{number}",
            daemon=True,
        )
        threads.append(thread)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "run_id": run_id,
        "editors": editors,
        "elapsed": elapsed,
        "statuses": dict(stats.statuses),
        "by_request": dict(stats.by_request),
        "write_latencies": stats.write_latencies,
        "read_latencies": stats.read_latencies,
        "unexpected": stats.unexpected,
        "races": dict(ledger.races),
        "ledger": ledger.topics,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--out", default="ledger.json")
    args = parser.parse_args()
    result = run(args.base_url, args.token, args.duration, args.editors)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)
    sys.stdout.write(json.dumps({k: result[k] for k in ("statuses", "races", "elapsed")}) + "\n")


if __name__ == "__main__":
    main()
