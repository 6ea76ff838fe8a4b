"""Query counts that depend on the database: a page's related lists are read in waves
(events/shapes.py, `Batch`), one query per relation on SQLite, one per wave on PostgreSQL; on
PostgreSQL an event detail is one query with all its lists (`Shape.one_query`)."""

from django.db import connection


def related(*waves: int) -> int:
    """The queries that read a page's related lists, given each wave's relations."""
    return len(waves) if connection.vendor == "postgresql" else sum(waves)


def one_query_or(*waves: int) -> int:
    """The queries of a record read with its related lists: one on PostgreSQL; on SQLite the
    record's, then one per relation of each wave."""
    return 1 if connection.vendor == "postgresql" else 1 + sum(waves)
