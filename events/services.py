"""Writing records: the one place the API creates, replaces, updates and deletes data.

The rules are the models' own (field validation, `clean()`, and the database constraints through
`validate_constraints()`): `full_clean()` runs on every record and nested record before it is
saved, so the API, the admin and importers answer a bad value with the same message. Each
function is one transaction: a write that fails anywhere leaves nothing behind. The change feed
gets one entry per collection record the write touched (events/changes.py).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction

from . import changes, history
from .models import Citation, Event, EventRelation, Participation, Source


class WriteError(Exception):
    """A write refused by validation: `errors` maps API field names to messages (nested records
    as lists, index for index)."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(errors)
        self.errors = errors


def _validate(record: models.Model, names: dict[str, str] | None = None) -> dict[str, list[str]]:
    """The model's validation errors, keyed by API field name (`names` maps model to API)."""
    try:
        record.full_clean()
    except ValidationError as error:
        names = names or {}
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else names.get(field, field)): messages
            for field, messages in error.message_dict.items()
        }
    return {}


def _nested_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    return errors if any(errors) else None


# --- citations --------------------------------------------------------------------------------


def replace_citations(
    target: models.Model, items: Sequence[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """Make `target`'s citations exactly `items` ({source, excerpt, field}); keep the ones that
    stay (and their keys and history). Returns per-item errors, or None."""
    fk = _citation_fk(target)
    existing = {
        (c.source_id, c.excerpt, c.field): c for c in Citation.objects.filter(**{fk: target})
    }
    wanted: dict[tuple[Any, str, str], dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        source: Source = item["source"]
        key = (source.pk, item["excerpt"], item.get("field", ""))
        citation = existing.get(key) or Citation(
            source=source, excerpt=item["excerpt"], field=item.get("field", ""), **{fk: target}
        )
        errors.append(_validate(citation) if citation.pk is None else {})
        wanted[key] = {"citation": citation, "index": index}
    if _nested_errors(errors):
        return errors
    for key, citation in existing.items():
        if key not in wanted:
            citation.delete()
    for entry in wanted.values():
        if entry["citation"].pk is None:
            try:
                entry["citation"].save()
            except ValidationError as error:  # the body changed meanwhile (Citation.save)
                errors[entry["index"]] = error.message_dict
    return _nested_errors(errors)


def _citation_fk(target: models.Model) -> str:
    for name in Citation.TARGETS:
        related: Any = Citation._meta.get_field(name).related_model
        if isinstance(target, related):
            return name
    raise TypeError(f"{type(target).__name__} records have no citations")


# --- an event's participations and related events ---------------------------------------------


def _remember(record: models.Model, names: Sequence[str]) -> None:
    """Note the values of `names` as stored, for _changed()."""
    record._stored = {name: getattr(record, name) for name in names}  # type: ignore[attr-defined]


def _changed(record: models.Model, names: Sequence[str]) -> bool:
    """Whether `names` differ from what _remember() noted: an unchanged nested record is not
    saved again (a save records a history entry, and a change of the record it belongs to)."""
    stored = getattr(record, "_stored", None)
    return stored is None or any(getattr(record, name) != stored[name] for name in names)


def replace_participations(
    event: Event, items: Sequence[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    existing = {(p.participant_id, p.role): p for p in event.participations.all()}
    errors: list[dict[str, Any]] = []
    kept: list[tuple[Participation, Sequence[dict[str, Any]] | None]] = []
    seen: set[tuple[Any, str]] = set()
    for item in items:
        key = (item["participant"].pk, item["role"])
        participation = existing.get(key) or Participation(
            event=event, participant=item["participant"], role=item["role"]
        )
        _remember(participation, ("country_id", "note"))
        participation.country = item.get("country")
        participation.note = item.get("note", "")
        item_errors = _validate(participation)
        if key in seen:
            item_errors.setdefault("role", []).append(
                "The participant has this role twice in the list."
            )
        seen.add(key)
        errors.append(item_errors)
        kept.append((participation, item.get("citations")))
    if _nested_errors(errors):
        return errors
    for key, participation in existing.items():
        if key not in seen:
            participation.delete()
    for index, (participation, citations) in enumerate(kept):
        if participation.pk is None or _changed(participation, ("country_id", "note")):
            participation.save()
        if citations is not None:
            citation_errors = replace_citations(participation, citations)
            if citation_errors:
                errors[index] = {"citations": citation_errors}
    return _nested_errors(errors)


def replace_related_events(
    event: Event, items: Sequence[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The event's outgoing relations (this event is <type> the other); incoming ones belong to
    the other event and are left alone (entries with direction "incoming" are skipped)."""
    existing = {(r.to_event_id, r.relation_type): r for r in event.relations_from.all()}
    errors: list[dict[str, Any]] = []
    kept: list[tuple[int, EventRelation, Sequence[dict[str, Any]] | None]] = []
    seen: set[tuple[Any, str]] = set()
    for index, item in enumerate(items):
        if item.get("direction", "outgoing") != "outgoing":
            errors.append({})
            continue
        key = (item["event"].pk, item["relation_type"])
        relation = existing.get(key) or EventRelation(
            from_event=event, to_event=item["event"], relation_type=item["relation_type"]
        )
        item_errors = _validate(relation, {"to_event": "event"})
        if key in seen:
            item_errors.setdefault("event", []).append("This relation is listed twice.")
        seen.add(key)
        errors.append(item_errors)
        kept.append((index, relation, item.get("citations")))
    if _nested_errors(errors):
        return errors
    for key, relation in existing.items():
        if key not in seen:
            relation.delete()
    for index, relation, citations in kept:
        if relation.pk is None:  # a kept relation has nothing to change but its citations
            relation.save()
        if citations is not None:
            citation_errors = replace_citations(relation, citations)
            if citation_errors:
                errors[index] = {"citations": citation_errors}
    return _nested_errors(errors)


NESTED_WRITERS: dict[str, Any] = {
    "participations": replace_participations,
    "related_events": replace_related_events,
    "citations": replace_citations,
}


# --- records ----------------------------------------------------------------------------------


def save_record(
    *, model: type[models.Model], instance: models.Model | None, data: dict[str, Any]
) -> models.Model:
    """Create (`instance` None) or change a record from validated API data.

    `data` holds model field values (related records already looked up), lists of records
    for many-to-many fields, and lists of dicts for nested records (participations, related
    events, citations), each of which replaces what the record had.
    """
    data = dict(data)
    many = {f.name for f in model._meta.many_to_many}
    m2m = {name: data.pop(name) for name in list(data) if name in many}
    nested = {name: data.pop(name) for name in list(data) if name in NESTED_WRITERS}
    record = instance if instance is not None else model()
    stored_at = getattr(instance, "updated_at", None)
    try:
        _write_record(record, instance is None, data, m2m, nested)
    except _Unchanged:
        # Nothing changed: the saves' new updated_at is undone with the rest, so the record,
        # its ETag and every cached answer that shows it stay as they were.
        record.updated_at = stored_at  # type: ignore[attr-defined]
    return record


def _stored_state(record: models.Model, m2m: dict[str, Any]) -> tuple[Any, ...]:
    """The record's own values (not when it was written) and the keys of the many-to-many
    fields the write sets, to tell whether the write changed them."""
    own = tuple(
        getattr(record, field.attname)
        for field in record._meta.concrete_fields
        if field.name not in ("created_at", "updated_at")
    )
    related = tuple(
        frozenset(getattr(record, name).values_list("pk", flat=True)) for name in sorted(m2m)
    )
    return own, related


class _Unchanged(Exception):
    """A write that changed nothing (no history entry, no change): its transaction is undone."""


def _write_record(
    record: models.Model,
    created: bool,
    data: dict[str, Any],
    m2m: dict[str, Any],
    nested: dict[str, Any],
) -> None:
    with transaction.atomic(), changes.batch():
        before = changes.recorded()
        stored = None if created else _stored_state(record, m2m)
        for name, value in data.items():
            setattr(record, name, value)
        errors: dict[str, Any] = _validate(record)
        if errors:
            raise WriteError(errors)
        # One history entry for the record, with its many-to-many fields in their final state
        # (simple-history would add one per save and per set()); nested records get theirs.
        record.skip_history_when_saving = True  # type: ignore[attr-defined]
        try:
            record.save()
            for name, values in m2m.items():
                getattr(record, name).set(_unique(values))
            changed = stored is not None and _stored_state(record, m2m) != stored
            history.record_entry(record, "+" if created else "~", changed=changed)
            for name, items in nested.items():
                nested_errors = NESTED_WRITERS[name](record, items)
                if nested_errors:
                    errors[name] = nested_errors
            if errors:
                raise WriteError(errors)  # rolls back everything written above
            if nested:
                # What the record embeds may have changed while its own row did not: touch
                # it, so that its updated_at and ETag move.
                record.save(update_fields=["updated_at"])
            if not created and not changed and changes.recorded() == before:
                raise _Unchanged
        finally:
            del record.skip_history_when_saving  # type: ignore[attr-defined]


def delete_record(instance: models.Model) -> None:
    with transaction.atomic(), changes.batch():
        instance.delete()


def _unique(values: Iterable[models.Model]) -> list[models.Model]:
    return list({value.pk: value for value in values}.values())
