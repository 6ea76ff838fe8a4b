"""Row builders compiled from the read serializers: each JSON shape is declared once.

The serializers of events/serializers/read.py are the declaration of what the API returns (the
OpenAPI schema is generated from them, and the slow path runs them). `compile_shape()` walks a
serializer's fields once, at import, and compiles a plain-Python builder that turns dicts of
column values (from `QuerySet.values()` or SQL rows) into exactly what the serializer returns:

- the columns a shape reads (`Shape.columns`) are the fields' sources;
- each field's converter follows from its type (dates as ISO text, datetimes as DRF writes them,
  decimals as numbers, identity URLs from the base URL and the lookup field, a nested record
  from its own serializer, inlined);
- related records (lists of codes, nested serializers with `many=True`) are loaded for the
  whole page, never per row, by a `Loader`: its query is built from the model's relation
  metadata and the nested shape's own columns (joining the tables of nested records read
  through a foreign key); the caller declares only the order of a nested list
  (`Spec(orders=...)`), or a loader of its own (`Spec(loaders=...)`);
- a page's loads are collected in a `Batch` and read in waves once the rest is built: records
  with related lists of their own first, then everything they and the page asked for. Records
  of one table read at several places of a shape (an event's citations, its participations',
  its statements', its relations') are one query; on PostgreSQL a whole wave is one query,
  each relation's rows a JSON array in it;
- on PostgreSQL a record can be read with all its related lists, nested ones included, in one
  query (`Shape.plan`, `Shape.one_query`: the keys of a nested list selected by a subquery),
  and a list page's query can select its rows' lists (events/fast.py, `ListPage`);
- a `SerializerMethodField` has no source to read: the caller declares how it is computed
  (`Spec(computed=...)`), or compiling fails.

The caller (events/fast.py) declares a serializer's `Spec` with `declare()` before its shape is
first compiled (`shape_of()`).

A field the compiler cannot build (a method field nobody declared, an unknown field type, a
relation with no loader) raises `ShapeError` naming it, when the module that compiles the
shape is imported: a field added to a serializer appears on the fast path or fails loudly.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import orjson
from django.db import models
from rest_framework import serializers

from .serializers.read import DETAIL_VIEWS, CodeListField

Row = dict[str, Any]
Builder = Callable[[Sequence[Any], str, Mapping[str, Mapping[Any, Any]]], list[Row]]

# The collection (URL segment) of each detail view, for identity URLs.
COLLECTIONS = {f"api:{view}": collection for collection, (view, _) in DETAIL_VIEWS.items()}


class ShapeError(Exception):
    """A serializer field the fast path cannot build."""


# Values come from database rows, or from JSON that PostgreSQL built (Batch): dates as ISO
# text, timestamps as ISO text with an offset, decimals as numbers.


def date(value: datetime.date | str | None) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


def timestamp(value: datetime.datetime | str | None) -> str | None:
    """As DRF writes a UTC datetime: ISO 8601 with a Z."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    text = value.astimezone(datetime.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def number(value: Any) -> float | None:
    """A decimal as DRF writes it with COERCE_DECIMAL_TO_STRING off: a JSON number."""
    return float(value) if value is not None else None


def column_of(model: type[models.Model], name: str) -> str:
    """The column of a model's field (by name or attname)."""
    found = model._meta.get_field(name)
    if not isinstance(found, models.Field):
        raise ShapeError(f"{model.__name__}.{name}: not a column")
    return str(found.column)


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


class Loader(Protocol):
    """Loads a related field's values for a page, through a `Batch`: `query` reads what the
    asks of one group want (each ask: the loader, its owners' keys, the lists to fill), `fill`
    builds the rows and fills each ask's lists (owner key -> value). Loaders whose records have
    related lists of their own are `nested`: their group runs first, so that those lists join
    the batch."""

    nested: bool

    @property
    def shape(self) -> "Shape | None":
        """The records' shape (None: plain values)."""

    def group(self) -> Any: ...

    def query(self, asked: Sequence["Ask"]) -> "Query": ...

    def fill(
        self,
        cursor: Any,
        rows: Sequence[Any],
        base: str,
        batch: "Batch",
        asked: Sequence["Ask"],
        read: Sequence["Ask"],
    ) -> None:
        """Build `rows`, read by the query of the asks `read`, into the lists of `asked`."""


@dataclass(frozen=True)
class Computed:
    """How the fast path computes a field with no source (a SerializerMethodField).

    `expression` is Python over `row` (the row's columns) and `rel_<field>` (a related field's
    loaded values, owner key -> value); `columns` are the columns it reads, with the SQL that
    selects each (`sql`, where the shape is read by a generated query; `{alias}` is the row's
    table).
    """

    expression: str
    columns: tuple[str, ...] = ()
    sql: Mapping[str, str] = field(default_factory=dict)


def column(name: str, sql: str | None = None) -> Computed:
    """A field read from a column the queryset annotates (or `sql` selects)."""
    return Computed(f"row[{name!r}]", (name,), {name: sql} if sql is not None else {})


@dataclass(frozen=True)
class Shape:
    """A compiled serializer: `build(rows, base, related)` returns the serializer's output for
    rows holding `columns`; `page(cursor, rows, base)` loads the related fields first."""

    serializer: type[serializers.BaseSerializer[Any]]
    model: type[models.Model]
    columns: tuple[str, ...]
    key: str
    loaders: Mapping[str, Loader]
    build: Builder  # rows as dicts of `columns`
    build_tuples: Builder  # rows as tuples of `columns`, in order (SQL rows)
    eager: bool  # a computed field reads a related list: loaded before the rows are built
    sql: Mapping[str, str]
    items: tuple[str, ...]  # the dict's entries, Python over `row`, `base` and `rel_<field>`
    source: str  # the builder's code

    def page(
        self,
        cursor: Any,
        rows: Sequence[Any],
        base: str,
        tuples: bool = False,
        batch: "Batch | None" = None,
    ) -> list[Row]:
        """The rows built, as dicts of `columns` (or sequences of them, with `tuples`). Within a
        `batch`, the related lists are filled in when the batch is flushed; without one, the
        rows come back complete."""
        if not self.loaders:
            return (self.build_tuples if tuples else self.build)(rows, base, {})
        own = batch is None
        if batch is None:
            batch = Batch()
        key = self.columns.index(self.key) if tuples else self.key
        keys = [row[key] for row in rows]
        related: dict[str, Mapping[Any, Any]] = {
            name: batch.defer(load, keys) if keys else defaultdict(list)
            for name, load in self.loaders.items()
        }
        # A computed field reading a related list needs it before the rows are built.
        if own or self.eager:
            batch.flush(cursor, base)
        return (self.build_tuples if tuples else self.build)(rows, base, related)

    def plan(self, keys: "KeysSQL") -> dict[Any, list["Ask"]]:
        """Every load that building the records `keys` selects would ask for, its related
        lists' and theirs included, by group: the keys of each nested list as a subquery of
        its owners' query."""
        groups: dict[Any, list[Ask]] = {}

        def visit(shape: Shape, keys: KeysSQL) -> None:
            for loader in shape.loaders.values():
                ask = Ask(loader, keys, {})
                groups.setdefault(loader.group(), []).append(ask)
                child = loader.shape
                if child is not None and child.loaders:
                    query = loader.query([ask])
                    key = query.columns[child.columns.index(child.key)]
                    visit(child, KeysSubquery(f"SELECT {key} FROM {query.body}"))

        visit(self, keys)
        return groups

    def one_query(self, alias: str, where: str) -> tuple[str, list[tuple[Any, list["Ask"]]]]:
        """PostgreSQL: the records of this shape that `where` selects (from table `alias`),
        each with all its related lists, nested ones included, in one query: the shape's
        columns, then one JSON array per group of `plan`. Returns the SQL and the groups with
        their planned asks, in the order of their columns (for `Batch(prefetched=...)`)."""
        _, expressions, joins = self.select(alias)
        key = KeysSQL(f"{alias}.{column_of(self.model, self.key)}")
        groups = self.plan(key)
        lists = [asked[0].loader.query(asked).as_json() for asked in groups.values()]
        sql = (
            f"SELECT {', '.join([*expressions, *lists])} FROM {self.model._meta.db_table} "
            f"{alias} {' '.join(joins)} WHERE {where}"
        )
        return sql, list(groups.items())

    def select(self, alias: str, prefix: str = "") -> tuple[list[str], list[str], list[str]]:
        """SQL for this shape's columns from table `alias`: (row keys, expressions, joins).

        A column through a foreign key (`speaker__name`) joins the related table as
        `<alias>_<relation>`; a computed column is selected by its declared SQL.
        """
        names, expressions, joins = [], [], []
        joined: set[str] = set()
        for name in self.columns:
            names.append(prefix + name)
            if name in self.sql:
                expressions.append(self.sql[name].format(alias=alias))
                continue
            *path, attribute = name.split("__")
            model, table = self.model, alias
            if len(path) > 1:
                raise ShapeError(f"{self.serializer.__name__}: column {name}: too deep")
            if path:
                relation = model._meta.get_field(path[0])
                if not isinstance(relation, models.ForeignKey):
                    raise ShapeError(f"{self.serializer.__name__}: {path[0]} is no foreign key")
                model, table = relation.related_model, f"{alias}_{path[0]}"  # type: ignore[assignment]
                if table not in joined:
                    joined.add(table)
                    kind = "LEFT JOIN" if relation.null else "JOIN"
                    joins.append(
                        f"{kind} {model._meta.db_table} {table} "
                        f"ON {table}.{relation.target_field.column} = {alias}.{relation.column}"
                    )
            expressions.append(f"{table}.{column_of(model, attribute)}")
        return names, expressions, joins


@dataclass(frozen=True)
class Spec:
    """What a serializer's shape needs beyond its fields: computed fields, loaders (for a
    relation whose query cannot be derived), the orders of derived relation queries, and the
    model (for a plain Serializer)."""

    computed: Mapping[str, Computed] = field(default_factory=dict)
    loaders: Mapping[str, Loader] = field(default_factory=dict)
    orders: Mapping[str, str] = field(default_factory=dict)
    model: type[models.Model] | None = None


SPECS: dict[type[serializers.BaseSerializer[Any]], Spec] = {}
SHAPES: dict[type[serializers.BaseSerializer[Any]], Shape] = {}


def declare(serializer: type[serializers.BaseSerializer[Any]], spec: Spec) -> None:
    SPECS[serializer] = spec


def shape_of(serializer: type[serializers.BaseSerializer[Any]]) -> Shape:
    """The serializer's compiled shape (compiled once)."""
    if serializer not in SHAPES:
        SHAPES[serializer] = compile_shape(serializer, SPECS.get(serializer, Spec()))
    return SHAPES[serializer]


def _model(serializer: type[serializers.BaseSerializer[Any]], spec: Spec) -> type[models.Model]:
    meta = getattr(serializer, "Meta", None)
    model = spec.model or getattr(meta, "model", None)
    if model is None:
        raise ShapeError(f"{serializer.__name__}: no model (declare Spec(model=...))")
    return model


SCALARS: tuple[tuple[type[serializers.Field], str], ...] = (
    (serializers.DateTimeField, "timestamp({})"),
    (serializers.DateField, "date({})"),
    (serializers.DecimalField, "number({})"),
    (serializers.FloatField, "number({})"),
    (serializers.CharField, "{}"),
    (serializers.ChoiceField, "{}"),
    (serializers.IntegerField, "{}"),
    (serializers.BooleanField, "{}"),
)


def compile_shape(serializer: type[serializers.BaseSerializer[Any]], spec: Spec) -> Shape:
    model = _model(serializer, spec)
    columns: list[str] = []
    sql: dict[str, str] = {}
    loaders: dict[str, Loader] = {}
    items: list[str] = []
    key = "id"

    def read(name: str) -> str:
        if name not in columns:
            columns.append(name)
        return f"row[{name!r}]"

    def nested_many(name: str, child: type[serializers.BaseSerializer[Any]], source: str) -> None:
        order = spec.orders.get(name)
        if order is None:
            raise ShapeError(
                f"{serializer.__name__}.{name}: a nested list needs its order "
                "(Spec(orders=...)) or a loader (Spec(loaders=...))"
            )
        loaders[name] = RelationLoader(model, source, shape_of(child), order)

    instance = serializer()
    for name, declared in instance.fields.items():  # type: ignore[attr-defined]
        what = f"{serializer.__name__}.{name}"
        source = str(declared.source).replace(".", "__")
        if name in spec.computed:
            computed = spec.computed[name]
            for column_name in computed.columns:
                read(column_name)
            sql.update(computed.sql)
            items.append(f"{name!r}: {computed.expression}")
        elif name in spec.loaders:
            loaders[name] = spec.loaders[name]
            items.append(f"{name!r}: rel_{name}[row[{key!r}]]")
        elif isinstance(declared, serializers.HyperlinkedIdentityField):
            collection = COLLECTIONS.get(str(declared.view_name))
            if collection is None:
                raise ShapeError(f"{what}: no collection has the view {declared.view_name}")
            lookup = read(declared.lookup_field)
            items.append(f"{name!r}: base + {collection + '/'!r} + {lookup} + '/'")
        elif isinstance(declared, serializers.SerializerMethodField):
            raise ShapeError(f"{what}: a method field: declare how it is computed (Computed)")
        elif isinstance(declared, CodeListField):
            loaders[name] = CodesLoader(model, source, declared.attribute)
            items.append(f"{name!r}: rel_{name}[row[{key!r}]]")
        elif isinstance(declared, serializers.ListSerializer):
            nested_many(name, type(declared.child), source)  # type: ignore[arg-type]
            items.append(f"{name!r}: rel_{name}[row[{key!r}]]")
        elif isinstance(declared, serializers.BaseSerializer):
            items.append(f"{name!r}: {_inline(what, model, source, declared, read)}")
        elif isinstance(declared, serializers.ListField):
            raise ShapeError(f"{what}: a list field the fast path cannot load")
        else:
            template = next((t for kind, t in SCALARS if isinstance(declared, kind)), None)
            if template is None:
                raise ShapeError(f"{what}: no converter for {type(declared).__name__}")
            items.append(f"{name!r}: {template.format(read(source))}")
    if loaders:
        read(key)
    body = ",\n            ".join(items)
    bindings = "".join(f"    rel_{name} = related[{name!r}]\n" for name in loaders)
    code = (
        "def build(rows, base, related):\n"
        f"{bindings}"
        "    return [\n"
        "        {\n"
        f"            {body}\n"
        "        }\n"
        "        for row in rows\n"
        "    ]\n"
    )
    by_position = code
    for position, name in enumerate(columns):
        by_position = by_position.replace(f"row[{name!r}]", f"row[{position}]")
    return Shape(
        serializer=serializer,
        model=model,
        columns=tuple(columns),
        key=key,
        loaders=loaders,
        build=_function(code, serializer.__name__),
        build_tuples=_function(by_position, f"{serializer.__name__} (tuples)"),
        eager=any("rel_" in computed.expression for computed in spec.computed.values()),
        sql=sql,
        items=tuple(items),
        source=code,
    )


def _function(code: str, name: str) -> Builder:
    namespace: dict[str, Any] = {"date": date, "timestamp": timestamp, "number": number}
    exec(compile(code, f"<shape {name}>", "exec"), namespace)  # noqa: S102
    builder: Builder = namespace["build"]
    return builder


def _inline(
    what: str,
    model: type[models.Model],
    source: str,
    declared: serializers.BaseSerializer[Any],
    read: Callable[[str], str],
) -> str:
    """A nested record read through a foreign key, built inline from prefixed columns."""
    nested = shape_of(type(declared))
    if nested.loaders:
        raise ShapeError(f"{what}: a nested record with related lists of its own")
    prefix = source + "__"
    # The nested shape's dict, over the prefixed columns.
    items = ", ".join(nested.items)
    for name in nested.columns:
        items = items.replace(f"row[{name!r}]", read(prefix + name))
    expression = "{" + items + "}"
    if declared.allow_null:
        relation = model._meta.get_field(source)
        if not isinstance(relation, models.ForeignKey):
            raise ShapeError(f"{what}: {source} is no foreign key")
        expression = f"({expression} if {read(relation.attname)} is not None else None)"
    return expression


@dataclass(frozen=True)
class Query:
    """What a group of loads reads: `SELECT columns FROM body ORDER BY order`. On PostgreSQL a
    `Batch` reads several at once, each as a JSON array of its rows (`as_json`)."""

    columns: Sequence[str]
    body: str  # FROM ... WHERE ..., placeholders for `params`
    order: str
    params: Sequence[Any]

    def sql(self) -> str:
        return f"SELECT {', '.join(self.columns)} FROM {self.body} ORDER BY {self.order}"

    def as_json(self) -> str:
        """A scalar subquery: the rows, in order, as a JSON array of arrays (as text)."""
        return (
            f"(SELECT coalesce(json_agg(json_build_array({', '.join(self.columns)}) "
            f"ORDER BY {self.order}), '[]')::text FROM {self.body})"
        )


@dataclass(frozen=True)
class Ask:
    """One shape's wish: the values of `loader` for the owners `keys`, into `lists`; or, in a
    plan (`Shape.plan`), for the owners that SQL selects (`KeysSQL`)."""

    loader: Loader
    keys: "list[Any] | KeysSQL"
    lists: dict[Any, Any]


class KeysSQL(str):
    """Owners' keys as SQL: a column of an enclosing query (one key per row of it)."""

    def condition(self, owner: str) -> str:
        return f"{owner} = {self}"


class KeysSubquery(KeysSQL):
    """Owners' keys as SQL: a subquery selecting them. PostgreSQL matches them as an array
    (`= ANY(ARRAY(...))`), computed once and probed through the owner's index, where `IN
    (subquery)` OR'd with other owners' made it scan the whole table (10 ms for a detail's
    citations at 100,000 events, 0.2 ms this way)."""

    def condition(self, owner: str) -> str:
        return f"{owner} = ANY(ARRAY({self}))"


def owners_of(asked: Sequence[Ask]) -> list[Any]:
    """The keys the asks want as values, each once, in order."""
    return list(
        dict.fromkeys(key for ask in asked if not isinstance(ask.keys, KeysSQL) for key in ask.keys)
    )


def matching(owner: str, asked: Sequence[Ask]) -> tuple[str, list[Any]]:
    """The condition on column `owner` that selects the asks' owners, and its parameters."""
    values = owners_of(asked)
    conditions = [f"{owner} IN ({placeholders(values)})"] if values else []
    conditions += [ask.keys.condition(owner) for ask in asked if isinstance(ask.keys, KeysSQL)]
    return " OR ".join(conditions) or "false", values


def distribute(
    rows: Sequence[Any], values: Sequence[Any], position: int, asked: Sequence[Ask]
) -> None:
    """Append each row's value to the list of its owner (the row's column `position`) in every
    ask that wants that owner."""
    wanted = [(set(ask.keys), ask.lists) for ask in asked if not isinstance(ask.keys, KeysSQL)]
    for row, value in zip(rows, values, strict=True):
        owner = row[position]
        for keys, lists in wanted:
            if owner in keys:
                lists[owner].append(value)


class CodesLoader:
    """A many-to-many relation as each owner's list of related codes, ordered by code."""

    nested = False
    shape = None

    def __init__(self, model: type[models.Model], source: str, attribute: str) -> None:
        relation = model._meta.get_field(source)
        if not isinstance(relation, models.ManyToManyField):
            raise ShapeError(f"{model.__name__}.{source}: a list of codes needs a many-to-many")
        through = relation.remote_field.through._meta.db_table  # type: ignore[union-attr]
        self.owner = f"t.{relation.m2m_column_name()}"
        target: type[models.Model] = relation.related_model  # type: ignore[assignment]
        pk, code = target._meta.pk, f"t.{relation.m2m_reverse_name()}"
        if pk is not None and attribute == pk.name:  # the code is in the through table
            self.value, join = code, ""
        else:
            self.value = f"r.{column_of(target, attribute)}"
            join = f" JOIN {target._meta.db_table} r ON r.{target._meta.pk.column} = {code}"
        self.tables = f"{through} t{join}"

    def group(self) -> Any:
        return self

    def query(self, asked: Sequence[Ask]) -> Query:
        where, params = matching(self.owner, asked)
        return Query(
            [self.owner, self.value],
            f"{self.tables} WHERE {where}",
            f"{self.owner}, {self.value}",
            params,
        )

    def fill(
        self,
        cursor: Any,
        rows: Sequence[Any],
        base: str,
        batch: "Batch",
        asked: Sequence[Ask],
        read: Sequence[Ask],
    ) -> None:
        distribute(rows, [row[1] for row in rows], 0, asked)


class RelationLoader:
    """Records read through a relation (reverse foreign key, or many-to-many either way), each
    built by its nested shape. The asks of every relation read from the same tables, shape and
    order are one group (one query): an event detail's citations, of the event, its
    participations, statements and relations, are read at once."""

    def __init__(self, model: type[models.Model], source: str, shape: Shape, order: str) -> None:
        relation = model._meta.get_field(source)
        target = shape.model._meta.db_table
        if isinstance(relation, models.ManyToOneRel):
            owner, tables = f"r.{relation.field.column}", f"{target} r"
        elif isinstance(relation, (models.ManyToManyField, models.ManyToManyRel)):
            m2m = relation if isinstance(relation, models.ManyToManyField) else relation.field
            mine, theirs = m2m.m2m_column_name(), m2m.m2m_reverse_name()
            if isinstance(relation, models.ManyToManyRel):
                mine, theirs = theirs, mine
            through = m2m.remote_field.through._meta.db_table  # type: ignore[union-attr]
            pk = shape.model._meta.pk.column
            owner, tables = f"t.{mine}", f"{through} t JOIN {target} r ON r.{pk} = t.{theirs}"
        else:
            raise ShapeError(f"{model.__name__}.{source}: not a relation to many records")
        self.shape, self.owner, self.order = shape, owner, order
        self.nested = bool(shape.loaders)
        _, self.expressions, joins = shape.select("r")
        self.tables = f"{tables} {' '.join(joins)}"

    def group(self) -> Any:
        return (self.tables, tuple(self.expressions), self.order)

    @staticmethod
    def by_owner(asked: Sequence[Ask]) -> dict[str, list[Ask]]:
        """The group's asks by owner column (a relation of the group), in order."""
        owners: dict[str, list[Ask]] = {}
        for ask in asked:
            owners.setdefault(cast(RelationLoader, ask.loader).owner, []).append(ask)
        return owners

    def query(self, asked: Sequence[Ask]) -> Query:
        owners = self.by_owner(asked)
        conditions = [matching(owner, mine) for owner, mine in owners.items()]
        return Query(
            [*self.expressions, *owners],
            f"{self.tables} WHERE {' OR '.join(f'({where})' for where, _ in conditions)}",
            self.order,
            [key for _, params in conditions for key in params],
        )

    def fill(
        self,
        cursor: Any,
        rows: Sequence[Any],
        base: str,
        batch: "Batch",
        asked: Sequence[Ask],
        read: Sequence[Ask],
    ) -> None:
        built = self.shape.page(cursor, rows, base, tuples=True, batch=batch)
        width = len(self.shape.columns)
        positions = {owner: width + n for n, owner in enumerate(self.by_owner(read))}
        for owner, mine in self.by_owner(asked).items():
            distribute(rows, built, positions[owner], mine)


class Batch:
    """Related lists asked for while a page is built, read when the batch is flushed: one
    query per group (the same tables, shape and order), in waves (the groups whose records
    have related lists of their own first, then what those asked for with the rest). On
    PostgreSQL each wave is one query, every group's rows a JSON array in it. Rows read
    already (`prefetched`: by a record's or a page's own query) are used instead of a query."""

    def __init__(
        self, prefetched: Mapping[Any, tuple[Sequence[Any], Sequence[Ask]]] | None = None
    ) -> None:
        self.pending: dict[Any, list[Ask]] = {}
        # Rows a planned query read already (Shape.one_query), by group, with the asks it read
        # them for.
        self.prefetched = dict(prefetched or {})

    def defer(self, loader: Loader, keys: Sequence[Any]) -> dict[Any, Any]:
        """The loader's lists for `keys`: empty until `flush`, which fills them in."""
        lists: dict[Any, Any] = defaultdict(list)
        self.pending.setdefault(loader.group(), []).append(Ask(loader, list(keys), lists))
        return lists

    def flush(self, cursor: Any, base: str) -> None:
        combine = getattr(getattr(cursor, "db", None), "vendor", None) == "postgresql"
        while self.pending:
            groups = [g for g, asked in self.pending.items() if asked[0].loader.nested]
            wave = [self.pending.pop(group) for group in groups or list(self.pending)]
            read = [asked for asked in wave if asked[0].loader.group() in self.prefetched]
            for asked in read:
                rows, planned = self.prefetched.pop(asked[0].loader.group())
                asked[0].loader.fill(cursor, rows, base, self, asked, planned)
            wave = [asked for asked in wave if not any(asked is done for done in read)]
            queries = [asked[0].loader.query(asked) for asked in wave]
            if combine and len(queries) > 1:
                cursor.execute(
                    f"SELECT {', '.join(query.as_json() for query in queries)}",
                    [param for query in queries for param in query.params],
                )
                results = [orjson.loads(text) for text in cursor.fetchone()]
            else:
                results = []
                for query in queries:
                    cursor.execute(query.sql(), list(query.params))
                    results.append(cursor.fetchall())
            for asked, rows in zip(wave, results, strict=True):
                asked[0].loader.fill(cursor, rows, base, self, asked, asked)
