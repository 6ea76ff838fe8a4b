"""Every example response in the README is what the API answers (issue 13).

For each example request (a `curl` of a URL on http://127.0.0.1:8000 followed by an output
block), the test sends the same request through Django's test client against the article data
and compares the answer with the block. Elisions the README uses: a string ending in "..." stands
for any string that starts with what precedes it, and an object with a "..." key for an object
holding at least the other keys shown. Everything else is compared exactly.
"""

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000"

pytestmark = pytest.mark.usefixtures("article", "cameo_codebook")


@pytest.fixture
def cameo_codebook(db: None) -> None:
    """The codebook `make run` loads beside the article (labels of CAMEO codes)."""
    call_command(
        "load_cameo",
        str(ROOT / "fixtures/cameo/CAMEO.eventcodes.txt"),
        skip_invalid=True,
        stderr=io.StringIO(),
    )


EXAMPLE = re.compile(
    r"curl (?P<include>-i )?'?(?P<url>" + re.escape(BASE) + r"/[^'`\s]*)'?`?"
    r"(?:\n```)?\n```(?:json\n|\n(?=HTTP/))(?P<output>.*?)\n```",
    re.DOTALL,
)


def readme_examples() -> list[tuple[str, bool, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(m["url"], bool(m["include"]), m["output"]) for m in EXAMPLE.finditer(text)]


def matches(shown: Any, actual: Any, where: str = "") -> list[str]:
    """Where `actual` differs from what the README shows (with its elisions)."""
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where}: {actual!r} is not an object"]
        keys = set(shown) - {"..."}
        problems = (
            []
            if "..." in shown or keys == set(actual)
            else [f"{where}: keys {sorted(set(actual) ^ keys)} differ"]
        )
        for key in keys:
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += matches(shown[key], actual[key], f"{where}.{key}")
        return problems
    if isinstance(shown, list) and shown[-1:] == ["..."]:
        # The first items as shown, then any number more.
        if not isinstance(actual, list) or len(actual) < len(shown) - 1:
            return [f"{where}: {actual!r} has fewer than {len(shown) - 1} items"]
        return matches(shown[:-1], actual[: len(shown) - 1], where)
    if isinstance(shown, list):
        if not isinstance(actual, list) or len(actual) != len(shown):
            return [f"{where}: {actual!r} is not a list of {len(shown)}"]
        return [p for i, s in enumerate(shown) for p in matches(s, actual[i], f"{where}[{i}]")]
    if isinstance(shown, str) and shown.endswith("...") and isinstance(actual, str):
        ok = actual.startswith(shown[:-3])
        return [] if ok else [f"{where}: {actual!r} does not start with {shown[:-3]!r}"]
    return [] if shown == actual else [f"{where}: the README shows {shown!r}, the API {actual!r}"]


def test_it_finds_the_readme_examples() -> None:
    urls = [url for url, _, _ in readme_examples()]
    assert f"{BASE}/api/v1/events/?country=PK&topic=critical-minerals&page_size=1" in urls
    assert f"{BASE}/api/v1/events/?date_from=2025-13-45" in urls
    assert len(urls) >= 8


@pytest.mark.parametrize(
    ("url", "include", "output"), readme_examples(), ids=[u for u, _, _ in readme_examples()]
)
def test_the_readme_shows_what_the_api_answers(
    client: Client, url: str, include: bool, output: str
) -> None:
    response = client.get(url.removeprefix(BASE), HTTP_HOST="127.0.0.1:8000")
    if include:
        head, body = output.split("\n\n", 1)
        status_line, *header_lines = head.splitlines()
        assert status_line.split()[1] == str(response.status_code)
        for line in header_lines:
            name, value = line.split(": ", 1)
            assert response[name] == value
    else:
        body = output
        assert response.status_code == 200
    problems = matches(json.loads(body), json.loads(response.content))
    assert problems == [], "\n".join(problems)
