"""Streaming exports: a whole collection (or whatever a list's filters select) as NDJSON or CSV.

Memory stays flat whatever the size: records are read in chunks (`iterator(chunk_size=...)`,
a server-side cursor on PostgreSQL), what each chunk's records embed is fetched per chunk (one
query per relation: events/formats.py `Resource.queryset()`), and each chunk's text is handed to
the response as soon as it is built. A client receives the first records while later ones are
still being read.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from . import formats
from .formats import Resource
from .renderers import dumps

CHUNK_SIZE = 500  # records read, prefetched and sent at a time: about 40 MB of a worker's memory


def lines(
    resource: Resource, queryset: QuerySet[Any], kind: str, chunk_size: int | None = None
) -> Iterator[bytes]:
    """The export as chunks of bytes: for CSV the header first, then one chunk of lines per
    chunk of records. (For `json`, a `{"resource", "records"}` document built the same way.)"""
    size = chunk_size or CHUNK_SIZE
    serializer = resource.serializer()
    records = resource.queryset(queryset)
    if kind == "csv":
        yield formats.csv_line(formats.csv_header(resource)).encode()
    elif kind == "json":
        yield b'{"resource":' + dumps(resource.name) + b',"records":['
    buffer: list[bytes] = []
    first = True
    for record in records.iterator(chunk_size=size):
        data = formats.shape(serializer, record)
        if kind == "csv":
            buffer.append(formats.csv_line(formats.csv_row(resource, data)).encode())
        elif kind == "json":
            buffer.append((b"" if first else b",\n") + dumps(data))
        else:
            buffer.append(dumps(data) + b"\n")
        first = False
        if len(buffer) >= size:
            yield b"".join(buffer)
            buffer = []
    if buffer:
        yield b"".join(buffer)
    if kind == "json":
        yield b"]}\n"


def filename(resource: Resource, kind: str) -> str:
    return f"{resource.name}.{kind}"


def response(resource: Resource, queryset: QuerySet[Any], kind: str) -> StreamingHttpResponse:
    """The export as a download, streamed."""
    content_type = formats.MEDIA_TYPES[kind] + ("; charset=utf-8" if kind != "json" else "")
    streaming = StreamingHttpResponse(lines(resource, queryset, kind), content_type=content_type)
    streaming["Content-Disposition"] = f'attachment; filename="{filename(resource, kind)}"'
    streaming["Cache-Control"] = "no-store"
    return streaming
