"""Every controlled value set of the data, each value with its label and a description.

The values and labels are the models' choices (events/models.py); the descriptions say when a
value applies. `GET /api/v1/vocabularies/` serves them, and the OpenAPI schema lists the same
sets as enums. Event types carry the CAMEO event code usually given to an event of that type
(from the CAMEO event codebook; SOURCE_NOTES.md cites the article's choices): a starting point
for an editor, not a rule; an event names its own code.
"""

from typing import Any

from django.db import models

from .models import (
    CameoCode,
    DatePrecision,
    EventType,
    MeasureStatus,
    MeasureType,
    ParticipantKind,
    ParticipationRole,
    RelationType,
    Source,
    StatementKind,
)

EVENT_TYPES: dict[str, tuple[str, str]] = {  # value: (usual CAMEO code, description)
    EventType.PHONE_CALL: ("041", "Two or more parties talk by telephone or video call."),
    EventType.MEETING: ("04", "Parties meet in person (CAMEO root 04, Consult)."),
    EventType.VISIT: ("042", "An official travels to another country or organization."),
    EventType.STATEMENT: ("010", "A party makes a public statement or publishes one."),
    EventType.POLICY_ANNOUNCEMENT: (
        "01",
        "A government announces a policy or measure (CAMEO root 01, Make public statement; "
        "a measure imposed on another country may take a code of 16, Reduce relations, such as "
        "163).",
    ),
    EventType.NEGOTIATION: ("046", "Parties negotiate, or pursue an agreement."),
    EventType.AGREEMENT: ("057", "Parties sign or conclude a formal agreement."),
    EventType.SANCTION: ("163", "A party imposes an embargo, boycott or sanctions."),
    EventType.ARREST: ("173", "A person is arrested, detained or charged."),
    EventType.ATTACK: ("18", "An assault: a bombing, a shooting, an attack on people."),
    EventType.MILITARY_OPERATION: ("19", "Armed forces fight or carry out an operation."),
    EventType.PROTEST: ("14", "People protest: demonstrations, strikes, boycotts by civilians."),
}

DESCRIPTIONS: dict[type[models.TextChoices], dict[str, str]] = {
    ParticipationRole: {
        ParticipationRole.INITIATOR: "Started the event (placed the call, made the visit).",
        ParticipationRole.COUNTERPART: "The other party of an exchange the initiator started.",
        ParticipationRole.ANNOUNCER: "Announced or published what the event is.",
        ParticipationRole.SUBJECT: "What the event is done to or about (the person arrested).",
        ParticipationRole.MENTIONED: "Named in the event without taking part in it.",
    },
    MeasureType: {
        MeasureType.BASELINE: "A rate applied to every trading partner.",
        MeasureType.RECIPROCAL: "A country-specific rate, set against that country's own "
        "barriers or trade balance.",
        MeasureType.RETALIATORY: "Imposed in answer to another country's measure.",
        MeasureType.SECTORAL: "Applies to specific products or sectors.",
    },
    MeasureStatus: {
        MeasureStatus.ANNOUNCED: "Announced; not in force yet.",
        MeasureStatus.IN_FORCE: "In effect (as of `status_as_of`).",
        MeasureStatus.SUSPENDED: "In effect once, now paused (see `suspended_until`).",
        MeasureStatus.WITHDRAWN: "Withdrawn before taking effect, or ended.",
    },
    DatePrecision: {
        DatePrecision.DAY: "The date is known to the day.",
        DatePrecision.MONTH: "Known to the month: the date is the 1st and stands for the month.",
        DatePrecision.YEAR: "Known to the year: the date is 1 January and stands for the year.",
    },
    StatementKind: {
        StatementKind.QUOTE: "Words a person spoke, as quoted by a source.",
        StatementKind.PRESS_RELEASE: "A statement an organization published.",
    },
    RelationType: {
        RelationType.PRECEDED_BY: "This event came after the other and follows from it.",
        RelationType.CONTEXT_FOR: "This event is background for the other.",
        RelationType.RESPONSE_TO: "This event answers the other.",
        RelationType.PART_OF: "This event is one part of the other.",
    },
    ParticipantKind: {
        ParticipantKind.PERSON: "A person.",
        ParticipantKind.ORGANIZATION: "A government body, company, party or other organization.",
    },
    Source.BodyKind: {
        Source.BodyKind.FULL_TEXT: "The source's body is the document's own text.",
        Source.BodyKind.RESEARCH_NOTES: "The body is the project's notes of what the document "
        "states; its own text is not held.",
    },
}

# Response key: the value set (the order the endpoint lists them in).
SETS: dict[str, type[models.TextChoices]] = {
    "event_types": EventType,
    "participation_roles": ParticipationRole,
    "measure_types": MeasureType,
    "measure_statuses": MeasureStatus,
    "date_precisions": DatePrecision,
    "statement_kinds": StatementKind,
    "relation_types": RelationType,
    "participant_kinds": ParticipantKind,
    "source_body_kinds": Source.BodyKind,
}


def vocabularies() -> dict[str, list[dict[str, Any]]]:
    """Every set, each value with its label and description (event types with their usual
    CAMEO code and, once the codebook is loaded, its label: one query)."""
    codes = [code for code, _ in EVENT_TYPES.values()]
    labels = dict(CameoCode.objects.filter(code__in=codes).values_list("code", "label"))
    result: dict[str, list[dict[str, Any]]] = {}
    for name, choices in SETS.items():
        values: list[dict[str, Any]] = []
        for value, label in choices.choices:
            entry: dict[str, Any]
            if choices is EventType:
                code, description = EVENT_TYPES[value]
                entry = {"value": value, "label": label, "description": description}
                entry |= {"cameo_code": code, "cameo_label": labels.get(code)}
            else:
                entry = {
                    "value": value,
                    "label": label,
                    "description": DESCRIPTIONS[choices][value],
                }
            values.append(entry)
        result[name] = values
    return result
