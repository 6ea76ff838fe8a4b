"""The data set as files: every collection's records in the API's write shape, as JSON, NDJSON
and CSV. `import_data` reads these files (events/imports.py); the export endpoints and
`export_data` write them (events/exports.py), so an export is an import file.

A record's file shape is exactly what its write serializer (events/serializers/write.py) takes:
the same fields, related records by slug or ISO code, nested participations, related events and
citations. Exports list related codes and slugs sorted, and a record's citations by source,
field and excerpt, so that the same data always gives the same bytes.

CSV has one column per write field, in the serializer's order. A cell holds:
- text, a date (`2025-04-07`), a datetime (ISO 8601) or a number as written; an empty cell is
  null for a field that may be null, empty text for a text field, and otherwise the field's
  default (a column left out entirely also takes its default, as a `PUT` does);
- a list of codes or slugs (`countries`, `topics`, `target_countries`, `discussed_in`,
  `aliases`) joined by `;`: `PK;US`;
- `participations` as `participant:role` or `participant:role:COUNTRY`, joined by `;`, and
  `related_events` as `relation_type:event`, joined by `;`;
- any list as JSON instead, when its text starts with `[`: that is how citations are written,
  and participations or related events that carry a note or citations (exports choose the
  short form whenever it holds everything).
"""

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models import Prefetch, QuerySet
from rest_framework import serializers

from .models import (
    Citation,
    Country,
    Event,
    EventRelation,
    Participant,
    Participation,
    Source,
    Statement,
    TariffMeasure,
    Topic,
)
from .parsers import TOO_DEEP
from .serializers import write
from .serializers.write import RefField

FORMATS = ("ndjson", "csv", "json")
EXTENSIONS = {".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson", ".csv": "csv"}
MEDIA_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv", "json": "application/json"}

# Fields of a nested write shape read from another attribute of the record.
ATTRIBUTES = {
    "EventWriteSerializer": {"related_events": "relations_from"},  # outgoing relations only
    "RelatedEventWriteSerializer": {"event": "to_event"},
}
# Fields a file never carries: an exported relation is always outgoing (the default).
OMITTED = frozenset({"direction"})


def _citations() -> Prefetch:
    return Prefetch(
        "citations",
        queryset=Citation.objects.select_related("source").order_by(
            "source__slug", "field", "excerpt"
        ),
    )


@dataclass(frozen=True)
class Resource:
    """A collection as files hold it."""

    name: str
    model: type[models.Model]
    serializer: type[write.RecordWriteSerializer]
    key: str = "slug"
    # Fields naming records of the same collection (imported after the records they name).
    self_refs: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    prefetch: Callable[[], list[Any]] = list

    @cached_property
    def columns(self) -> list[str]:
        # Built once: a serializer's fields are deep-copied on every instantiation, which per
        # exported row cost more than the row itself.
        return [name for name, _ in self.serializer().fields.items() if name not in OMITTED]

    def queryset(self, records: QuerySet[Any] | None = None) -> QuerySet[Any]:
        """The records (all by default), with what their file shape reads joined or
        prefetched: per chunk of records one query per relation, never one per record."""
        if records is None:
            records = self.model._default_manager.all()
        return records.select_related(*self.select).prefetch_related(*self.prefetch())


def _event_prefetch() -> list[Any]:
    return [
        "countries",
        "topics",
        Prefetch(
            "participations",
            queryset=Participation.objects.select_related("participant")
            .order_by("role", "participant__slug")
            .prefetch_related(_citations()),
        ),
        Prefetch(
            "relations_from",
            queryset=EventRelation.objects.select_related("to_event")
            .order_by("relation_type", "to_event__slug")
            .prefetch_related(_citations()),
        ),
        _citations(),
    ]


# In dependency order: a record is imported after every record it names (citations name
# sources; everything names countries; events name topics and participants; ...).
RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        Resource("sources", Source, write.SourceWriteSerializer),
        Resource(
            "countries",
            Country,
            write.CountryWriteSerializer,
            key="iso2",
            prefetch=lambda: [_citations()],
        ),
        Resource(
            "topics",
            Topic,
            write.TopicWriteSerializer,
            self_refs=("parent",),
            select=("parent",),
            prefetch=lambda: [_citations()],
        ),
        Resource(
            "participants",
            Participant,
            write.ParticipantWriteSerializer,
            self_refs=("affiliation",),
            select=("affiliation",),
            prefetch=lambda: [_citations()],
        ),
        Resource(
            "events",
            Event,
            write.EventWriteSerializer,
            self_refs=("related_events",),
            prefetch=_event_prefetch,
        ),
        Resource(
            "statements",
            Statement,
            write.StatementWriteSerializer,
            select=("event", "speaker"),
            prefetch=lambda: [_citations()],
        ),
        Resource(
            "tariff-measures",
            TariffMeasure,
            write.TariffMeasureWriteSerializer,
            select=("announced_in",),
            prefetch=lambda: ["target_countries", "discussed_in", _citations()],
        ),
    )
}


# --- records to file shapes ---------------------------------------------------------------------


def _identifier(field: RefField, record: models.Model) -> str:
    return str(getattr(record, field.lookup))


def _scalar(field: serializers.Field, value: Any) -> Any:
    if value is None:
        return None
    shown = field.to_representation(value)
    # Rates have three decimals: exact as a JSON number (as the API's reads give them).
    return float(shown) if isinstance(shown, Decimal) else shown


def _fields(serializer: serializers.Serializer) -> Iterable[tuple[str, serializers.Field]]:
    return ((n, f) for n, f in serializer.fields.items() if n not in OMITTED and not f.read_only)


def shape(serializer: serializers.Serializer, record: models.Model) -> dict[str, Any]:
    """The record as its write serializer takes it (related records prefetched or joined)."""
    attributes = ATTRIBUTES.get(type(serializer).__name__, {})
    data: dict[str, Any] = {}
    for name, field in _fields(serializer):
        attribute = attributes.get(name, name)
        if isinstance(field, RefField) and field.lookup == field.model._meta.pk.name:
            # A country named by its code, which is the key the row already holds: no join.
            data[name] = getattr(record, f"{attribute}_id")
            continue
        value = getattr(record, attribute)
        if isinstance(field, RefField):
            data[name] = None if value is None else _identifier(field, value)
        elif isinstance(field, serializers.ListSerializer):
            items = [shape(field.child, item) for item in value.all()]  # type: ignore[arg-type]
            data[name] = items
        elif isinstance(field, serializers.ListField) and isinstance(field.child, RefField):
            data[name] = sorted(_identifier(field.child, item) for item in value.all())
        elif isinstance(field, serializers.ListField):
            data[name] = list(value)
        else:
            data[name] = _scalar(field, value)
    return data


def canonical(serializer: serializers.Serializer, validated: dict[str, Any]) -> dict[str, Any]:
    """Validated write data in the file shape, lists in a fixed order: equal to the `shape()`
    of a stored record (after `ordered()`) exactly when writing it would change nothing."""
    data: dict[str, Any] = {}
    for name, field in _fields(serializer):
        value = validated.get(name)
        if isinstance(field, RefField):
            data[name] = None if value is None else _identifier(field, value)
        elif isinstance(field, serializers.ListSerializer):
            data[name] = [
                canonical(field.child, item)  # type: ignore[arg-type]
                for item in value or []
                if item.get("direction", "outgoing") == "outgoing"
            ]
        elif isinstance(field, serializers.ListField) and isinstance(field.child, RefField):
            data[name] = sorted({_identifier(field.child, item) for item in value or []})
        elif isinstance(field, serializers.ListField):
            data[name] = list(value or [])
        else:
            data[name] = _scalar(field, value)
    return ordered(data)


def ordered(data: Any) -> Any:
    """Nested lists of records sorted (their order carries no meaning), for comparisons."""
    if isinstance(data, dict):
        return {key: ordered(value) for key, value in data.items()}
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return sorted((ordered(item) for item in data), key=lambda item: json.dumps(item))
    return data


# --- CSV ----------------------------------------------------------------------------------------

SEPARATOR = ";"


def _joinable(values: list[str]) -> bool:
    return all(v and SEPARATOR not in v and v == v.strip() for v in values) and not (
        values and values[0].startswith("[")
    )


def _short_participation(item: dict[str, Any]) -> str | None:
    if item["note"] or item["citations"]:
        return None
    parts = [item["participant"], item["role"]] + ([item["country"]] if item["country"] else [])
    return ":".join(parts)


def _short_relation(item: dict[str, Any]) -> str | None:
    return None if item["citations"] else f"{item['relation_type']}:{item['event']}"


SHORT_FORMS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "participations": _short_participation,
    "related_events": _short_relation,
}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def cell(name: str, value: Any) -> str:
    """One value of a file shape as the text of its CSV cell."""
    if value is None:
        return ""
    if isinstance(value, list):
        if not value:
            return ""
        if isinstance(value[0], dict):
            short = SHORT_FORMS.get(name)
            forms = [short(item) for item in value] if short else [None]
            if all(form is not None for form in forms):
                return SEPARATOR.join(str(form) for form in forms)
            return _json(value)
        return SEPARATOR.join(value) if _joinable(value) else _json(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def csv_header(resource: Resource) -> list[str]:
    return resource.columns


def csv_row(resource: Resource, data: dict[str, Any]) -> list[str]:
    return [cell(name, data.get(name)) for name in resource.columns]


class CellError(ValueError):
    pass


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(SEPARATOR)]


def _parse_short(name: str, text: str) -> list[dict[str, Any]]:
    items = []
    for part in _split(text):
        pieces = [piece.strip() for piece in part.split(":")]
        if name == "participations" and len(pieces) in (2, 3):
            item: dict[str, Any] = {"participant": pieces[0], "role": pieces[1]}
            if len(pieces) == 3:
                item["country"] = pieces[2]
            items.append(item)
        elif name == "related_events" and len(pieces) == 2:
            items.append({"relation_type": pieces[0], "event": pieces[1]})
        else:
            expected = {
                "participations": "participant:role or participant:role:COUNTRY",
                "related_events": "relation_type:event",
            }
            if name not in expected:
                raise CellError("Give a JSON list (the text starts with '[').")
            raise CellError(
                f"{part!r} is not {expected[name]}; separate entries with ';', or give a JSON list."
            )
    return items


def parse_cell(field: serializers.Field, name: str, text: str) -> Any:
    """A CSV cell as the value its write field takes; `...` (Ellipsis) when the cell is empty
    and the field should take its default."""
    text = text.strip() if not isinstance(field, serializers.CharField) else text
    if isinstance(field, (serializers.ListField, serializers.ListSerializer)):
        if not text.strip():
            return []
        if text.lstrip().startswith("["):
            try:
                return json.loads(text)
            except ValueError as error:
                raise CellError(f"Not valid JSON: {error}.") from None
            except RecursionError:
                raise CellError(TOO_DEEP) from None
        if isinstance(field, serializers.ListSerializer):
            return _parse_short(name, text)
        return _split(text)
    if text == "":
        if getattr(field, "allow_null", False):
            return None
        if getattr(field, "allow_blank", False):
            return ""
        return ...
    if isinstance(field, serializers.DecimalField):
        try:
            return float(text)
        except ValueError:
            return text  # the field refuses it, with its own message
    return text


def read_csv(text: str) -> Any:
    """A csv.reader over the text (its `line_num` says where each row ends).

    Strict: a quote left open, or text after a closing quote, is an error rather than a cell
    that swallows the rest of the line or of the file. No field limit: the csv module's default
    (131072 characters) would refuse a long source body a JSON file may hold, and the text is
    in memory already; each field's own rules (a slug's length) judge it, as for JSON.
    """
    csv.field_size_limit(_NO_FIELD_LIMIT)
    return csv.reader(io.StringIO(text, newline=""), strict=True)


# The largest limit the csv module takes on every platform (a C long).
_NO_FIELD_LIMIT = 2**31 - 1


def csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()
