"""OpenAPI post-processing: what drf-spectacular cannot infer from the code.

- an example and a description for every parameter (a parameter means the same on every
  endpoint, so one example per name; a parameter without one fails schema generation);
- the error responses every operation can give, as RFC 9457 problem details;
- the `ETag` header of every successful read and its `304 Not Modified`;
- the article's records as response examples (events/schema_examples.py).
"""

from typing import Any

from drf_spectacular import openapi
from rest_framework import permissions

from events import schema_examples

EXAMPLES: dict[str, Any] = {
    "page": 1,
    "page_size": 25,
    "date_from": "2025-04-01",
    "date_to": "2025-04-30",
    "event_type": ["phone_call"],
    "cameo": ["04"],
    "country": ["PK"],
    "participant": ["marco-rubio"],
    "topic": ["critical-minerals"],
    "q": "tariffs",
    "updated_since": "2025-04-01T00:00:00Z",
    "ordering": "-date",
    "imposing_country": ["US"],
    "target_country": ["PK"],
    "measure_type": ["reciprocal"],
    "status": ["in_force"],
    "rate_min": 10,
    "rate_max": 50,
    "announced_from": "2025-04-01",
    "announced_to": "2025-04-30",
    "effective_on": "2025-04-10",
    "kind": ["person"],
    "affiliation": ["us-department-of-state"],
    "event": ["rubio-dar-phone-call-2025-04-07"],
    "speaker": ["us-department-of-state"],
    "parent": ["trade"],
    "publisher": "Reuters",
    "group_by": "month",
    "iso2": "PK",
    "since": "2025-04-01T00:00:00Z",
    "after": 40,
    "format": "ndjson",
}
# Parameters left without an example: Swagger's "Try it out" sends every example, and a
# cursor beside `page` is a 400 (one paging mode at a time).
NO_EXAMPLE = frozenset({"cursor"})
# A `{slug}` names a record of the collection its path starts with: one of the article's
# (fixtures/article.json), so that "Try it out" finds it (issue 13: every slug was an event's).
SLUG_EXAMPLES = {
    "events": "rubio-dar-phone-call-2025-04-07",
    "participants": "marco-rubio",
    "topics": "critical-minerals",
    "tariff-measures": "us-reciprocal-tariff-pakistan-29-percent-2025",
    "statements": "state-department-on-rubio-dar-call",
    "sources": "reuters-washington-2025-04-07",
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error, as RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "about:blank: the status says what kind."},
        "title": {
            "type": "string",
            "description": "The HTTP status phrase.",
            "example": "Bad Request",
        },
        "status": {"type": "integer", "description": "The HTTP status code.", "example": 400},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "errors": {
            "type": "object",
            "description": "For a 400: each bad parameter or field, with its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"date_from": ["Enter a valid date."]},
        },
    },
}
ERRORS = {
    "400": "A parameter or field is unknown or its value is malformed (see `errors`).",
    "404": "No such record, or a page past the last one.",
    "406": "The `Accept` header asks for a format the API cannot give (it gives JSON).",
    "429": "Too many requests: wait for `Retry-After` seconds.",
    "500": "The server failed; the error is logged.",
    # Answered by gunicorn before the application (policyapi/gunicorn_worker.py): the schema
    # allows filter values that add up to a longer URL than any server limit.
    "414": "The request line (method, path and query) is over 8190 bytes: send fewer filter "
    "values per request.",
    "431": "Too many request headers (over 100), or one over 8190 bytes.",
}
WRITE_ERRORS = {
    "401": "No credentials, or invalid ones (see `WWW-Authenticate`).",
    "403": "Authenticated, but without the permission this write needs.",
    "409": "The write conflicts with the data: a record still referred to, or a race.",
    "413": "The request body is over the size limit (1 MB by default).",
    "415": "The body is not `application/json`.",
}
PRECONDITION_FAILED = {
    "412": "`If-Match` names an ETag the record no longer has; the current one is in `ETag`."
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of your last read of the record: the write is refused (412) if "
    "the record changed since. Without it the write is accepted.",
    "schema": {"type": "string"},
    "example": '"5d41402abc4b2a76b9719d911017c592"',
}
ETAG_HEADER = {
    "ETag": {
        "description": "A validator for the response; send it back in `If-None-Match`.",
        "schema": {"type": "string"},
    }
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An `ETag` from an earlier response: answered with 304 when nothing changed.",
    "schema": {"type": "string"},
    "example": '"5d41402abc4b2a76b9719d911017c592"',
}


def _add_links(result: dict[str, Any]) -> None:
    """OpenAPI links from each create to what can be done with the record it made (read it,
    replace, update or delete it, read its history): clients and stateful testing follow them."""
    operations = {
        op["operationId"]: (path, method)
        for path, methods in result["paths"].items()
        for method, op in methods.items()
    }
    for create, (path, method) in operations.items():
        if not create.endswith("_create") or create.startswith("auth_"):
            continue
        collection = create.removesuffix("_create")
        key = "iso2" if collection == "countries" else "slug"
        links = {}
        for action in ("retrieve", "update", "partial_update", "destroy", "history_list"):
            if f"{collection}_{action}" in operations:
                links[action.removesuffix("_list")] = {
                    "operationId": f"{collection}_{action}",
                    "parameters": {key: f"$response.body#/{key}"},
                    "description": f"The record just created, by its {key}.",
                }
        result["paths"][path][method]["responses"]["201"]["links"] = links


def _require_response_fields(schemas: dict[str, Any]) -> None:
    """Every field of a response body is always there (null or empty when it has no value).

    drf-spectacular marks a field optional in responses too when it is optional in requests (a
    model field with a default or blank=True); a generated client then types it as possibly
    missing (`str | Unset`) and every caller has to handle a case that never happens. Request
    bodies (`...Request`, `Patched...`) keep their optional fields; a problem's `errors` is only
    there for a 400.
    """
    for name, component in schemas.items():
        if name.endswith("Request") or name.startswith("Patched") or name == "Problem":
            continue
        if "properties" in component:
            component["required"] = list(component["properties"])


def finish_schema(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    _require_response_fields(result["components"]["schemas"])
    _add_links(result)
    schema_examples.add_response_examples(result)
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                _add_example(path, parameter)
            # A write needs its body, PATCH too (an empty one is a 400: events/views.py,
            # require_body); drf-spectacular marks a partial update's body optional.
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
            responses = operation.setdefault("responses", {})
            errors = dict(ERRORS)
            if method in ("post", "put", "patch", "delete") and "/auth/" not in path:
                errors |= WRITE_ERRORS
            if method in ("put", "patch", "delete"):
                errors |= PRECONDITION_FAILED
                operation.setdefault("parameters", []).append(IF_MATCH)
            for code, description in errors.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/problem+json": {"schema": problem_ref}},
                    },
                )
            # An export is streamed: no ETag (it would need the whole body first), no 304.
            if method == "get" and "200" in responses and not path.endswith("/export/"):
                responses["200"].setdefault("headers", {}).update(ETAG_HEADER)
                responses["304"] = {
                    "description": "Not modified: the `If-None-Match` ETag is current."
                }
                operation.setdefault("parameters", []).append(IF_NONE_MATCH)
    return result


# What the API accepts for each query parameter, beyond its type, so that the schema states
# exactly which values are valid (clients and the schema fuzzer rely on it). Every string must
# hold a non-blank character: an empty or blank parameter is refused.
NOT_BLANK = r"\S"
SLUG = r"^[-a-zA-Z0-9_]+$"
CODE = r"^[A-Za-z]{2}$"
CONSTRAINTS: dict[str, dict[str, Any]] = {
    "page": {"minimum": 1, "maximum": 999_999_999},
    "page_size": {"minimum": 1, "maximum": 100},
    "after": {"minimum": 0, "maximum": 10**18 - 1},
    "q": {"minLength": 1, "maxLength": 500, "pattern": NOT_BLANK},
    "rate_min": {"minimum": -1_000_000, "maximum": 1_000_000},
    "rate_max": {"minimum": -1_000_000, "maximum": 1_000_000},
}
ITEM_CONSTRAINTS: dict[str, dict[str, Any]] = {
    "country": {"pattern": CODE},
    "imposing_country": {"pattern": CODE},
    "target_country": {"pattern": CODE},
    "cameo": {"pattern": r"^(0[1-9]|1[0-9]|20)[0-9]{0,2}$"},
    "publisher": {"minLength": 1, "maxLength": 200, "pattern": r"^[^,]*[^,\s][^,]*$"},
    **{
        name: {"pattern": SLUG, "maxLength": 120}
        for name in ("participant", "topic", "affiliation", "event", "speaker", "parent")
    },
}
PAGE_SIZE_LIMITS = {"/api/v1/changes/": 1000}

PATH_DESCRIPTIONS = {
    "slug": "The record's slug (its identifier in URLs).",
    "iso2": "ISO 3166-1 alpha-2 code, any case.",
}


def _constrain(path: str, parameter: dict[str, Any]) -> None:
    if parameter.get("in") != "query":
        return
    name, schema = parameter["name"], parameter.setdefault("schema", {})
    schema.update(CONSTRAINTS.get(name, {}))
    if name == "page_size" and path in PAGE_SIZE_LIMITS:
        schema["maximum"] = PAGE_SIZE_LIMITS[path]
    if schema.get("type") == "array":
        # A repeated parameter (explode) with no items is the parameter left out, which every
        # list allows; minItems there would only make Swagger UI's "Try it out" refuse a field
        # the user cleared. A comma-joined one with no items would be sent empty: a 400.
        if parameter.get("explode", True) is False:
            schema["minItems"] = 1
        schema["maxItems"] = 100
        schema["items"].update(ITEM_CONSTRAINTS.get(name, {}))
        if schema["items"].get("type") == "string" and "enum" not in schema["items"]:
            schema["items"].setdefault("pattern", NOT_BLANK)
    elif schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        schema.setdefault("pattern", NOT_BLANK)


def _add_example(path: str, parameter: dict[str, Any]) -> None:
    _constrain(path, parameter)
    if parameter.get("in") == "path" and not parameter.get("description"):
        parameter["description"] = PATH_DESCRIPTIONS[parameter["name"]]
    if "example" in parameter or "examples" in parameter:
        return
    name = parameter["name"]
    if name in NO_EXAMPLE:
        return
    if name not in EXAMPLES and not (name == "slug" and parameter.get("in") == "path"):
        raise KeyError(
            f"No example for the query parameter {name!r} of {path}: add one to EXAMPLES."
        )
    example = _example(path, parameter)
    is_array = parameter.get("schema", {}).get("type") == "array"
    if is_array and not isinstance(example, list):
        example = [example]
    elif not is_array and isinstance(example, list):
        example = example[0]
    parameter["example"] = example
    if is_array and parameter.get("in") == "query":
        parameter["description"] = parameter.get("description", "").rstrip() + (
            SEVERAL_KEYS if name == "ordering" else SEVERAL_VALUES
        )


# Every array parameter takes its values both ways; every other parameter takes one value, and
# given more than once is a 400 (events/filters.py, StrictFilterBackend).
SEVERAL_VALUES = "\n\nSeveral values (OR): repeat the parameter or separate them with commas."
SEVERAL_KEYS = (
    "\n\nSeveral sort keys, applied in the order given: separate them with commas "
    "(`title,-date`) or repeat the parameter (`ordering=title&ordering=-date`)."
)


def _example(path: str, parameter: dict[str, Any]) -> Any:
    """The example of a parameter valid for the operation at `path`: a slug of its own
    collection, and a sort order among those it offers (the tariff measures' orders differ
    from the events'; issue 13: three tariff-measure operations offered `-date`)."""
    name = parameter["name"]
    if name == "slug" and parameter.get("in") == "path":
        return SLUG_EXAMPLES[path.removeprefix("/api/v1/").split("/")[0]]
    example = EXAMPLES[name]
    allowed = parameter.get("schema", {}).get("items", {}).get("enum")
    if name == "ordering" and allowed and example not in allowed:
        # Newest first where there is a date, as each list's default order is.
        example = next((order for order in allowed if order.startswith("-")), allowed[0])
    return example


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, told which serializer each action of a RecordViewSet
    reads and writes, and how to name its write operations."""

    def get_request_serializer(self) -> Any:
        write = getattr(self.view, "write_serializer_class", None)
        action = getattr(self.view, "action", None)
        if write is not None and action in ("create", "update", "partial_update"):
            return write
        return super().get_request_serializer()

    def get_response_serializers(self) -> Any:
        action = getattr(self.view, "action", None)
        detail = getattr(self.view, "detail_serializer_class", None)
        if detail is not None and action in ("create", "update", "partial_update"):
            return detail
        if action == "destroy":
            return {204: None}
        return super().get_response_serializers()

    def get_auth(self) -> list[dict[str, list[str]]]:
        auths: list[dict[str, list[str]]] = super().get_auth()
        # Reads are public (ModelPermissionsOrReadOnly): anonymous is one way to call them.
        if self.method in permissions.SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths

    def get_summary(self) -> str | None:
        action = getattr(self.view, "action", None)
        model = getattr(getattr(self.view, "queryset", None), "model", None)
        if model is not None and action in WRITE_SUMMARIES:
            name = str(model._meta.verbose_name)
            article = "an" if name[0] in "aeiou" else "a"
            return WRITE_SUMMARIES[action].format(name=f"{article} {name}")
        return super().get_summary()

    def get_description(self) -> str:  # type: ignore[override]  # spectacular's signature
        action = getattr(self.view, "action", None)
        if action in WRITE_DESCRIPTIONS:
            return WRITE_DESCRIPTIONS[action]
        description: str = super().get_description()
        return description


WRITE_SUMMARIES = {
    "create": "Create {name}",
    "update": "Replace {name}",
    "partial_update": "Update part of {name}",
    "destroy": "Delete {name}",
}
_AUTH = (
    "Needs an authenticated user (`Authorization: Token <key>`, or a logged-in session with "
    "its CSRF token) holding the model's {perm} permission (the `editors` group has it). "
)
_VALIDATION = (
    "The record is validated by the model's own rules (the same as in the admin): a bad value "
    "is a 400 naming the field, and nothing is written. Related records are named by slug (or "
    "ISO code); fields the server manages (`url`, timestamps, computed fields) are ignored, "
    "any other unknown field is a 400. Nested lists (participations, related events, "
    "citations) replace what the record had, in one transaction."
)
_IF_MATCH = (
    " Send the ETag of your last read in `If-Match` and the write is refused with 412 (and "
    "changes nothing) if the record changed since; without `If-Match` the write is accepted."
)
WRITE_DESCRIPTIONS = {
    "create": _AUTH.format(perm="add") + _VALIDATION + " Answers 201 with the new record.",
    "update": _AUTH.format(perm="change")
    + "Replaces the record: a field left out takes its default (empty). "
    + _VALIDATION
    + _IF_MATCH,
    "partial_update": _AUTH.format(perm="change")
    + "Changes only the fields sent. "
    + _VALIDATION
    + _IF_MATCH,
    "destroy": _AUTH.format(perm="delete")
    + "Deletes the record with its nested records (participations, citations); a record other "
    "records still refer to is a 409." + _IF_MATCH,
}
