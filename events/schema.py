"""OpenAPI post-processing: what drf-spectacular cannot infer from the code.

- an example and a description for every parameter (a parameter means the same on every
  endpoint, so one example per name; a parameter without one fails schema generation);
- the error responses every operation can give, as RFC 9457 problem details;
- the `ETag` header of every successful read and its `304 Not Modified`.
"""

from typing import Any

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
    "slug": "rubio-dar-phone-call-2025-04-07",
    "iso2": "PK",
}
# Examples that differ by collection: ordering names differ.
ORDERING_EXAMPLES = {"/api/v1/tariff-measures/": "-rate"}

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
    "400": "A query parameter is unknown or its value is malformed (see `errors`).",
    "404": "No such record, or a page past the last one.",
    "406": "The `Accept` header asks for a format the API cannot give (it gives JSON).",
    "500": "The server failed; the error is logged.",
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


def finish_schema(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                _add_example(path, parameter)
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/problem+json": {"schema": problem_ref}},
                    },
                )
            if method == "get" and "200" in responses:
                responses["200"].setdefault("headers", {}).update(ETAG_HEADER)
                responses["304"] = {
                    "description": "Not modified: the `If-None-Match` ETag is current."
                }
                operation.setdefault("parameters", []).append(IF_NONE_MATCH)
    return result


PATH_DESCRIPTIONS = {
    "slug": "The record's slug (its identifier in URLs).",
    "iso2": "ISO 3166-1 alpha-2 code, any case.",
}


def _add_example(path: str, parameter: dict[str, Any]) -> None:
    if parameter.get("in") == "path" and not parameter.get("description"):
        parameter["description"] = PATH_DESCRIPTIONS[parameter["name"]]
    if "example" in parameter or "examples" in parameter:
        return
    name = parameter["name"]
    if name not in EXAMPLES:
        raise KeyError(
            f"No example for the query parameter {name!r} of {path}: add one to EXAMPLES."
        )
    example = ORDERING_EXAMPLES.get(path, EXAMPLES[name]) if name == "ordering" else EXAMPLES[name]
    is_array = parameter.get("schema", {}).get("type") == "array"
    if is_array and not isinstance(example, list):
        example = [example]
    elif not is_array and isinstance(example, list):
        example = example[0]
    parameter["example"] = example
    if is_array and parameter.get("in") == "query":
        parameter["description"] = (
            parameter.get("description", "").rstrip()
            + "\n\nSeveral values (OR): repeat the parameter or separate them with commas."
        )
