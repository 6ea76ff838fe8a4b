"""Query counts that depend on the database: a page's related lists are read in waves
(events/shapes.py, `Batch`), one query per relation on SQLite, one per wave on PostgreSQL; on
PostgreSQL an event detail is one query with all its lists (`Shape.one_query`), and a list
page's query reads its rows' lists too (events/fast.py, `ListPage`)."""

from django.db import connection


def one_query_or(*waves: int) -> int:
    """The queries of a record read with its related lists: one on PostgreSQL; on SQLite the
    record's, then one per relation of each wave."""
    return 1 if connection.vendor == "postgresql" else 1 + sum(waves)


def page_lists(relations: int) -> int:
    """The queries that read a list page's related lists, after the page query: one per
    relation on SQLite, none on PostgreSQL."""
    return 0 if connection.vendor == "postgresql" else relations
