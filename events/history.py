"""Change history (django-simple-history) for every editable model, fixture loads included.

django-simple-history records a save through its post_save and m2m_changed handlers. A fixture
load saves "raw": post_save records nothing, while each many-to-many `set()` records a partial
"changed" entry with no creation before it. `recording_loaded_records()` replaces that with one
complete entry per loaded record: a creation the first time, a change when a reload altered the
record, nothing when it did not (so loading a fixture twice changes nothing).
"""

import datetime
import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models
from django.db.models.signals import post_save
from simple_history.models import HistoricalRecords
from simple_history.utils import get_m2m_reverse_field_name

_RECORDERS: list[HistoricalRecords] = []


def tracked(**options: Any) -> HistoricalRecords:
    """`HistoricalRecords(**options)`, remembered so fixture loads can record entries through it."""
    recorder = HistoricalRecords(**options)
    _RECORDERS.append(recorder)
    return recorder


def _recorder_for(model: type[models.Model]) -> HistoricalRecords:
    for recorder in _RECORDERS:
        if recorder.cls is model:
            return recorder
    raise LookupError(f"{model.__name__} has no change history")


def record_entry(instance: models.Model, history_type: str, *, changed: bool = False) -> None:
    """Record one history entry ("+" created, "~" changed) for the record as it is now,
    many-to-many fields included (events/services.py writes one per API write). A change
    that leaves every field as the last entry has it records nothing, unless the caller saw
    the stored record change (`changed`: a row written outside the history, by SQL, is
    still a change to log)."""
    recorder = _recorder_for(type(instance))
    if history_type == "~" and not changed:
        history = getattr(type(instance), recorder.manager_name)
        previous = history.filter(**{instance._meta.pk.attname: instance.pk}).first()
        if previous is not None and not _differs(recorder, instance, previous):
            return
    recorder.create_historical_record(instance, history_type)


@contextmanager
def recording_loaded_records(reason: str, using: str, user: Any = None) -> Iterator[None]:
    """Record one history entry per record saved raw (by loaddata) inside the block, by `user`
    (None: no user). Also logs the loaded records in the change feed, as one batch."""
    loaded: dict[tuple[type[models.Model], Any], None] = {}

    def collect(sender: type[models.Model], instance: models.Model, raw: bool, **_: Any) -> None:
        if raw and any(recorder.cls is sender for recorder in _RECORDERS):
            # Silences simple-history's m2m_changed handler for this instance.
            instance.skip_history_when_saving = True  # type: ignore[attr-defined]
            loaded[(sender, instance.pk)] = None

    post_save.connect(collect, weak=False, dispatch_uid="events.history.collect")
    try:
        yield
    finally:
        post_save.disconnect(dispatch_uid="events.history.collect")
    from . import changes  # models import this module; changes imports the models

    with changes.batch():
        for model, pk in loaded:
            _record(model, pk, reason, using, user)


def _record(model: type[models.Model], pk: Any, reason: str, using: str, user: Any) -> None:
    recorder = _recorder_for(model)
    instance = model._default_manager.using(using).get(pk=pk)
    history = getattr(model, recorder.manager_name).using(using)
    previous = history.filter(**{model._meta.pk.attname: pk}).first()
    if previous is not None and not _differs(recorder, instance, previous):
        return  # the reload changed nothing: keep the history as it was
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance._history_user = user  # type: ignore[attr-defined]
    recorder.create_historical_record(instance, "+" if previous is None else "~", using=using)


def _differs(recorder: HistoricalRecords, instance: models.Model, entry: Any) -> bool:
    """Whether the record's fields or many-to-many sets differ from a history entry's."""
    for field in recorder.fields_included(instance):
        if field.name in ("created_at", "updated_at"):
            continue  # when it was written is not what was written
        if getattr(instance, field.attname) != getattr(entry, field.attname):
            return True
    for field in entry._history_m2m_fields:
        target = get_m2m_reverse_field_name(field)
        now = set(getattr(instance, field.name).values_list("pk", flat=True))
        then = set(getattr(entry, field.name).values_list(f"{target}_id", flat=True))
        if now != then:
            return True
    return False


# --- reading a record's history back -----------------------------------------------------------

KINDS = {"+": "created", "~": "updated", "-": "deleted"}
NOT_SHOWN = {"id", "created_at", "updated_at"}


def entries_of(model: type[models.Model], field: str, value: str) -> list[dict[str, Any]] | None:
    """Every change to the record whose `field` is `value` (deleted records included), newest
    first; None when no such record ever existed.

    Changes to nested records (an event's participations and related events, a record's
    citations) are entries of their own, as a change of the field that holds them.
    """
    History = getattr(model, _recorder_for(model).manager_name).model
    order = ("history_date", "history_id")
    latest = History.objects.filter(**{field: value}).order_by(*[f"-{o}" for o in order]).first()
    if latest is None:
        return None
    pk = getattr(latest, model._meta.pk.attname)
    rows = History.objects.filter(**{model._meta.pk.attname: pk}).select_related("history_user")
    entries = _own_entries(model, list(rows.order_by(*order)))
    for name, nested_model, fk, describe in _nested(model):
        nested_history = getattr(nested_model, _recorder_for(nested_model).manager_name).model
        nested_rows = nested_history.objects.filter(**{f"{fk}_id": pk}).select_related(
            "history_user"
        )
        entries += _nested_entries(name, list(nested_rows.order_by(*order)), describe)
    return list(reversed(_group(sorted(entries, key=lambda entry: entry["at"]))))


# A record's own entry and the entries of its nested records that follow it, by the same user
# with the same reason this close together, are one write (an event saved with its
# participations and citations): they are shown as one entry. Two of the record's own entries
# are always two writes, however close.
SAME_WRITE = datetime.timedelta(seconds=2)


def _group(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    grouped: list[dict[str, Any]] = []
    for entry in entries:
        last = grouped[-1] if grouped else None
        if (
            last is not None
            and not entry["own"]
            and (last["user"], last["reason"]) == (entry["user"], entry["reason"])
            and entry["at"] - last["started"] <= SAME_WRITE
            and last["kind"] != "deleted"
        ):
            last["changes"] = last["changes"] + entry["changes"]
            last["at"] = entry["at"]
            continue
        grouped.append({**entry, "started": entry["at"]})
    for entry in grouped:
        del entry["started"], entry["own"]
    return grouped


def _own_entries(model: type[models.Model], rows: list[Any]) -> list[dict[str, Any]]:
    entries, previous = [], None
    for row in rows:
        if previous is None:
            values = {
                f.name: getattr(row, f.attname)
                for f in model._meta.concrete_fields
                if f.name not in NOT_SHOWN
            }
            for field in row._history_m2m_fields:
                target = field.related_model._meta.model_name
                values[field.name] = [
                    {target: getattr(through, f"{target}_id")}
                    for through in getattr(row, field.name).all()
                ]
            changes = [
                {"field": name, "old": None, "new": _display(model, name, value)}
                for name, value in values.items()
                if value not in (None, "", [])
            ]
        elif row.history_type == "-":
            changes = []
        else:
            position = {f.name: i for i, f in enumerate(model._meta.get_fields())}
            delta = row.diff_against(previous, excluded_fields=NOT_SHOWN)
            changes = [
                {
                    "field": change.field,
                    "old": _display(model, change.field, change.old),
                    "new": _display(model, change.field, change.new),
                }
                for change in sorted(delta.changes, key=lambda c: position[c.field])
            ]
        entries.append(_entry(row, changes, own=True))
        previous = row
    return entries


def _nested_entries(name: str, rows: list[Any], describe: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    last: dict[Any, Any] = {}
    for row in rows:
        before = last.get(row.id)
        old = describe(before) if before is not None and before.history_type != "-" else None
        new = None if row.history_type == "-" else describe(row)
        if old != new:
            changes = [{"field": name, "old": old, "new": new}]
            entries.append(_entry(row, changes, kind="updated", own=False))
        last[row.id] = row
    return entries


def _entry(
    row: Any, changes: list[dict[str, Any]], *, own: bool, kind: str | None = None
) -> dict[str, Any]:
    user = row.history_user
    return {
        "own": own,
        "at": row.history_date,
        "user": user.get_username() if user is not None else None,
        "kind": kind or KINDS[row.history_type],
        "reason": row.history_change_reason or "",
        "changes": changes,
    }


def _nested(model: type[models.Model]) -> list[tuple[str, type[models.Model], str, Any]]:
    from .models import Citation, Event, EventRelation, Participation

    nested: list[tuple[str, type[models.Model], str, Any]] = []
    if model is Event:
        nested.append(
            (
                "participations",
                Participation,
                "event",
                lambda r: {
                    "participant": _slug("participant", r.participant_id),
                    "role": r.role,
                    "country": r.country_id,
                    "note": r.note,
                },
            )
        )
        nested.append(
            (
                "related_events",
                EventRelation,
                "from_event",
                lambda r: {
                    "relation_type": r.relation_type,
                    "event": _slug("event", r.to_event_id),
                },
            )
        )
    fks = [n for n in Citation.TARGETS if Citation._meta.get_field(n).related_model is model]
    fk = fks[0] if fks else None
    if fk is not None:
        nested.append(
            (
                "citations",
                Citation,
                fk,
                lambda r: {
                    "source": _slug("source", r.source_id),
                    "excerpt": r.excerpt,
                    "field": r.field,
                },
            )
        )
    return nested


def _slug(model_name: str, pk: Any) -> Any:
    """The slug of a related record (even a deleted one, from its history), else its id."""
    from django.apps import apps

    if pk is None:
        return None
    model = apps.get_model("events", model_name)
    slug = model._default_manager.filter(pk=pk).values_list("slug", flat=True).first()
    if slug is None:
        slug = (
            getattr(model, _recorder_for(model).manager_name)
            .filter(id=pk)
            .values_list("slug", flat=True)
            .first()
        )
    return slug if slug is not None else pk


def _display(model: type[models.Model], name: str, value: Any) -> Any:
    """A history value as the API shows it: related records by slug (countries by code),
    many-to-many fields as lists, dates and numbers as JSON-friendly values."""
    field = model._meta.get_field(name)
    if field.many_to_many:
        target = field.related_model._meta.model_name  # type: ignore[union-attr]
        ids = [row[target] if isinstance(row, dict) else row for row in (value or [])]
        if target == "country":
            return sorted(ids)
        return sorted(str(_slug(str(target), pk)) for pk in ids)
    if field.is_relation and value is not None:
        target = field.related_model._meta.model_name  # type: ignore[union-attr]
        return value if target == "country" else _slug(str(target), value)
    if isinstance(value, (datetime.date, datetime.datetime, decimal.Decimal)):
        return str(value) if not isinstance(value, decimal.Decimal) else float(value)
    return value
