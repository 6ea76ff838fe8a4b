"""Reads to the read replicas, everything else to the primary.

`DATABASE_REPLICA_URLS` configures the replicas (policyapi/settings.py). A replica lags the
primary by a little, so a read that must see a write goes to the primary:
- every query inside a transaction on the primary (`transaction.atomic`): what a write checks
  before it writes (If-Match, a row lock, validation) and what it reads back;
- every query of a request that writes (POST, PUT, PATCH, DELETE), and of any request or
  command once it has written (read-your-writes: the response to a write shows that write).
Migrations run on the primary only; the replicas copy its schema.
"""

import random
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

# True once the current request (or command) has written, or when it is a write request.
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)
# The replica the current request reads from: one per request, so that its queries (a count and
# the page it counts) see one state of the data.
_replica: ContextVar[str | None] = ContextVar("replica", default=None)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def pinned_to_primary() -> bool:
    return _pinned.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block


class PrimaryReplicaRouter:
    """The database router (DATABASE_ROUTERS)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        replicas: list[str] = settings.DATABASE_REPLICAS
        if not replicas or pinned_to_primary():
            return DEFAULT_DB_ALIAS
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            # Records related to one already read come from the same database.
            return str(instance._state.db)
        alias = _replica.get()
        if alias not in replicas:
            alias = random.choice(replicas)  # noqa: S311 (spreading load, not a secret)
            _replica.set(alias)
        return alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        _pinned.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # every alias holds the same data

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def read_connection(model: type[Model]) -> Any:
    """The connection a raw SQL read of `model`'s tables goes to (the router's choice)."""
    return connections[router.db_for_read(model)]


class PrimaryForWritesMiddleware:
    """Scopes the routing state to one request: a write request is pinned to the primary from
    its start, a read request starts unpinned and picks its replica afresh (whatever the
    thread's previous request did)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pinned = _pinned.set(request.method not in SAFE_METHODS)
        replica = _replica.set(None)
        try:
            return self.get_response(request)
        finally:
            _pinned.reset(pinned)
            _replica.reset(replica)
