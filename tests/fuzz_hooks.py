"""Schemathesis hooks for the schema fuzzing (tests/test_fuzz.py, `make fuzz`).

A filter naming a record (`topic=...`, `country=...`, `publisher=...`) must name one that
exists, which no schema can say: a random slug is rightly a 400. For schema-valid (positive)
cases, each such value is replaced by an existing record's identifier, chosen from the
generated value so that the fuzzer still explores; negative cases keep whatever they generated.

Paging rules tie parameters together, which a schema cannot state either (their descriptions
do): `cursor` excludes `page`, takes `start` or a cursor from a `next` link, and needs a sort
on the records' own fields (not `q`'s relevance ranking); `page` reaches the first 10,000
results. Positive cases are made to keep them.
"""

import zlib
from typing import Any

import schemathesis

from events.models import Country, Event, Participant, ParticipantKind, Source, Topic
from events.pagination import CURSOR_START, DEFAULT_PAGE_SIZE, MAX_PAGE_DEPTH

REFERENCES = {
    "country": "countries",
    "imposing_country": "countries",
    "target_country": "countries",
    "participant": "participants",
    "speaker": "participants",
    "affiliation": "organizations",
    "topic": "topics",
    "parent": "topics",
    "event": "events",
    "publisher": "publishers",
}


def _known() -> dict[str, list[str]]:
    return {
        "countries": list(Country.objects.order_by("iso2").values_list("iso2", flat=True)),
        "participants": list(Participant.objects.order_by("slug").values_list("slug", flat=True)),
        "organizations": list(
            Participant.objects.filter(kind=ParticipantKind.ORGANIZATION)
            .order_by("slug")
            .values_list("slug", flat=True)
        ),
        "topics": list(Topic.objects.order_by("slug").values_list("slug", flat=True)),
        "events": list(Event.objects.order_by("slug").values_list("slug", flat=True)),
        # A publisher filter names a publisher some source has (quoted as CSV quotes a value
        # that holds a comma or a quote).
        "publishers": [
            f'"{name.replace(chr(34), chr(34) * 2)}"' if "," in name or '"' in name else name
            for name in Source.objects.order_by("publisher")
            .values_list("publisher", flat=True)
            .distinct()
        ],
    }


def _pick(choices: list[str], generated: Any) -> str:
    return choices[zlib.crc32(str(generated).encode()) % len(choices)]


@schemathesis.hook
def map_case(context: Any, case: schemathesis.Case) -> schemathesis.Case:
    # Explicit examples (no generation metadata) are schema-valid too: they name records the
    # data may have lost by then (an earlier operation deleted the example's event).
    if not case.query or (case.meta is not None and case.meta.generation.mode.is_negative):
        return case
    known = _known()
    for name, kind in REFERENCES.items():
        value = case.query.get(name)
        if value is None or not known[kind]:
            continue
        if isinstance(value, list):
            case.query[name] = [_pick(known[kind], item) for item in value]
        else:
            case.query[name] = _pick(known[kind], value)
    _keep_paging_rules(case.query)
    return case


def _keep_paging_rules(query: dict[str, Any]) -> None:
    if "cursor" in query:
        query.pop("page", None)
        query["cursor"] = CURSOR_START
        if "q" in query and "ordering" not in query:
            del query["cursor"]
    page, size = query.get("page"), query.get("page_size", DEFAULT_PAGE_SIZE)
    if isinstance(page, int) and isinstance(size, int) and size > 0:
        query["page"] = 1 + (page - 1) % max(1, MAX_PAGE_DEPTH // size)
