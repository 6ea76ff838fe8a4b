"""The read path's fast lane: list rows and event details built from plain rows, without DRF.

DRF's nested serializers cost more than the queries they wait on. The serializers of
events/serializers/read.py stay the one declaration of each JSON shape (the OpenAPI schema, the
slow path and the writes' responses use them); events/shapes.py compiles each into a plain-Python
builder at import, with the columns it reads and the queries of its related lists derived from
the same fields (read in waves: on PostgreSQL a wave is one query). What a declaration
cannot say is declared here, per serializer: the computed fields (`SerializerMethodField`s), the
order of each related list (as the API has always listed them), and the related events (read
from both sides). A field added to a serializer is built here with no other change, or
importing this module fails naming it (`shapes.ShapeError`);
`tests/test_fast_path.py` compares both paths on the article and on synthetic data.

Each builder takes a DB-API cursor, the page's rows (or a slug) and a `Links` holding the API's
base URL.
"""

import base64
import binascii
import datetime
import json
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from .models import CameoCode, Event, EventRelation, Participation
from .serializers import read
from .shapes import (
    Ask,
    Batch,
    Computed,
    KeysSQL,
    Query,
    Row,
    Shape,
    Spec,
    column,
    column_of,
    declare,
    distribute,
    matching,
    shape_of,
)

__all__ = [
    "EVENT_COLUMNS",
    "MEASURE_COLUMNS",
    "Links",
    "Row",
    "as_dicts",
    "decode_cursor",
    "encode_cursor",
    "event_detail",
    "event_rows",
    "measure_rows",
]


class Links:
    """Absolute URLs of the API's records, from the API's base URL (`http://host/api/v1/`)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, collection: str, key: str) -> str:
        return f"{self.base}{collection}/{key}/"


# --- what the serializers cannot say -------------------------------------------------------------

# Annotated by events.views.event_list_queryset() on a list; a subquery of the detail's query.
CAMEO_LABEL = column(
    "cameo_label",
    f"(SELECT label FROM {CameoCode._meta.db_table} WHERE code = {{alias}}.cameo_code)",
)
CITATION_ORDER = "r.key"  # as Citation's
MEASURE_ORDER = "r.announced_on DESC NULLS LAST, r.slug DESC"  # as TariffMeasure's

declare(read.EventParticipantSerializer, Spec(model=Participation))
declare(
    read.EventListSerializer,
    Spec(
        computed={"cameo_label": CAMEO_LABEL}, orders={"participants": "r.role, r_participant.slug"}
    ),
)
declare(
    read.TariffMeasureListSerializer,
    Spec(
        computed={"applies_to_all_countries": Computed("not rel_target_countries.get(row['id'])")}
    ),
)
declare(read.ParticipationSerializer, Spec(orders={"citations": CITATION_ORDER}))
declare(read.EventStatementSerializer, Spec(orders={"citations": CITATION_ORDER}))
declare(
    read.RelatedEventSerializer,
    Spec(
        model=EventRelation,
        computed={"direction": column("direction")},
        orders={"citations": CITATION_ORDER},
    ),
)


class RelatedEvents:
    """An event's related events (RelatedEventSerializer): outgoing relations (this event is
    <type> the other), then incoming ones, each by EventRelation's order; the other event under
    `event`. One query for both directions (a `Loader` of events/shapes.py)."""

    nested = True  # the relations' citations
    shape: Shape

    def __init__(self) -> None:
        self.shape = shape_of(read.RelatedEventSerializer)
        width = len(self.shape.columns)
        event_names, event_expressions, _ = shape_of(read.EventRefSerializer).select("o", "event__")
        table, events = EventRelation._meta.db_table, Event._meta.db_table
        parts = []
        for rank, (direction, here, there) in enumerate(
            (
                ("outgoing", "from_event_id", "to_event_id"),
                ("incoming", "to_event_id", "from_event_id"),
            )
        ):
            expressions = []
            for name in self.shape.columns:
                if name.startswith("event__"):
                    expressions.append(event_expressions[event_names.index(name)])
                elif name == "direction":
                    expressions.append(f"'{direction}'")
                else:
                    expressions.append(f"r.{column_of(EventRelation, name)}")
            # After the shape's columns: the order's keys, then the owner (last).
            expressions += [str(rank), "f.slug", "r.relation_type", "t.slug", f"r.{here}"]
            named = ", ".join(f"{sql} AS c{n}" for n, sql in enumerate(expressions))
            parts.append(
                (
                    f"SELECT {named} FROM {table} r JOIN {events} o ON o.id = r.{there} "
                    f"JOIN {events} f ON f.id = r.from_event_id "
                    f"JOIN {events} t ON t.id = r.to_event_id WHERE ",
                    f"r.{here}",
                )
            )
        self.parts = parts
        self.columns = [f"u.c{n}" for n in range(width + 5)]
        # owner, rank, then the order within a direction
        self.order = ", ".join(f"u.c{width + n}" for n in (4, 0, 1, 2, 3))

    def group(self) -> Any:
        return self

    def query(self, asked: Sequence[Ask]) -> Query:
        branches, params = [], []
        for select, owner in self.parts:
            where, values = matching(owner, asked)
            branches.append(f"{select}({where})")
            params += values
        return Query(self.columns, f"({' UNION ALL '.join(branches)}) u", self.order, params)

    def fill(
        self,
        cursor: Any,
        rows: Sequence[Any],
        base: str,
        batch: Batch,
        asked: Sequence[Ask],
        read: Sequence[Ask],
    ) -> None:
        built = self.shape.page(cursor, rows, base, tuples=True, batch=batch)
        distribute(rows, built, -1, asked)


declare(
    read.EventDetailSerializer,
    Spec(
        computed={"cameo_label": CAMEO_LABEL},
        loaders={"related_events": RelatedEvents()},
        orders={
            "countries": "r.iso2",
            "topics": "r.slug",
            "participations": "r.role, r_participant.slug",
            "statements": "r.stated_on NULLS LAST, r.slug",
            "announced_measures": MEASURE_ORDER,
            "discussed_measures": MEASURE_ORDER,
            "citations": CITATION_ORDER,
        },
    ),
)

# The shapes, compiled at import: a field with no way to build it raises ShapeError here.
EVENT_LIST: Shape = shape_of(read.EventListSerializer)
MEASURE_LIST: Shape = shape_of(read.TariffMeasureListSerializer)
EVENT_DETAIL: Shape = shape_of(read.EventDetailSerializer)

# The columns a list page's rows hold (`QuerySet.values(*EVENT_COLUMNS)`).
EVENT_COLUMNS = EVENT_LIST.columns
MEASURE_COLUMNS = MEASURE_LIST.columns


class ListPage:
    """A list page of one shape. On PostgreSQL, the page query reads each row's related lists
    too, as JSON arrays (`values`; `lists`: the columns' names and SQL), so that building the
    page reads nothing more; elsewhere the page's lists are read after it (a query per
    relation)."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        meta = shape.model._meta
        # The page query's own table, unaliased (no list filter aliases it).
        key = KeysSQL(f'"{meta.db_table}"."{column_of(shape.model, shape.key)}"')
        groups = shape.plan(key)
        self.lists = {
            f"_lists_{n}": asked[0].loader.query(asked).as_json()
            for n, asked in enumerate(groups.values())
        }
        self.groups = list(zip(self.lists, groups.items(), strict=True))

    def values(self, queryset: QuerySet[Any]) -> QuerySet[Any, Row]:
        """The rows of `queryset` as the page needs them: dicts of the shape's columns, and on
        PostgreSQL of each row's related lists."""
        if connections[queryset.db].vendor != "postgresql":
            return queryset.values(*self.shape.columns)
        # SQL compiled from the shapes at import: nothing from a request in it.
        lists = {name: RawSQL(sql, ()) for name, sql in self.lists.items()}  # noqa: S611
        return queryset.values(*self.shape.columns, **lists)

    def rows(self, cursor: Any, page: Sequence[Row], links: Links) -> list[Row]:
        """The page built from dicts of the shape's columns (and `lists`, if selected)."""
        prefetched: dict[Any, tuple[list[Any], list[Ask]]] = {}
        if page and self.lists and next(iter(self.lists)) in page[0]:
            for name, (group, planned) in self.groups:
                rows = [row for record in page for row in orjson.loads(record[name])]
                prefetched[group] = (rows, planned)
        batch = Batch(prefetched)
        built = self.shape.page(cursor, page, links.base, batch=batch)
        batch.flush(cursor, links.base)
        return built


EVENT_PAGE = ListPage(EVENT_LIST)
MEASURE_PAGE = ListPage(MEASURE_LIST)

_, _expressions, _joins = EVENT_DETAIL.select("r")
EVENT_DETAIL_SQL = (
    f"SELECT {', '.join(_expressions)} FROM {Event._meta.db_table} r {' '.join(_joins)} "
    "WHERE r.slug = %s"
)
# On PostgreSQL, the event with every related list, nested ones included, in one query.
EVENT_DETAIL_ONE_QUERY, EVENT_DETAIL_GROUPS = EVENT_DETAIL.one_query("detail", "detail.slug = %s")


# --- the builders ---------------------------------------------------------------------------------


def event_rows(cursor: Any, events: Sequence[Row], links: Links) -> list[Row]:
    """List rows (EventListSerializer) for events given as dicts of EVENT_COLUMNS (and of
    EVENT_PAGE's columns, if selected)."""
    return EVENT_PAGE.rows(cursor, events, links)


def measure_rows(cursor: Any, measures: Sequence[Row], links: Links) -> list[Row]:
    """List rows (TariffMeasureListSerializer) for measures given as dicts of MEASURE_COLUMNS
    (and of MEASURE_PAGE's columns, if selected)."""
    return MEASURE_PAGE.rows(cursor, measures, links)


def event_detail(cursor: Any, slug: str, links: Links) -> Row | None:
    """An event's detail (EventDetailSerializer), or None when no event has the slug."""
    if getattr(getattr(cursor, "db", None), "vendor", None) != "postgresql":
        cursor.execute(EVENT_DETAIL_SQL, [slug])
        found = cursor.fetchone()
        if found is None:
            return None
        return EVENT_DETAIL.page(cursor, [found], links.base, tuples=True)[0]
    cursor.execute(EVENT_DETAIL_ONE_QUERY, [slug])
    found = cursor.fetchone()
    if found is None:
        return None
    width = len(EVENT_DETAIL.columns)
    batch = Batch(
        {
            group: (orjson.loads(rows), planned)
            for (group, planned), rows in zip(EVENT_DETAIL_GROUPS, found[width:], strict=True)
        }
    )
    built = EVENT_DETAIL.page(cursor, [found[:width]], links.base, tuples=True, batch=batch)
    batch.flush(cursor, links.base)
    return built[0]


def as_dicts(cursor: Any, columns: Iterable[str]) -> list[Row]:
    """The cursor's remaining rows as dicts of the given column names."""
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- cursors ------------------------------------------------------------------------------------


def encode_cursor(values: Sequence[Any]) -> str:
    """A cursor: the sort values of a page's last row, as an opaque URL-safe token."""
    plain = [
        None if v is None else v.isoformat() if isinstance(v, datetime.date) else str(v)
        for v in values
    ]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(token: str, fields: Sequence[str]) -> list[str | None]:
    """The sort values a cursor holds, as text or None (ValueError if it is not one of ours)."""
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as error:
        raise ValueError("it cannot be decoded") from error
    if (
        not isinstance(values, list)
        or len(values) != len(fields)
        or not all(v is None or isinstance(v, str) for v in values)
    ):
        raise ValueError(f"it does not hold the {len(fields)} sort values of this list")
    return values
