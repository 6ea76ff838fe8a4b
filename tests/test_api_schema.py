"""The OpenAPI schema: committed, valid, complete; the docs pages load nothing from elsewhere."""

import json
import re
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from events.schema import NO_EXAMPLE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    # --validate checks it against the OpenAPI 3 meta-schema; --fail-on-warn fails on any
    # warning (an unresolvable type, a missing parameter description, ...).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return path.read_text(encoding="utf-8")


def test_it_commits_the_schema_the_code_generates(generated: str) -> None:
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == generated, "openapi.yaml is stale: run `make schema` and commit it"


def test_it_documents_every_operation(generated: str) -> None:
    schema = yaml.safe_load(generated)
    assert schema["info"]["title"] == "policyapi"
    assert "cited" in schema["info"]["description"].lower()
    tags = {tag["name"] for tag in schema["tags"]}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("description"), where
            assert set(operation["tags"]) <= tags, where
            # gunicorn answers 414 and 431 before the application (policyapi/gunicorn_worker.py).
            for code in ("400", "404", "406", "414", "431", "500"):
                content = operation["responses"][code]["content"]
                assert list(content) == ["application/problem+json"], where
                problem = content["application/problem+json"]
                assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}, where
                assert problem["examples"], f"{where} {code}"
            if "requestBody" in operation:
                # An empty body is a 400 (PATCH too): schemathesis' CLI, run from outside
                # (make fuzz-outside), sent PATCH without one when the schema said it may.
                assert operation["requestBody"].get("required") is True, where
            for parameter in operation.get("parameters", []):
                # Every parameter has an example, but `cursor`: "Try it out" sends every example
                # and a cursor beside `page`'s example would be a 400.
                has_example = parameter["name"] not in NO_EXAMPLE
                assert ("example" in parameter) == has_example, f"{where} {parameter['name']}"
                assert parameter.get("description"), f"{where} {parameter['name']}"


def test_it_shows_each_error_status_the_problem_the_server_sends_for_it(generated: str) -> None:
    # Audit: every problem+json example was one 400 made from the schema ("status": 400, a
    # `date_from` error) on 401, 404, 412, 429... alike.
    schema = yaml.safe_load(generated)
    named = schema["components"]["examples"]
    seen = set()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for code, response in operation["responses"].items():
                content = response.get("content", {}).get("application/problem+json")
                if content is None:
                    continue
                assert content["examples"], f"{method} {path} {code}"
                for example in content["examples"].values():
                    value = named[example["$ref"].split("/")[-1]]["value"]
                    where = f"{method.upper()} {path} {code}: {value}"
                    assert value["type"] == "about:blank", where
                    assert value["status"] == int(code), where
                    assert value["title"] == HTTPStatus(int(code)).phrase, where
                    assert value["detail"] not in ("", "string"), where
                    assert ("errors" in value) == (code == "400"), where
                    seen.add(code)
    assert seen >= {"400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "429"}
    assert "example" not in json.dumps(schema["components"]["schemas"]["Problem"])
    events = schema["paths"]["/api/v1/events/{slug}/"]
    assert events["get"]["responses"]["404"]["content"]["application/problem+json"]["examples"] == {
        "404_events": {"$ref": "#/components/examples/problem_404_events"}
    }
    assert named["problem_404_events"]["value"] == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No event has the slug 'no-such-record'.",
    }
    assert named["problem_412"]["value"]["title"] == "Precondition Failed"
    assert set(
        events["patch"]["responses"]["401"]["content"]["application/problem+json"]["examples"]
    ) == {"401_anonymous", "401_invalid"}


@pytest.mark.parametrize("collection", ["events", "tariff-measures"])
def test_it_documents_the_file_name_of_an_export(generated: str, collection: str) -> None:
    # Audit: the README invites scripts to read Content-Disposition; the schema listed only
    # X-Request-ID for the exports.
    response = yaml.safe_load(generated)["paths"][f"/api/v1/{collection}/export/"]["get"][
        "responses"
    ]["200"]
    header = response["headers"]["Content-Disposition"]
    assert header["required"] is True
    assert header["example"] == f'attachment; filename="{collection}.ndjson"'
    assert f"`{collection}.csv`" in header["description"]


def test_it_types_every_filter(generated: str) -> None:
    parameters = {
        p["name"]: p
        for p in yaml.safe_load(generated)["paths"]["/api/v1/events/"]["get"]["parameters"]
    }
    assert parameters["date_from"]["schema"] == {"type": "string", "format": "date"}
    assert parameters["updated_since"]["schema"] == {"type": "string", "format": "date-time"}
    # A repeated parameter with no items is the parameter left out (no minItems, which would
    # make Swagger UI refuse a cleared field); a comma-joined one would be sent empty: a 400.
    assert parameters["country"]["schema"] == {
        "type": "array",
        "items": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
        "maxItems": 100,
    }
    assert parameters["country"]["explode"] is True
    assert parameters["ordering"]["explode"] is False
    assert parameters["ordering"]["schema"]["minItems"] == 1
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert parameters["q"]["schema"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 500,
        "pattern": "\\S",
    }
    assert parameters["event_type"]["schema"]["items"]["enum"][:2] == ["agreement", "arrest"]
    measures = {
        p["name"]: p
        for p in yaml.safe_load(generated)["paths"]["/api/v1/tariff-measures/"]["get"]["parameters"]
    }
    assert measures["rate_min"]["schema"] == {
        "type": "number",
        "minimum": -1_000_000,
        "maximum": 1_000_000,
    }


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_it_serves_docs_that_load_nothing_from_another_host(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls, html
    assert [url for url in urls if re.match(r"^(https?:)?//", url)] == []
    assert "googleapis" not in html
    # ReDoc's page names Redocly's logo URL only to give that image a local blank instead
    # (policyapi/redoc.html; tests/test_browser.py checks the browser asks for nothing).
    replaced = '"https://cdn.redoc.ly/redoc/logo-mini.svg"'
    assert "cdn" not in html.lower().replace(replaced, "")


def test_it_serves_the_schema_as_yaml_and_json(client: Client) -> None:
    assert client.get("/api/v1/schema/")["Content-Type"].startswith("application/vnd.oai.openapi")
    as_json = client.get("/api/v1/schema/", {"format": "json"})
    assert as_json.json()["openapi"].startswith("3.")


@pytest.mark.django_db
def test_it_states_the_alias_limits_the_server_applies_and_names_each_problem(
    generated: str, article: None, editor: Any
) -> None:
    # Audit: the schema's alias items had no maxLength and allowed " ", and an alias over 200
    # characters was refused as "A list of non-empty names.".
    items = yaml.safe_load(generated)["components"]["schemas"]["ParticipantWriteRequest"][
        "properties"
    ]["aliases"]["items"]
    assert items == {"type": "string", "minLength": 1, "pattern": "\\S", "maxLength": 200}
    url = "/api/v1/participants/marco-rubio/"
    accepted = editor.send("PATCH", url, {"aliases": ["x" * 200]})
    assert accepted.status_code == 200
    assert accepted.json()["aliases"] == ["x" * 200]
    refused = editor.send("PATCH", url, {"aliases": ["Rubio", "x" * 201, " "]})
    assert refused.status_code == 400
    assert refused.json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "Invalid input: aliases[1], aliases[2]. See `errors` for what is wrong with each.",
        "errors": {
            "aliases[1]": ["An alias is at most 200 characters long; this one is longer."],
            "aliases[2]": ["An alias cannot be blank: give a name."],
        },
    }


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "path", ["/api/v1/events", "/api/v1/events/rubio-dar-phone-call-2025-04-07", "/api/v1"]
)
def test_it_redirects_a_path_without_its_trailing_slash(
    article: None, client: Client, method: str, path: str
) -> None:
    # The reason contract/redocly.yaml and contract/.spectral.yaml give for switching the
    # trailing-slash rules off (they named a DESIGN.md the repository does not have).
    response = getattr(client, method)(path)
    assert response.status_code == (301 if method == "get" else 308)
    assert response["Location"] == path + "/"
    for config in ("redocly.yaml", ".spectral.yaml"):
        text = (ROOT / "contract" / config).read_text(encoding="utf-8")
        assert "DESIGN.md" not in text
        assert "301 Moved" in text
        assert "308 Permanent Redirect" in text
