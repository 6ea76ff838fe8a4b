"""Response examples for the OpenAPI schema: what the API answers for the article's records.

Swagger UI and ReDoc would otherwise make each response's example up from its schema (random
strings matching a slug's pattern, drf-spectacular's `http://api.example.org/accounts/` paging
links). These are real responses instead, as the development server (`make run`, on
127.0.0.1:8000, the host the README's examples show) answers them with the article's data set.

They are committed in `schema_examples.json`, so that `make schema` needs no database. The test
that keeps them current (tests/test_schema_examples.py) asks the API for each on its test
database, which holds the article (fixtures/article.json), and compares;
`UPDATE_SCHEMA_EXAMPLES=1 .venv/bin/pytest tests/test_schema_examples.py` rewrites the file.
"""

import json
from pathlib import Path
from typing import Any

from django.test import Client

FILE = Path(__file__).resolve().parent / "schema_examples.json"
HOST = "127.0.0.1:8000"
# A list's example is its first page of this many rows: a real page, with a real `next` link,
# short enough to read.
LIST_PAGE_SIZE = 2


def collect(schema: dict[str, Any]) -> dict[str, Any]:
    """Each GET operation's JSON response, keyed by its path, called with the examples of its
    path and required parameters only (a list unfiltered, so that its page shows records)."""
    client = Client(HTTP_HOST=HOST)
    examples: dict[str, Any] = {}
    for path, methods in schema["paths"].items():
        operation = methods.get("get")
        if operation is None or "application/json" not in operation["responses"]["200"].get(
            "content", {}
        ):
            continue
        url, query = path, {}
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                url = url.replace("{" + parameter["name"] + "}", str(parameter["example"]))
            elif parameter["name"] == "page_size":
                query["page_size"] = LIST_PAGE_SIZE
            elif parameter.get("required"):
                query[parameter["name"]] = parameter["example"]
        response = client.get(url, query)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
        examples[path] = response.json()
    return examples


def load() -> dict[str, Any]:
    if not FILE.exists():
        return {}
    examples: dict[str, Any] = json.loads(FILE.read_text(encoding="utf-8"))
    return examples


def dump(examples: dict[str, Any]) -> str:
    return json.dumps(examples, indent=1, ensure_ascii=False) + "\n"


def add_response_examples(result: dict[str, Any]) -> None:
    """Each JSON success response shows the article's records: a read what it reads, a create
    or a replace the detail of the collection's example record. Each example is written once,
    in `components/examples` under its GET operation's id, and referred to. A paginated list's
    `next` and `previous` show a real link (drf-spectacular's are `api.example.org/accounts/`)."""
    bodies = load()
    refs: dict[str, dict[str, str]] = {}  # path: a reference to its GET's example
    named = result["components"].setdefault("examples", {})
    for path, methods in result["paths"].items():
        if path in bodies and "get" in methods:
            name = methods["get"]["operationId"]
            named[name] = {"summary": "From the article's data set", "value": bodies[path]}
            refs[path] = {"$ref": f"#/components/examples/{name}"}
    schemas = result["components"]["schemas"]
    # A component's paging links are shown from a top-level list (/api/v1/events/) where one
    # uses it, else from the first nested one (histories).
    paged_from: dict[str, str] = {}
    for path, methods in result["paths"].items():
        for method, operation in methods.items():
            if method == "get":
                ref = refs.get(path)
            else:
                # A create at /things/ answers what /things/{slug}/ shows (not the list).
                ref = next((r for p, r in refs.items() if _is_item_of(p, path)), None) or (
                    refs.get(path)
                )
            if method not in ("get", "post", "put", "patch") or ref is None:
                continue
            for code in ("200", "201"):
                content = operation["responses"].get(code, {}).get("content", {})
                if "application/json" not in content:
                    continue
                content["application/json"]["examples"] = {"article": ref}
                name = content["application/json"]["schema"].get("$ref", "").split("/")[-1]
                properties = schemas.get(name, {}).get("properties", {})
                top = path.count("/") == 4
                if name.startswith("Paginated") and "next" in properties and method == "get":
                    if name in paged_from and (not top or paged_from[name].count("/") == 4):
                        continue
                    paged_from[name] = path
                    for key in ("count", "next", "previous"):
                        properties[key]["example"] = bodies[path][key]


def _is_item_of(item: str, collection: str) -> bool:
    rest = item.removeprefix(collection)
    return item != rest and rest.startswith("{") and rest.endswith("}/") and rest.count("/") == 1
