"""The verdict of `make fuzz-outside` on schemathesis' JUnit report: every failure it found, one
line each (operation, check, status, detail) with its curl, and exit 1 unless each is tolerated.

Tolerated, because no OpenAPI schema can say the rule, and printed all the same:
- ST202 (schema-valid request rejected) answered 400: a write's domain rules span fields and
  records (an end date after its start, an excerpt found in its source, a slug not yet taken);
  a read's filter must name an existing record (`topic=x`), and `cursor` and `page` exclude
  each other. The project's own fuzzing (tests/test_fuzz.py, schemathesis.toml) allows these
  400s on writes and makes reads name existing records.
- ST202 answered 412, ST201 (schema-violating request accepted) answered 412: schemathesis sends
  the schema's example `If-Match`, which is stale, and a precondition is checked before the body
  (RFC 9110 13.2.2), so a write with a stale If-Match is refused 412 whatever its body.
- ST201 answered 414 or 431: schemathesis counts as a rejection only the statuses of its list
  (400, 401, 403, 404, 406, 422, 428, 5xx); a request line over 8190 bytes or headers over the
  limits are refused by gunicorn before Django with 414 or 431 (problem+json, documented on every
  operation; README: What never reaches Django), whatever else is wrong with the request. It
  is refused all the same: a 2xx would fail the run.
- ST301 (deleted resource still available) answered 200 with a history whose newest entry is
  the deletion: a deleted record's history stays readable on purpose (README: History), which
  schemathesis' stateful links, inferred from the paths, cannot know.
Everything else fails the run: a server error, an undocumented status, content type or header,
a body the schema does not allow, invalid input accepted (2xx), valid input refused with any
other status, a network error.

One thing is neither: an operation schemathesis could not finish because Hypothesis could not
replay a failing case ("Inconsistent results": the API's data changed between the run and the
replay, a created record now existing, or Hypothesis itself crashed while describing it). That
says nothing either way, so the operation is run again (`--retry-file`: its name is written
there and the exit status is 3); the second run's verdict is final (without `--retry-file`, an
operation that is flaky again fails).

Usage: verdict.py REPORT.xml [--retry-file FILE]
"""

import re
import sys
import xml.etree.ElementTree as ET  # schemathesis' own report, from this run
from pathlib import Path

TOLERATED = {("ST202", 400), ("ST202", 412), ("ST201", 412), ("ST201", 414), ("ST201", 431)}
CASE = re.compile(r"^\d+\. Test Case ID: (\S+)$", re.MULTILINE)
CHECK = re.compile(r"^- (ST\d{3}) (.*)$", re.MULTILINE)
STATUS = re.compile(r"^\[(\d{3})\] [^\n]*:\n\n\s*`(.*?)`?$", re.MULTILINE)
CURL = re.compile(r"^\s*(curl .*)$", re.MULTILINE)


def cases(text: str) -> list[str]:
    """The test cases of one failure element (schemathesis numbers them 1., 2., ...)."""
    starts = [m.start() for m in CASE.finditer(text)] or [0]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


HISTORY_PAGE = r'\{"count":\d+,"next":[^,]*,"previous":[^,]*,"results":\[\{'
NEWEST_IS_DELETION = r'"results":\[\{"at":"[^"]*","user":[^,]*,"kind":"deleted"'


def kept_history(code: str, status: int | None, body: str) -> bool:
    """A deleted record's history, read after the deletion: its newest entry is the deletion."""
    return (
        code == "ST301"
        and status == 200
        and re.match(HISTORY_PAGE, body) is not None
        and re.search(NEWEST_IS_DELETION, body) is not None
    )


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


FLAKY = "Inconsistent results: A test case failed on the first run but now succeeds"


def main(path: str, retry_file: str | None = None) -> int:
    failed = tolerated = 0
    retry: list[str] = []
    for testcase in ET.parse(path).getroot().iter("testcase"):  # noqa: S314  # our own file
        operation = testcase.get("name", "?")
        for element in [*testcase.iter("failure"), *testcase.iter("error")]:
            text = element.text or element.get("message") or ""
            if retry_file is not None and element.tag == "error" and FLAKY in text:
                say(f"RETRY     {operation}: Hypothesis could not replay a case (run again)")
                retry.append(operation)
                continue
            for case in cases(element.text or element.get("message") or ""):
                checks = CHECK.findall(case)
                status_match = STATUS.search(case)
                status = int(status_match.group(1)) if status_match else None
                detail = status_match.group(2)[:300] if status_match else case.strip()[:300]
                ok = (
                    element.tag == "failure"
                    and bool(checks)
                    and all(
                        (code, status) in TOLERATED or kept_history(code, status, detail)
                        for code, _ in checks
                    )
                )
                tolerated += ok
                failed += not ok
                names = ", ".join(f"{code} {title}".strip() for code, title in checks)
                say(f"{'tolerated' if ok else 'FAILED   '} {operation}: {names or element.tag}")
                say(f"    [{status}] {detail}")
                for curl in CURL.findall(case):
                    say(f"    {curl}")
    say(f"\nfuzz-outside: {failed} failure(s), {tolerated} tolerated (scripts/outside/verdict.py)")
    if failed:
        return 1
    if retry and retry_file is not None:
        Path(retry_file).write_text("".join(f"{name}\n" for name in retry), encoding="utf-8")
        say(f"fuzz-outside: {len(retry)} operation(s) to run again: {', '.join(retry)}")
        return 3
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    retry_to = None
    if "--retry-file" in arguments:
        at = arguments.index("--retry-file")
        retry_to = arguments[at + 1]
        del arguments[at : at + 2]
    sys.exit(main(arguments[0], retry_to))
