"""Importing files of records (`python manage.py import_data`): all or nothing.

Files are read in full first (JSON, NDJSON or CSV: events/formats.py), and every record's text
is checked as the API's parser checks a body (`parsers.text_problems`: no NUL, no lone
surrogate, no absurd nesting); then every record is validated and written, collection by
collection in dependency order, inside one transaction, through the write serializers and
events/services.py: the rules are the API's own (a source's body is checked against its
citations once everything is written). Every problem is collected, with the file, the line (or
the record's number in a JSON list), the field and the message; if there is any, or on a dry
run, the transaction is rolled back and nothing is written. A record is matched on its slug (a
country on its ISO code): one that does not exist is created, one that differs is replaced as a
`PUT` would (a field left out takes its default), and one that would not change is left alone:
no write, no history entry.
"""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, transaction
from rest_framework.exceptions import ValidationError
from simple_history.models import HistoricalRecords

from . import changes, formats, parsers
from .formats import RESOURCES, Resource
from .models import Source
from .problems import _flatten


@dataclass(frozen=True)
class Problem:
    file: str
    location: str  # "line 4", "record 2"; empty for the file as a whole
    field: str
    message: str

    def sort_key(self) -> tuple[str, int, str]:
        """Files in name order, each from its first line or record to its last."""
        number = self.location.rpartition(" ")[2]
        return (self.file, int(number) if number.isdigit() else 0, self.field)

    def __str__(self) -> str:
        where = f"{self.file}:{self.location}" if self.location else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class Item:
    """One record read from a file, in the write shape."""

    resource: Resource
    file: str
    location: str
    data: dict[str, Any]

    @property
    def key(self) -> str | None:
        return _ref(self.data.get(self.resource.key), self.resource.key)


@dataclass
class Report:
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            name: {"created": 0, "updated": 0, "unchanged": 0, "failed": 0} for name in RESOURCES
        }
    )
    problems: list[Problem] = field(default_factory=list)


def _ref(value: Any, lookup: str) -> str | None:
    value = value.get(lookup) if isinstance(value, dict) else value
    if not isinstance(value, str):
        return None
    return value.upper() if lookup == "iso2" else value


# --- reading files ------------------------------------------------------------------------------


class FileProblems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def _decode(path: str, data: bytes) -> tuple[str, dict[int, Problem]]:
    """The file's text, and a problem for every line that is not UTF-8 (by line number).

    The bytes that are not UTF-8 are kept as lone surrogates (`surrogateescape`), so the rest of
    the file reads as it would without them: each reader skips the lines (or rows) that hold
    them and checks every other one. A real lone surrogate cannot come out of UTF-8 text, so
    `_undecodable` finds only those bytes.
    """
    bad = {}
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            bad[number] = Problem(
                path,
                f"line {number}",
                "",
                f"Not UTF-8 text (byte {error.start + 1} of the line): save the file as UTF-8.",
            )
    return data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff"), bad


# What `surrogateescape` makes of a byte that is not UTF-8 (0x80 to 0xFF).
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _undecodable(text: str) -> bool:
    return _UNDECODABLE.search(text) is not None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _where(error: json.JSONDecodeError) -> str:
    """json's message with its column ("Invalid control character at column 31")."""
    if error.msg.endswith(" at"):
        return f"{error.msg} column {error.colno}"
    return f"{error.msg} (column {error.colno})"


def _json_loads(text: str) -> Any:
    # A key given twice in one object is a problem, as in the API (parsers.unique_keys).
    return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=parsers.unique_keys)


# A JSON string (with its escapes) or a bracket: what nesting is made of.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deepest_line(text: str) -> int:
    """The line of the deepest nesting in JSON text json.loads gave up on (RecursionError says
    nothing of where)."""
    depth, deepest, deepest_at = 0, 0, 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest, deepest_at = depth, match.start()
        elif token in ("]", "}"):
            depth -= 1
    return text.count("\n", 0, deepest_at) + 1


def _text_checked(items: list[Item], problems: list[Problem]) -> list[Item]:
    """The items whose text a database can store; every NUL character, lone surrogate and
    nesting past parsers.MAX_DEPTH of the others goes to `problems` (the API's own check)."""
    kept = []
    for item in items:
        found = parsers.text_problems(item.data)
        for path, message in sorted(found.items()):
            name = "" if path == "non_field_errors" else path
            problems.append(Problem(item.file, item.location, name, message))
        if not found:
            kept.append(item)
    return kept


def resource_of(path: Path, named: str | None) -> Resource | None:
    """The collection a file holds: `--resource`, else the start of its name (`events.csv`,
    `events.2025-04.ndjson`)."""
    name = named or path.name.split(".")[0]
    return RESOURCES.get(name)


def read_file(path: Path, resource_name: str | None = None) -> tuple[list[Item], list[Problem]]:
    """The well-formed records of one file, and the problems of the others (raises
    FileProblems when nothing in the file can be read)."""
    label = str(path)
    kind = formats.EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        raise FileProblems(
            [Problem(label, "", "", "Unknown file type: name it .json, .ndjson (.jsonl) or .csv.")]
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileProblems(
            [Problem(label, "", "", f"Cannot read the file: {error.strerror}.")]
        ) from None
    text, undecodable = _decode(label, data)
    resource = resource_of(path, resource_name)
    if kind == "json":
        # One document: without those bytes there is no telling what it holds.
        if undecodable:
            raise FileProblems(list(undecodable.values()))
        items, problems = _read_json(label, text, resource)
    elif resource is None:
        raise FileProblems([_unknown_resource(label), *undecodable.values()])
    elif kind == "ndjson":
        items, problems = _read_ndjson(label, text, resource, undecodable)
    else:
        items, problems = _read_csv(label, text, resource, undecodable)
    return _text_checked(items, problems), problems


def _unknown_resource(label: str) -> Problem:
    return Problem(
        label,
        "",
        "",
        "Which collection does it hold? Start the file's name with one of "
        f"{', '.join(RESOURCES)} (events.csv), or give --resource.",
    )


def _read_json(
    label: str, text: str, resource: Resource | None
) -> tuple[list[Item], list[Problem]]:
    try:
        document = _json_loads(text)
    except json.JSONDecodeError as error:
        raise FileProblems(
            [
                Problem(
                    label,
                    f"line {error.lineno}",
                    "",
                    f"Not valid JSON: {_where(error)}.",
                )
            ]
        ) from None
    except ValueError as error:
        raise FileProblems([Problem(label, "", "", f"Not valid JSON: {error}.")]) from None
    except RecursionError:
        line = f"line {_deepest_line(text)}"
        raise FileProblems([Problem(label, line, "", parsers.TOO_DEEP)]) from None
    if isinstance(document, dict) and "records" in document:
        unknown = sorted(set(document) - {"resource", "records"})
        named = document.get("resource")
        if unknown or not isinstance(named, str) or named not in RESOURCES:
            raise FileProblems(
                [
                    Problem(
                        label,
                        "",
                        "resource",
                        f'Give {{"resource": one of {", ".join(RESOURCES)}, "records": [...]}}.',
                    )
                ]
            )
        resource, document = RESOURCES[named], document["records"]
    if resource is None:
        raise FileProblems([_unknown_resource(label)])
    records = document if isinstance(document, list) else [document]
    items, problems = [], []
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict):
            items.append(Item(resource, label, f"record {number}", record))
        else:
            problems.append(Problem(label, f"record {number}", "", "Expected a JSON object."))
    return items, problems


def _read_ndjson(
    label: str, text: str, resource: Resource, undecodable: dict[int, Problem]
) -> tuple[list[Item], list[Problem]]:
    items, problems = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if number in undecodable:
            problems.append(undecodable[number])
            continue
        if not line.strip():
            continue
        try:
            record = _json_loads(line)
        except ValueError as error:
            message = _where(error) if isinstance(error, json.JSONDecodeError) else str(error)
            problems.append(Problem(label, f"line {number}", "", f"Not valid JSON: {message}."))
            continue
        except RecursionError:
            problems.append(Problem(label, f"line {number}", "", parsers.TOO_DEEP))
            continue
        if isinstance(record, dict):
            items.append(Item(resource, label, f"line {number}", record))
        else:
            problems.append(Problem(label, f"line {number}", "", "Expected a JSON object."))
    return items, problems


def _read_csv(
    label: str, text: str, resource: Resource, undecodable: dict[int, Problem]
) -> tuple[list[Item], list[Problem]]:
    reader = formats.read_csv(text)
    fields = resource.serializer().fields
    problems: list[Problem] = []
    try:
        header = next(reader, None)
    except formats.csv.Error as error:
        raise FileProblems(
            [Problem(label, "line 1", "", _csv_error(error)), *undecodable.values()]
        ) from None
    if header is None:
        raise FileProblems([Problem(label, "line 1", "", "The file is empty: no header.")])
    if any(number in undecodable for number in range(1, reader.line_num + 1)):
        # Without its column names no row can be read.
        raise FileProblems(list(undecodable.values()))
    header = [name.strip() for name in header]
    unstorable = parsers.text_problems(
        {f"column {number}": name for number, name in enumerate(header, start=1)}
    )
    if unstorable:
        raise FileProblems(
            [Problem(label, "line 1", where, message) for where, message in unstorable.items()]
        )
    for name in header:
        if name not in resource.columns:
            problems.append(
                Problem(
                    label,
                    "line 1",
                    name,
                    f"Unknown column. The columns of {resource.name}: "
                    f"{', '.join(resource.columns)}.",
                )
            )
    for name in {n for n in header if header.count(n) > 1}:
        problems.append(Problem(label, "line 1", name, "The column is given twice."))
    if resource.key not in header:
        problems.append(
            Problem(label, "line 1", resource.key, "Required column: records are matched on it.")
        )
    if problems:
        raise FileProblems([*problems, *undecodable.values()])
    problems += undecodable.values()
    items = []
    end = reader.line_num
    while True:
        # A row the csv module cannot read is a problem of its own line; the reader starts
        # again on the next line, so the rows after it are checked too.
        try:
            row = next(reader)
        except StopIteration:
            break
        except formats.csv.Error as error:
            start, end = end + 1, max(reader.line_num, end + 1)
            if not any(number in undecodable for number in range(start, end + 1)):
                problems.append(Problem(label, f"line {start}", "", _csv_error(error)))
            continue
        start, end = end + 1, reader.line_num
        if any(number in undecodable for number in range(start, end + 1)):
            continue  # its bytes that are not UTF-8 are the problem of their line
        if not any(cell.strip() for cell in row):
            continue
        location = f"line {start}"
        if len(row) != len(header):
            problems.append(
                Problem(
                    label,
                    location,
                    "",
                    f"{len(row)} cells where the header has {len(header)} columns.",
                )
            )
            continue
        record: dict[str, Any] = {}
        cells_read = True
        for name, text_ in zip(header, row, strict=True):
            try:
                value = formats.parse_cell(fields[name], name, text_)
            except formats.CellError as error:
                problems.append(Problem(label, location, name, str(error)))
                cells_read = False
                continue
            if value is not ...:
                record[name] = value
        if cells_read:
            items.append(Item(resource, label, location, record))
    return items, problems


def _csv_error(error: Exception) -> str:
    if str(error) == "unexpected end of data":
        return (
            "Not valid CSV: a quoted cell that starts on this line is never closed (a quote in "
            'a quoted cell is written twice: "").'
        )
    return f"Not valid CSV: {error}."


# --- writing ------------------------------------------------------------------------------------


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Record `user` as the author of every history entry saved inside the block, as the
    history middleware does for an API request."""
    previous = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del HistoricalRecords.context.request
        else:
            HistoricalRecords.context.request = previous


def _dependencies(item: Item) -> set[str]:
    """Identifiers of records of the same collection this record names."""
    names: set[str] = set()
    for name in item.resource.self_refs:
        value = item.data.get(name)
        if name == "related_events" and isinstance(value, list):
            names |= {
                ref
                for entry in value
                if isinstance(entry, dict)
                and entry.get("direction", "outgoing") == "outgoing"
                and (ref := _ref(entry.get("event"), "slug"))
            }
        elif (ref := _ref(value, "slug")) is not None:
            names.add(ref)
    return names


def dependency_order(items: list[Item]) -> tuple[list[Item], set[int]]:
    """Records ordered so that each comes after the records of its own collection it names,
    and the indexes (in the result) of records caught in a cycle (A names B, B names A)."""
    by_key = {item.key: item for item in items if item.key is not None}
    result: list[Item] = []
    state: dict[int, str] = {}
    cyclic: set[int] = set()

    def visit(item: Item, path: list[Item]) -> None:
        mark = state.get(id(item))
        if mark == "done":
            return
        if mark == "open":
            start = next(i for i, seen in enumerate(path) if seen is item)
            cyclic.update(id(seen) for seen in path[start:])
            return
        state[id(item)] = "open"
        for key in sorted(_dependencies(item)):
            if key in by_key and key != item.key:
                visit(by_key[key], [*path, item])
        state[id(item)] = "done"
        result.append(item)

    for item in items:
        visit(item, [])
    return result, {index for index, item in enumerate(result) if id(item) in cyclic}


class Importer:
    def __init__(self, report: Report) -> None:
        self.report = report
        # Sources written with their citations unchecked, checked once everything is written.
        self.sources_written: list[tuple[Item, Source]] = []

    def problem(self, item: Item, errors: Any) -> None:
        for name, messages in _flatten(errors).items():
            for message in messages:
                name_ = "" if name == "non_field_errors" else name
                self.report.problems.append(Problem(item.file, item.location, name_, message))

    def existing(self, item: Item) -> Any:
        key = item.key
        if key is None:
            return None
        return item.resource.model._default_manager.filter(**{item.resource.key: key}).first()

    def write(
        self, item: Item, data: dict[str, Any], *, count: bool = True, new: bool = False
    ) -> None:
        """Validate and write one record; `new`: created by this import's first step (a
        record in a cycle), so counted as created."""
        resource = item.resource
        counts = self.report.counts[resource.name]
        instance = self.existing(item)
        if isinstance(instance, Source):
            # The import's own citations may still change: check_sources() checks the end state.
            instance.defer_citation_check = True
        serializer = resource.serializer(instance, data=data)
        if not serializer.is_valid():
            self.problem(item, serializer.errors)
            counts["failed"] += count
            return
        if instance is not None:
            stored = formats.ordered(formats.shape(serializer, _fresh(resource, instance)))
            if stored == formats.canonical(serializer, serializer.validated_data):
                counts["created" if new else "unchanged"] += count
                return
        try:
            with transaction.atomic():
                serializer.save()
        except ValidationError as error:
            self.problem(item, error.detail)
            counts["failed"] += count
            return
        except DatabaseError as error:
            self.problem(item, {"non_field_errors": [f"The database refused it: {error}"]})
            counts["failed"] += count
            return
        counts["updated" if instance is not None and not new else "created"] += count
        if isinstance(instance, Source):
            self.sources_written.append((item, instance))

    def check_sources(self) -> None:
        """Every changed source's body against its citations as the import leaves them."""
        for item, source in self.sources_written:
            try:
                source.validate_citations()
            except DjangoValidationError as error:
                self.problem(item, error.message_dict)
                counts = self.report.counts[item.resource.name]
                counts["updated"] -= 1
                counts["failed"] += 1


def _fresh(resource: Resource, instance: Any) -> Any:
    """The stored record with what its file shape reads prefetched."""
    return resource.queryset().get(pk=instance.pk)


def run(
    paths: list[Path],
    *,
    user: Any,
    dry_run: bool = False,
    resource: str | None = None,
    progress: Callable[[int], Any] | None = None,
) -> Report:
    """Import the files: everything, or (on any problem, or a dry run) nothing."""
    report = Report()
    items: list[Item] = []
    for path in paths:
        try:
            read, problems = read_file(path, resource)
        except FileProblems as error:
            report.problems += error.problems
            continue
        items += read
        report.problems += problems
    first: dict[tuple[str, str], Item] = {}
    unique: list[Item] = []
    for item in items:
        key = item.key
        if key is not None and (item.resource.name, key) in first:
            seen = first[(item.resource.name, key)]
            report.problems.append(
                Problem(
                    item.file,
                    item.location,
                    item.resource.key,
                    f"{key!r} is listed twice (first at {seen.file}:{seen.location}).",
                )
            )
            report.counts[item.resource.name]["failed"] += 1
            continue
        if key is not None:
            first[(item.resource.name, key)] = item
        unique.append(item)

    importer = Importer(report)
    with transaction.atomic():
        with acting_as(user), changes.batch():
            _write_all(importer, unique, progress)
        if report.problems or dry_run:
            transaction.set_rollback(True)
    report.problems.sort(key=Problem.sort_key)
    return report


def _write_all(
    importer: Importer, unique: list[Item], progress: Callable[[int], Any] | None
) -> None:
    for name in RESOURCES:
        group, cyclic = dependency_order([i for i in unique if i.resource.name == name])
        # Records that name each other in a cycle are written first without the
        # references that close it, then again in full.
        new: set[int] = set()
        for index in sorted(cyclic):
            item = group[index]
            instance = importer.existing(item)
            partial = dict(item.data)
            for ref in item.resource.self_refs:
                if instance is None:
                    new.add(id(item))
                    partial.pop(ref, None)
                else:
                    partial[ref] = formats.shape(
                        item.resource.serializer(), _fresh(item.resource, instance)
                    )[ref]
            importer.write(item, partial, count=False)
        for item in group:
            importer.write(item, item.data, new=id(item) in new)
            if progress is not None:
                progress(1)
    importer.check_sources()
