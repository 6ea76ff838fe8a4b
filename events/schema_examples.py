"""Examples for the OpenAPI schema: what the API answers and takes for the article's records.

Swagger UI and ReDoc would otherwise make each example up from its schema (random strings
matching a slug's pattern, "string" for every text, drf-spectacular's
`http://api.example.org/accounts/` paging links, the same 400 for every error). These are real
instead, as the development server (`make run`, on 127.0.0.1:8000, the host the README's
examples show) answers them with the article's data set:

- `responses`: each GET operation's JSON answer;
- `requests`: the write body of each collection's example record (the record its `{slug}` path
  example names), in the shape a write takes it (events/formats.py `shape()`, the export's:
  server-managed fields left out), shown on its POST, PUT and PATCH;
- `problems`: the problem details the server answers for each error status, from real requests
  where a request can cause it, else from the code that answers it (a database outage, a
  throttled client, gunicorn's refusals).

They are committed in `schema_examples.json`, so that `make schema` needs no database. The test
that keeps them current (tests/test_schema_examples.py) collects them again on its test
database, which holds the article (fixtures/article.json), and compares;
`UPDATE_SCHEMA_EXAMPLES=1 .venv/bin/pytest tests/test_schema_examples.py` rewrites the file.
"""

import json
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token

FILE = Path(__file__).resolve().parent / "schema_examples.json"
HOST = "127.0.0.1:8000"
# A list's example is its first page of this many rows: a real page, with a real `next` link,
# short enough to read.
LIST_PAGE_SIZE = 2
# The key each collection's records are written and addressed by.
KEYS = {"countries": "iso2"}
# The record of each collection that the write examples show: the `{slug}` (or `{iso2}`) path
# example (events/schema.py, SLUG_EXAMPLES), so that PUT and PATCH send the record at the URL
# "Try it out" fills in.
WRITE_COUNTRY = "PK"
# The token endpoint's examples: a documented placeholder, never anyone's credentials, and a
# token of the form the server issues (40 hexadecimal digits; this one is DRF's documentation's).
TOKEN_REQUEST = {"username": "editor", "password": "<the user's password>"}
TOKEN_RESPONSE = {"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}
# A key no record has, for the 404 examples.
MISSING_KEY = {"slug": "no-such-record", "iso2": "ZZ"}


def collect(schema: dict[str, Any]) -> dict[str, Any]:
    """Every example, collected from the API on the database the caller's test holds."""
    requests = collect_requests(schema)
    return {
        "responses": collect_responses(schema),
        "requests": requests,
        "problems": collect_problems(schema, requests),
    }


def collect_responses(schema: dict[str, Any]) -> dict[str, Any]:
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


def collect_requests(schema: dict[str, Any]) -> dict[str, Any]:
    """The write body of each collection's example record, keyed by the record's path (the
    path of its PUT and PATCH; its collection's POST shows it too)."""
    from events import formats

    bodies: dict[str, Any] = {}
    for path, methods in schema["paths"].items():
        if "put" not in methods:
            continue
        collection = path.removeprefix("/api/v1/").split("/")[0]
        resource = formats.RESOURCES[collection]
        key = next(p["example"] for p in methods["put"]["parameters"] if p["in"] == "path")
        record = resource.queryset().get(**{resource.key: key})
        bodies[path] = formats.shape(resource.serializer(), record)
    return bodies


def _user(name: str, *, editor: bool) -> Client:
    user = User.objects.create_user(name)
    if editor:
        user.groups.add(Group.objects.get(name="editors"))
    token = Token.objects.create(user=user)
    return Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Token {token.key}")


def _problem(response: Any, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(f"{response.request['PATH_INFO']} answered {response.status_code}")
    body: dict[str, Any] = json.loads(response.content)
    return body


def collect_problems(schema: dict[str, Any], requests: dict[str, Any]) -> dict[str, Any]:
    """The problem details the server answers, each under a name saying which request caused
    it (`summary`) and with the body (`value`). Writes are refused, so nothing changes."""
    from django.db import IntegrityError
    from gunicorn.http import errors as gunicorn_errors
    from rest_framework import exceptions

    from events import problems
    from policyapi import gunicorn, gunicorn_worker

    anonymous = Client(HTTP_HOST=HOST)
    editor = _user("schema-example-editor", editor=True)
    reader = _user("schema-example-reader", editor=False)
    found: dict[str, Any] = {}

    def add(name: str, summary: str, body: dict[str, Any]) -> None:
        found[name] = {"summary": summary, "value": body}

    def json_body(client: Client, method: str, path: str, data: Any, **extra: Any) -> Any:
        send = getattr(client, method.lower())
        return send(path, json.dumps(data), content_type="application/json", **extra)

    add(
        "problem_400_parameter",
        "GET /api/v1/events/?date_from=2025-13-45 (a malformed parameter)",
        _problem(anonymous.get("/api/v1/events/", {"date_from": "2025-13-45"}), 400),
    )
    add(
        "problem_400_field",
        'PATCH /api/v1/topics/critical-minerals/ with {"colour": "red"} (an unknown field)',
        _problem(
            json_body(editor, "PATCH", "/api/v1/topics/critical-minerals/", {"colour": "red"}), 400
        ),
    )
    add(
        "problem_400_credentials",
        "POST /api/v1/auth/token/ with a wrong password",
        _problem(json_body(anonymous, "POST", "/api/v1/auth/token/", TOKEN_REQUEST), 400),
    )
    for path, body in requests.items():
        collection = path.removeprefix("/api/v1/").split("/")[0]
        add(
            f"problem_400_{collection}_taken",
            f"POST /api/v1/{collection}/ with the example body (a record that exists)",
            _problem(json_body(editor, "POST", f"/api/v1/{collection}/", body), 400),
        )
    add(
        "problem_401_anonymous",
        "A write without credentials",
        _problem(json_body(anonymous, "POST", "/api/v1/topics/", {}), 401),
    )
    add(
        "problem_401_invalid",
        "A request with an unknown token (`Authorization: Token 0123`)",
        _problem(anonymous.get("/api/v1/events/", HTTP_AUTHORIZATION="Token 0123"), 401),
    )
    add(
        "problem_403",
        "A write by a user without the permission",
        _problem(json_body(reader, "POST", "/api/v1/topics/", {}), 403),
    )
    for path in schema["paths"]:
        if "{" not in path or path.count("/") != 5:
            continue
        collection = path.removeprefix("/api/v1/").split("/")[0]
        key = KEYS.get(collection, "slug")
        url = path.replace("{" + key + "}", MISSING_KEY[key])
        add(f"problem_404_{collection}", f"GET {url}", _problem(anonymous.get(url), 404))
    add(
        "problem_404_page",
        "GET /api/v1/events/?page=2&page_size=100 (a page past the last one)",
        _problem(anonymous.get("/api/v1/events/", {"page": 2, "page_size": 100}), 404),
    )
    add(
        "problem_404_url",
        "GET /api/v1/no-such-collection/ (a URL that names nothing)",
        _problem(anonymous.get("/api/v1/no-such-collection/"), 404),
    )
    for method in ("PUT", "PATCH", "DELETE"):
        add(
            f"problem_405_{method.lower()}",
            f"{method} /api/v1/events/ (a collection, not a record)",
            _problem(json_body(editor, method, "/api/v1/events/", {}), 405),
        )
    add(
        "problem_406",
        "GET /api/v1/events/ with `Accept: application/xml`",
        _problem(anonymous.get("/api/v1/events/", HTTP_ACCEPT="application/xml"), 406),
    )
    add(
        "problem_409_referred",
        "DELETE /api/v1/participants/marco-rubio/ (who took part in an event)",
        _problem(editor.delete("/api/v1/participants/marco-rubio/"), 409),
    )
    # What a race the model's validation could not see is answered (two writers creating the
    # same slug at once): no request can cause it reliably, so from the handler that answers it.
    add(
        "problem_409_race",
        "A write that lost a race with another one (the database refused it)",
        problems.exception_handler(IntegrityError(), {}).data,
    )
    add(
        "problem_412",
        "PATCH /api/v1/topics/critical-minerals/ with a stale `If-Match`",
        _problem(
            json_body(
                editor,
                "PATCH",
                "/api/v1/topics/critical-minerals/",
                {},
                HTTP_IF_MATCH='"5d41402abc4b2a76b9719d911017c592"',
            ),
            412,
        ),
    )
    add(
        "problem_413",
        "POST /api/v1/topics/ declaring a 2,000,000-byte body",
        _problem(
            editor.post(
                "/api/v1/topics/", "{}", content_type="application/json", CONTENT_LENGTH="2000000"
            ),
            413,
        ),
    )
    add(
        "problem_415",
        "POST /api/v1/topics/ with `Content-Type: text/plain`",
        _problem(editor.post("/api/v1/topics/", "x", content_type="text/plain"), 415),
    )
    # The wait depends on the moment in the rate's window: a throttled client 30 s before it.
    add(
        "problem_429",
        "Over the rate limit, 30 seconds before the next window",
        problems.exception_handler(exceptions.Throttled(wait=30), {}).data,
    )
    add(
        "problem_500",
        "The server failed (the error is logged with the request's X-Request-ID)",
        json.loads(problems.server_error(RequestFactory().get("/api/v1/events/")).content),
    )
    add(
        "problem_503",
        "The database is not reachable",
        problems.exception_handler(problems.ServiceUnavailable(), {}).data,
    )
    limits = {
        "line": gunicorn.limit_request_line,
        "fields": gunicorn.limit_request_fields,
        "field_size": gunicorn.limit_request_field_size,
    }
    for status, error, summary in (
        (414, gunicorn_errors.LimitRequestLine(9000, 8190), "A request line over the limit"),
        (431, gunicorn_errors.LimitRequestHeaders("too many headers"), "Too many headers"),
    ):
        known = gunicorn_worker.client_error(error)
        if known is None or known[0] != status:
            raise RuntimeError(f"gunicorn_worker no longer answers {error!r} with {status}")
        body = problems.problem(status, known[1].format(**limits))
        add(f"problem_{status}", f"{summary} (answered by gunicorn)", body)
    return found


def load() -> dict[str, Any]:
    if not FILE.exists():
        return {}
    examples: dict[str, Any] = json.loads(FILE.read_text(encoding="utf-8"))
    return examples


def dump(examples: dict[str, Any]) -> str:
    return json.dumps(examples, indent=1, ensure_ascii=False) + "\n"


def add_examples(result: dict[str, Any]) -> None:
    """The committed examples, each written once in `components/examples` and referred to."""
    examples = load()
    named = result["components"].setdefault("examples", {})
    add_response_examples(result, examples.get("responses", {}), named)
    add_request_examples(result, examples.get("requests", {}), named)
    add_problem_examples(result, examples.get("problems", {}), named)


def add_response_examples(
    result: dict[str, Any], bodies: dict[str, Any], named: dict[str, Any]
) -> None:
    """Each JSON success response shows the article's records: a read what it reads, a create
    or a replace the detail of the collection's example record, under its GET operation's id.
    A paginated list's `next` and `previous` show a real link (drf-spectacular's are
    `api.example.org/accounts/`); the token endpoint a token of the issued form."""
    refs: dict[str, dict[str, str]] = {}  # path: a reference to its GET's example
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
    token = result["paths"].get("/api/v1/auth/token/", {}).get("post")
    if token is not None:
        token["requestBody"]["content"]["application/json"]["examples"] = {
            "placeholder": {
                "summary": "Your username and password (the user `editor` of `make editor` "
                "has none: it gets its token from `manage.py drf_create_token editor`)",
                "value": TOKEN_REQUEST,
            }
        }
        token["responses"]["200"]["content"]["application/json"]["examples"] = {
            "token": {"summary": "A token of the form the server issues", "value": TOKEN_RESPONSE}
        }


def add_request_examples(
    result: dict[str, Any], bodies: dict[str, Any], named: dict[str, Any]
) -> None:
    """Each write's body example is a record of the article as a write takes it: PUT and PATCH
    the record at the path's example key, unchanged; POST the same record of its collection,
    which exists already (the operation's description says what Execute answers)."""
    refs: dict[str, dict[str, str]] = {}
    for path, body in bodies.items():
        collection = path.removeprefix("/api/v1/").split("/")[0]
        name = f"{collection.replace('-', '_')}_write"
        named[name] = {"summary": "A record of the article, as a write takes it", "value": body}
        refs[path] = {"$ref": f"#/components/examples/{name}"}
    for path, methods in result["paths"].items():
        for method, operation in methods.items():
            item = path if path in refs else next((p for p in refs if _is_item_of(p, path)), None)
            if method not in ("post", "put", "patch") or item is None:
                continue
            content = operation["requestBody"]["content"]["application/json"]
            content["examples"] = {"article": refs[item]}
            key = next(iter(bodies[item].values()))
            operation["description"] += EXECUTE[method].format(key=key)


# What Execute in Swagger UI does with the untouched example body, as an editor.
EXECUTE = {
    "post": "\n\nThe example body is the article's record `{key}` as a write takes it. It exists "
    "already, so Execute answers 400 naming its key as taken (the example of the 400): give "
    "a new key and the new record's own facts and citations to add one.",
    "put": "\n\nThe example body is this record (`{key}`, the path's example) as a write takes "
    "it, unchanged: Execute answers 200 with the record as it is. Send `If-Match` with the "
    "`ETag` of a fresh GET, or clear the field: its example ETag is stale (412).",
    "patch": "\n\nThe example body is this record (`{key}`, the path's example) as a write "
    "takes it, unchanged: Execute answers 200 with the record as it is. Send `If-Match` with "
    "the `ETag` of a fresh GET, or clear the field: its example ETag is stale (412).",
}


def problem_examples(path: str, method: str, operation: dict[str, Any], code: str) -> list[str]:
    """The names of the problems an operation's error response shows (collect_problems)."""
    collection = path.removeprefix("/api/v1/").split("/")[0]
    write = method in ("post", "put", "patch", "delete") and "/auth/" not in path
    if code == "400":
        if "/auth/" in path:
            return ["problem_400_credentials"]
        if method == "post":
            return [f"problem_400_{collection}_taken"]
        if method in ("put", "patch"):
            return ["problem_400_field"]
        return ["problem_400_parameter"]
    if code == "401":
        invalid = ["problem_401_invalid"]
        return ["problem_401_anonymous", *invalid] if write else invalid
    if code == "404":
        if "{" in path:
            return [f"problem_404_{collection}"]
        names = {p["name"] for p in operation.get("parameters", [])}
        return ["problem_404_page"] if "page" in names else ["problem_404_url"]
    if code == "405":
        return [f"problem_405_{method}"]
    if code == "409":
        return ["problem_409_referred"] if method == "delete" else ["problem_409_race"]
    return [f"problem_{code}"]


def add_problem_examples(
    result: dict[str, Any], problems: dict[str, Any], named: dict[str, Any]
) -> None:
    """Each error response shows what the server answers with that status: its title, status
    and detail (and `errors` on a 400), not one 400 made up from the schema for them all."""
    if not problems:
        return
    for name, example in problems.items():
        named[name] = example
    for path, methods in result["paths"].items():
        for method, operation in methods.items():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/problem+json")
                if content is None:
                    continue
                content["examples"] = {
                    name.removeprefix("problem_"): {"$ref": f"#/components/examples/{name}"}
                    for name in problem_examples(path, method, operation, code)
                }


def _is_item_of(item: str, collection: str) -> bool:
    rest = item.removeprefix(collection)
    return item != rest and rest.startswith("{") and rest.endswith("}/") and rest.count("/") == 1
