"""GET /api/v1/vocabularies/: every controlled value set, as the schema's enums."""

from pathlib import Path

import pytest
import yaml
from django.test import Client

from events.models import (
    CameoCode,
    DatePrecision,
    EventType,
    MeasureStatus,
    MeasureType,
    ParticipationRole,
    StatementKind,
)

SCHEMA = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_it_lists_every_set_with_labels_and_descriptions(client: Client, db: None) -> None:
    response = client.get("/api/v1/vocabularies/")

    assert response.status_code == 200
    data = response.json()
    assert list(data) == [
        "event_types",
        "participation_roles",
        "measure_types",
        "measure_statuses",
        "date_precisions",
        "statement_kinds",
        "relation_types",
        "participant_kinds",
        "source_body_kinds",
    ]
    for name, choices in [
        ("event_types", EventType),
        ("participation_roles", ParticipationRole),
        ("measure_types", MeasureType),
        ("measure_statuses", MeasureStatus),
        ("date_precisions", DatePrecision),
        ("statement_kinds", StatementKind),
    ]:
        assert [(v["value"], v["label"]) for v in data[name]] == list(choices.choices)
        assert all(v["description"] for v in data[name])
    assert data["event_types"][0] == {
        "value": "phone_call",
        "label": "Phone call",
        "description": "Two or more parties talk by telephone or video call.",
        "cameo_code": "041",
        "cameo_label": None,
    }


def test_event_types_show_the_cameo_label_once_the_codebook_is_loaded(
    client: Client, db: None
) -> None:
    CameoCode.objects.create(code="041", label="Discuss by telephone")

    phone_call = client.get("/api/v1/vocabularies/").json()["event_types"][0]

    assert phone_call["cameo_label"] == "Discuss by telephone"


def test_every_cameo_code_it_gives_has_the_codebooks_structure(client: Client, db: None) -> None:
    for value in client.get("/api/v1/vocabularies/").json()["event_types"]:
        CameoCode(code=value["cameo_code"], label="x").full_clean()


@pytest.mark.parametrize(
    ("field", "enum"),
    [
        ("EventTypeValue", "EventTypeEnum"),
        ("ParticipationRoleValue", "ParticipationRoleEnum"),
        ("MeasureTypeValue", "MeasureTypeEnum"),
        ("MeasureStatusValue", "MeasureStatusEnum"),
        ("DatePrecisionValue", "DatePrecisionEnum"),
        ("StatementKindValue", "StatementKindEnum"),
    ],
)
def test_the_schema_gives_each_set_as_the_enum_the_records_use(field: str, enum: str) -> None:
    schemas = yaml.safe_load(SCHEMA.read_text())["components"]["schemas"]

    assert schemas[field]["properties"]["value"] == {"$ref": f"#/components/schemas/{enum}"}
    assert schemas[enum]["enum"]


def test_an_unknown_parameter_is_a_400(client: Client, db: None) -> None:
    response = client.get("/api/v1/vocabularies/?lang=fr")

    assert response.status_code == 400
    assert response.json()["errors"] == {"lang": ["Unknown query parameter. Allowed here: format."]}
