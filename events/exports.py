"""Streaming exports: a whole collection (or whatever a list's filters select) as NDJSON or CSV.

Memory stays flat whatever the size: records are read in chunks (`iterator(chunk_size=...)`,
a server-side cursor on PostgreSQL), what each chunk's records embed is fetched per chunk (one
query per relation: events/formats.py `Resource.queryset()`), and each chunk's text is handed to
the response as soon as it is built. A client receives the first records while later ones are
still being read.

What can fail, fails before the first byte or visibly: the first chunk is read before the
response starts (an unreachable database is a 503 problem+json, not a 200 that stops after
the CSV header), and an error after that aborts the response, so the server closes the
connection without the last chunk of its chunked transfer encoding and the client's HTTP
library reports an incomplete body (README: Export).
"""

import itertools
import logging
from collections.abc import Iterator
from typing import Any

from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from . import formats
from .formats import Resource
from .renderers import dumps

logger = logging.getLogger("policyapi.errors")

CHUNK_SIZE = 500  # records read, prefetched and sent at a time: about 40 MB of a worker's memory


def lines(
    resource: Resource, queryset: QuerySet[Any], kind: str, chunk_size: int | None = None
) -> Iterator[bytes]:
    """The export as chunks of bytes, one chunk of lines per chunk of records; for CSV the
    header starts the first. (For `json`, a `{"resource", "records"}` document built the same
    way.) Nothing is yielded before the first chunk of records has been read: the first `next()`
    runs the query, so that `response()` can find a failing database before it answers."""
    size = chunk_size or CHUNK_SIZE
    serializer = resource.serializer()
    records = resource.queryset(queryset)
    head = b""
    if kind == "csv":
        head = formats.csv_line(formats.csv_header(resource)).encode()
    elif kind == "json":
        head = b'{"resource":' + dumps(resource.name) + b',"records":['
    buffer: list[bytes] = [head]
    count = 0  # records in the buffer
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
        count += 1
        if count >= size:
            yield b"".join(buffer)
            buffer, count = [], 0
    if kind == "json":
        buffer.append(b"]}\n")
    if count or any(buffer):
        yield b"".join(buffer)


def filename(resource: Resource, kind: str) -> str:
    return f"{resource.name}.{kind}"


def response(resource: Resource, queryset: QuerySet[Any], kind: str) -> StreamingHttpResponse:
    """The export as a download, streamed.

    The first chunk is read here, before the response exists: a database error raised now
    reaches the view's exception handling (503 problem+json with Retry-After) instead of
    cutting a response that already said 200."""
    chunks = lines(resource, queryset, kind)
    first = next(chunks, b"")
    content_type = formats.MEDIA_TYPES[kind] + ("; charset=utf-8" if kind != "json" else "")
    streaming = StreamingHttpResponse(
        _cut_visibly(itertools.chain([first], chunks), filename(resource, kind)),
        content_type=content_type,
    )
    streaming["Content-Disposition"] = f'attachment; filename="{filename(resource, kind)}"'
    streaming["Cache-Control"] = "no-store"
    return streaming


def _cut_visibly(chunks: Iterator[bytes], name: str) -> Iterator[bytes]:
    """The chunks, with a failure after the first logged and raised again.

    Raising out of the response's iterator is what makes the cut visible: the WSGI server
    (gunicorn) then closes the connection without the zero-length chunk that ends a chunked
    body, and the client's HTTP library reports an incomplete read. Yielding anything instead
    (an error line) would leave a well-formed body that looks like a shorter export.
    """
    try:
        yield from chunks
    except DatabaseError as error:
        logger.warning("Export of %s cut short by a database error: %s", name, error)
        raise
