"""Query counts that depend on the database: a page's related lists are read in waves
(events/shapes.py, `Batch`), one query per relation on SQLite, one per wave on PostgreSQL."""

from django.db import connection


def related(*waves: int) -> int:
    """The queries that read a page's related lists, given each wave's relations."""
    return len(waves) if connection.vendor == "postgresql" else sum(waves)
