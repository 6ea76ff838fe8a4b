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


def collection_record(instance: models.Model) -> tuple[Key, bool]:
    """The collection record an instance belongs to, and whether it is that record itself."""
    if isinstance(instance, Participation):
        return collection_record(instance.event)[0], False
    if isinstance(instance, EventRelation):
        return collection_record(instance.from_event)[0], False
    if isinstance(instance, Citation):
        target = instance.target
        if target is None:  # pragma: no cover - a database constraint guarantees one
            raise ValueError(f"Citation {instance.key} supports no record")
        return collection_record(target)[0], False
    if isinstance(instance, Country):
        return ("countries", instance.iso2), True
    return (COLLECTIONS[type(instance)], instance.slug), True  # type: ignore[attr-defined]


def merge(earlier: str | None, later: str) -> str | None:
    """One kind for two successive changes of a record within a batch (None: no net change)."""
    if earlier is None:
        return later
    if earlier == ChangeKind.CREATED:
        return None if later == ChangeKind.DELETED else ChangeKind.CREATED
    if earlier == ChangeKind.DELETED and later == ChangeKind.CREATED:
        return ChangeKind.UPDATED  # deleted, then created again under the same key
    return later if later == ChangeKind.DELETED else earlier


def record(instance: models.Model, history_type: str, user: Any, using: str) -> None:
    """Log the change one history entry stands for (immediately, or at the end of the batch)."""
    key, own = collection_record(instance)
    kind = KINDS[history_type] if own else ChangeKind.UPDATED
    entry = {"kind": kind, "user": user if getattr(user, "pk", None) else None, "using": using}
    pending = _pending.get()
    if pending is None:
        _write({key: entry})
        return
    if key in pending:
        merged = merge(pending[key]["kind"], kind)
        if merged is None:
            del pending[key]
            return
        entry["kind"] = merged
        pending.pop(key)
    pending[key] = entry


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
    record(instance, history_instance.history_type, history_instance.history_user, using)
