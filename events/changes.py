"""The change feed's log: which collection records were created, updated or deleted, in order.

Every change-history entry django-simple-history records (a save, a delete, a many-to-many
change, on any write path) is turned into a `Change` of the collection record it belongs to:
a participation, a related event or a citation changes its event (or the record it cites), so
an entry of the feed always names something a client can fetch at `/api/v1/<collection>/<key>/`.

Inside `batch()` (every API write, admin form and fixture load uses one) the changes of one
operation are merged, so that an event written with its participations and citations appears
once, and written together at the end of the batch.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, models, router
from django.utils import timezone

from .models import (
    Change,
    ChangeKind,
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

COLLECTIONS: dict[type[models.Model], str] = {
    Event: "events",
    Participant: "participants",
    Country: "countries",
    Topic: "topics",
    TariffMeasure: "tariff-measures",
    Statement: "statements",
    Source: "sources",
}
KINDS = {"+": ChangeKind.CREATED, "~": ChangeKind.UPDATED, "-": ChangeKind.DELETED}
# Taken (on PostgreSQL) before writing changes and held until commit: change ids then follow
# commit order, so a client reading "after id N" never misses a change committed later with a
# smaller id. The number is arbitrary and only has to be unique to this lock.
ADVISORY_LOCK = 7_410_310_118

Key = tuple[str, str]  # (collection, key)
_pending: ContextVar[dict[Key, dict[str, Any]] | None] = ContextVar("changes", default=None)


def key_of(record: models.Model) -> Key:
    """The (collection, key) of a collection record."""
    if isinstance(record, Country):
        return ("countries", record.iso2)
    return (COLLECTIONS[type(record)], record.slug)  # type: ignore[attr-defined]


def affected(instance: models.Model, previous: Any) -> tuple[Key | None, list[Key]]:
    """The collection record an instance is (None for a nested record), and the other records
    whose detail shows it, as it is now and as `previous` (its last history entry) had it.

    A nested record (participation, related event, citation) changes the record it belongs to;
    records listed in other records' details (a statement in its event's, a person among an
    organization's members, a topic among its parent's children, a citation among its source's
    facts) change those too.
    """
    others: list[models.Model | None] = []
    own: Key | None = None
    if isinstance(instance, Participation):
        others = [instance.event]
    elif isinstance(instance, EventRelation):
        others = [instance.from_event, instance.to_event]
    elif isinstance(instance, Citation):
        target = instance.target
        if isinstance(target, Participation):
            target = target.event
        elif isinstance(target, EventRelation):
            target = target.from_event
        others = [target, instance.source, _previous(Source, previous, "source_id")]
    else:
        own = key_of(instance)
        if isinstance(instance, Statement):
            others = [instance.event, _previous(Event, previous, "event_id")]
        elif isinstance(instance, Participant):
            others = [instance.affiliation, _previous(Participant, previous, "affiliation_id")]
        elif isinstance(instance, Topic):
            others = [instance.parent, _previous(Topic, previous, "parent_id")]
        elif isinstance(instance, TariffMeasure):
            others = [instance.announced_in, _previous(Event, previous, "announced_in_id")]
            if _exists(instance):  # a deleted measure's links are gone; its last entry has them
                others += list(instance.discussed_in.all())
            if previous is not None:
                ids = [row.event_id for row in previous.discussed_in.all()]
                others += list(Event.objects.filter(pk__in=ids))
    keys = []
    for record in others:
        if record is not None and key_of(record) != own and key_of(record) not in keys:
            keys.append(key_of(record))
    return own, keys


def _exists(instance: models.Model) -> bool:
    return type(instance)._default_manager.filter(pk=instance.pk).exists()


def _previous(model: type[models.Model], previous: Any, attname: str) -> models.Model | None:
    """The record a foreign key pointed to in the last history entry, if it still exists."""
    pk = getattr(previous, attname, None) if previous is not None else None
    return model._default_manager.filter(pk=pk).first() if pk is not None else None


def merge(earlier: str | None, later: str) -> str | None:
    """One kind for two successive changes of a record within a batch (None: no net change)."""
    if earlier is None:
        return later
    if earlier == ChangeKind.CREATED:
        return None if later == ChangeKind.DELETED else ChangeKind.CREATED
    if later == ChangeKind.CREATED:
        # Created after nested records were saved (they say "updated"), or created again
        # under the key of a record deleted earlier in the batch.
        return ChangeKind.UPDATED if earlier == ChangeKind.DELETED else ChangeKind.CREATED
    return later if later == ChangeKind.DELETED else earlier


def record(
    instance: models.Model, history_type: str, user: Any, using: str, previous: Any = None
) -> None:
    """Log the changes one history entry stands for (now, or at the end of the batch)."""
    try:
        own, others = affected(instance, previous)
    except ObjectDoesNotExist:
        # A nested record deleted along with what it belonged to (a citation of a relation
        # that a deleted event took with it): that deletion is logged in its own right.
        return
    _recorded.set(_recorded.get() + 1)
    user = user if getattr(user, "pk", None) else None
    entries = [(key, ChangeKind.UPDATED) for key in others]
    if own is not None:
        entries.insert(0, (own, KINDS[history_type]))
    pending = _pending.get()
    if pending is None:
        _write({key: {"kind": kind, "user": user, "using": using} for key, kind in entries})
        return
    for key, kind in entries:
        merged = merge(pending[key]["kind"], kind) if key in pending else kind
        if merged is None:
            del pending[key]
        else:  # a record keeps the place of its first change in the batch
            pending[key] = {"kind": merged, "user": user, "using": using}


_recorded: ContextVar[int] = ContextVar("recorded", default=0)


def recorded() -> int:
    """How many history entries this context has logged changes for so far: a write that
    leaves it as it was changed nothing (a batch's merged entries cannot tell: a record
    created earlier in the batch and changed again is still just "created")."""
    return _recorded.get()


@contextmanager
def batch() -> Iterator[None]:
    """Merge the changes made inside the block, and log them when it ends without error.

    Use it inside the transaction that makes the changes, so they commit together.
    """
    if _pending.get() is not None:  # already batching: the outer batch logs
        yield
        return
    token = _pending.set({})
    try:
        yield
        pending = _pending.get() or {}
    finally:
        _pending.reset(token)
    _write(pending)


def _write(entries: dict[Key, dict[str, Any]]) -> None:
    if not entries:
        return
    using = next(iter(entries.values()))["using"] or router.db_for_write(Change)
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
    now = timezone.now()
    Change.objects.using(using).bulk_create(
        Change(at=now, collection=collection, key=key, kind=entry["kind"], user=entry["user"])
        for (collection, key), entry in entries.items()
    )


def on_history_entry(
    sender: Any, instance: models.Model, history_instance: Any, **kwargs: Any
) -> None:
    """simple-history's post_create_historical_record signal (connected in apps.py)."""
    using = kwargs.get("using") or router.db_for_write(type(instance))
    previous = history_instance.prev_record
    record(instance, history_instance.history_type, history_instance.history_user, using, previous)
