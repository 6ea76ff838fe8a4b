"""Change history (django-simple-history) for every editable model, fixture loads included.

django-simple-history records a save through its post_save and m2m_changed handlers. A fixture
load saves "raw": post_save records nothing, while each many-to-many `set()` records a partial
"changed" entry with no creation before it. `recording_loaded_records()` replaces that with one
complete entry per loaded record: a creation the first time, a change when a reload altered the
record, nothing when it did not (so loading a fixture twice changes nothing).
"""

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


@contextmanager
def recording_loaded_records(reason: str, using: str) -> Iterator[None]:
    """Record one history entry per record saved raw (by loaddata) inside the block."""
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
    for model, pk in loaded:
        _record(model, pk, reason, using)


def _record(model: type[models.Model], pk: Any, reason: str, using: str) -> None:
    recorder = _recorder_for(model)
    instance = model._default_manager.using(using).get(pk=pk)
    history = getattr(model, recorder.manager_name).using(using)
    previous = history.filter(**{model._meta.pk.attname: pk}).first()
    if previous is not None and not _differs(recorder, instance, previous):
        return  # the reload changed nothing: keep the history as it was
    instance._change_reason = reason  # type: ignore[attr-defined]
    recorder.create_historical_record(instance, "+" if previous is None else "~", using=using)


def _differs(recorder: HistoricalRecords, instance: models.Model, entry: Any) -> bool:
    """Whether the record's fields or many-to-many sets differ from a history entry's."""
    for field in recorder.fields_included(instance):
        if getattr(instance, field.attname) != getattr(entry, field.attname):
            return True
    for field in entry._history_m2m_fields:
        target = get_m2m_reverse_field_name(field)
        now = set(getattr(instance, field.name).values_list("pk", flat=True))
        then = set(getattr(entry, field.name).values_list(f"{target}_id", flat=True))
        if now != then:
            return True
    return False
