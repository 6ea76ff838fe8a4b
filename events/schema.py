"""OpenAPI post-processing: what drf-spectacular cannot infer from the code.

- an example and a description for every parameter (a parameter means the same on every
  endpoint, so one example per name; a parameter without one fails schema generation);
- the error responses every operation can give, as RFC 9457 problem details;
- the `ETag` header of every successful read and its `304 Not Modified`;
- the article's records as response and request examples, and each error status's own
  problem details (events/schema_examples.py);
- the headers every answer carries (`X-Request-ID`, `Location`, `Retry-After`, ...);
- null written the way OpenAPI 3.0 allows it (`nullable` only works beside a `type`), and
  formats no strict validator refuses (see `_strict_nulls` and `_blank_urls`);
- write bodies as strict as the server: the model fields' limits, no unknown property.
"""

from typing import Any

from django.core import validators
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
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
        "title": {"type": "string", "description": "The HTTP status phrase."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        # No property examples: each error response has its own (events/schema_examples.py),
        # where these made every status show a 400.
        "errors": {
            "type": "object",
            "description": "For a 400: each bad parameter or field, with its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
ERRORS = {
    "400": "A parameter or field is unknown or its value is malformed (see `errors`).",
    "404": "No such record, or a page past the last one.",
    "401": "The credentials sent are invalid (an unknown token, say): refused even where "
    "none are needed (see `WWW-Authenticate`).",
    "406": "The `Accept` header asks for a format the API cannot give (it gives JSON).",
    "429": "Too many requests: wait for `Retry-After` seconds.",
    "500": "The server failed; the error is logged.",
    # Answered by gunicorn before the application (policyapi/gunicorn_worker.py): the schema
    # allows filter values that add up to a longer URL than any server limit.
    "414": "The request line (method, path and query) is over 8190 bytes: send fewer filter "
    "values per request.",
    "431": "Too many request headers (over 100), or one over 8190 bytes.",
    "503": "The database is not reachable, or it cancelled a statement that ran too long: "
    "retry after `Retry-After` seconds.",
}
# Answered by gunicorn before the application: without the application's headers.
FROM_GUNICORN = frozenset({"414", "431"})
WRITE_ERRORS = {
    "401": "No credentials, or invalid ones (see `WWW-Authenticate`).",
    "403": "Authenticated, but without the permission this write needs.",
    "409": "The write conflicts with the data: a record still referred to, or a race.",
}
BODY_ERRORS = {
    "413": "The request body is over the size limit (1 MB by default).",
    "415": "The body is not `application/json`.",
}
PRECONDITION_FAILED = {
    "412": "`If-Match` names an ETag the record no longer has; the current one is in `ETag`."
}
# A record's URL with its key left empty is the collection's, which takes GET and POST only.
NOT_A_RECORD_URL = {
    "405": "Not allowed on this URL: an empty key (`/events//` becomes `/events/`) names the "
    "collection, which is read (GET) and added to (POST), not replaced or deleted."
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
REQUEST_ID_HEADER = {
    "X-Request-ID": {
        "description": "The request's id (yours, when you sent a short one in `X-Request-ID`): "
        "quote it when reporting a problem; the server's log lines carry it.",
        "required": True,
        "schema": {"type": "string"},
    }
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
# Headers beside a response's body, by status (besides `X-Request-ID`, on every answer).
STATUS_HEADERS: dict[str, dict[str, Any]] = {
    "201": {
        "Location": {
            "description": "The URL of the record just created.",
            "required": True,
            "schema": {"type": "string", "format": "uri"},
        },
        "ETag": {**ETAG_HEADER["ETag"], "required": True},
    },
    "401": {
        "WWW-Authenticate": {
            "description": "How to authenticate: `Token` (send `Authorization: Token <key>`).",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "412": {
        "ETag": {
            "description": "The record's current ETag.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "429": RETRY_AFTER_HEADER,
    "503": RETRY_AFTER_HEADER,
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
    _strict_nulls(result["components"]["schemas"])
    _blank_urls(result["components"]["schemas"])
    _add_links(result)
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
            if "requestBody" in operation:
                errors |= BODY_ERRORS
            if method in ("put", "patch", "delete"):
                errors |= PRECONDITION_FAILED | NOT_A_RECORD_URL
                operation.setdefault("parameters", []).append(IF_MATCH)
            for code, description in errors.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/problem+json": {"schema": problem_ref}},
                    },
                )
            # An export's ETag is a list's (the data version and the request), so it has one
            # although it is streamed.
            if method == "get" and "200" in responses:
                responses["200"].setdefault("headers", {}).update(ETAG_HEADER)
                responses["304"] = {
                    "description": "Not modified: the `If-None-Match` ETag is current."
                }
                operation.setdefault("parameters", []).append(IF_NONE_MATCH)
            if method == "get" and path.endswith("/export/"):
                responses["200"].setdefault("headers", {}).update(_content_disposition(path))
            # A write answers the record as a read does, with its ETag.
            if method in ("put", "patch") and "200" in responses:
                responses["200"].setdefault("headers", {}).update(ETAG_HEADER)
            _add_headers(responses)
            # Asking for a token needs no credentials (it is how they are obtained).
            if path.endswith("/auth/token/"):
                operation["security"] = []
    # Last: the error responses are all there now.
    schema_examples.add_examples(result)
    return result


def _content_disposition(path: str) -> dict[str, Any]:
    """An export's file name (events/exports.py), which scripts save the download under."""
    from events import exports, formats

    resource = formats.RESOURCES[path.removeprefix("/api/v1/").split("/")[0]]
    names = " or ".join(f"`{exports.filename(resource, kind)}`" for kind in ("ndjson", "csv"))
    return {
        "Content-Disposition": {
            "description": f"A download, with its file name: {names}, by the format answered "
            "(`curl -OJ` saves it under that name).",
            "required": True,
            "schema": {"type": "string"},
            "example": f'attachment; filename="{exports.filename(resource, "ndjson")}"',
        }
    }


def _add_headers(responses: dict[str, Any]) -> None:
    for code, response in responses.items():
        headers = response.setdefault("headers", {})
        headers.update(STATUS_HEADERS.get(code, {}))
        if code not in FROM_GUNICORN:
            headers.update(REQUEST_ID_HEADER)
        if not headers:
            del response["headers"]


# What OpenAPI 3.0 takes for "or null" where a type cannot carry `nullable` (a `$ref`, a
# choice of shapes): a branch of its own, typed so that `nullable` counts, allowing null only.
# openapi-core (OAS 3.0.3 semantics: `nullable` works only beside `type`, in the same schema
# object) then accepts null and the object; openapi-python-client reads `enum: [null]` as None.
NULL_BRANCH = {"type": "object", "nullable": True, "enum": [None]}


def _walk(node: Any) -> Any:
    """Every schema object under `node` (dicts), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _strict_nulls(schemas: dict[str, Any]) -> None:
    """`nullable: true` beside no `type` means nothing in OpenAPI 3.0 (a strict validator
    refuses the null the server sends): drf-spectacular writes `{allOf: [$ref], nullable}` for a
    nullable nested record, `{oneOf: [...], nullable}` for a nullable reference in a write, and
    `{nullable}` alone for a JSON field (which, untyped, allows null already)."""
    for node in list(_walk(schemas)):
        if node.get("nullable") is not True or "type" in node:
            continue
        del node["nullable"]
        if "allOf" in node and len(node["allOf"]) == 1:
            node["anyOf"] = [*node.pop("allOf"), {**NULL_BRANCH, "enum": [None]}]
        elif "oneOf" in node:
            node["oneOf"].append({**NULL_BRANCH, "enum": [None]})


def _blank_urls(schemas: dict[str, Any]) -> None:
    """drf-spectacular writes a URL that may be blank as `oneOf: [uri, maxLength 0]`: a
    validator that checks no formats finds "" matching both (oneOf then refuses it), and puts
    the field's default "" under `format: uri`, where a format-checking validator refuses
    the whole document. anyOf, with the default beside it."""
    for node in list(_walk(schemas)):
        branches = node.get("oneOf")
        if not isinstance(branches, list) or not any(
            isinstance(b, dict) and b.get("format") == "uri" for b in branches
        ):
            continue
        node["anyOf"] = node.pop("oneOf")
        for branch in node["anyOf"]:
            if "default" in branch:
                node["default"] = branch.pop("default")


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


class FilterExtension(DjangoFilterExtension):
    """drf-spectacular's django-filter support, plus: a filter whose type the code states with
    `@extend_schema_field` (events/filters.py) keeps its `help_text` as its description
    (drf-spectacular drops it then), and an action leaves out the filters it refuses."""

    priority = 1

    def get_schema_operation_parameters(
        self, auto_schema: Any, *args: Any, **kwargs: Any
    ) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(
            auto_schema, *args, **kwargs
        )
        refused = self.target.refused_parameters(auto_schema.view)
        return [p for p in parameters if p["name"] not in refused]

    def resolve_filter_field(
        self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
        return parameters


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

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and hasattr(serializer, "ignored_fields"):
            _strict_write_body(serializer, schema)
        return schema

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


SERVER_MANAGED = {"description": "Server-managed (read-only): accepted and ignored."}


def _strict_write_body(serializer: Any, schema: dict[str, Any]) -> None:
    """A write body as the server checks it (events/serializers/write.py, StrictSerializer):
    each field with the limits its model field enforces (read from the model, so that they
    cannot drift), the server-managed fields it ignores, and nothing else (an unknown field is
    a 400)."""
    model = getattr(serializer, "model", None)
    properties = schema.setdefault("properties", {})
    for name, prop in properties.items():
        if model is None:
            break
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        for target in _string_branches(prop):
            _constrain_from_model(field, target)
    for name in sorted(serializer.ignored_fields - set(properties)):
        properties[name] = dict(SERVER_MANAGED)
    schema["additionalProperties"] = False


def _string_branches(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """The string schemas a model field's limits apply to: the property, or the branch of a
    choice that holds the value (not a blank one's `maxLength: 0`)."""
    if prop.get("type") == "string":
        return [prop]
    return [
        branch
        for branch in prop.get("anyOf", prop.get("oneOf", []))
        if branch.get("type") == "string" and branch.get("maxLength") != 0
    ]


def _constrain_from_model(field: Any, schema: dict[str, Any]) -> None:
    if not isinstance(field, (models.CharField, models.TextField)) or "enum" in schema:
        return
    for validator in field.validators:
        if isinstance(validator, validators.MaxLengthValidator):
            limit = validator.limit_value
            schema["maxLength"] = min(schema.get("maxLength", limit), limit)
        elif (
            isinstance(validator, validators.RegexValidator)
            and type(validator) is validators.RegexValidator
            and not validator.inverse_match
            and "pattern" not in schema
        ):
            # Python's end of string, `\Z`, is `$` in the ECMA regexes of JSON Schema; model
            # validation runs no validator on a blank value.
            pattern = str(getattr(validator.regex, "pattern", validator.regex))
            pattern = pattern.replace("\\Z", "$")
            schema["pattern"] = f"^$|{pattern}" if field.blank else pattern


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
