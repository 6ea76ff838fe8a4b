"""Indexes for the filters that go through link tables, and for CAMEO prefixes on PostgreSQL.

- events_event_countries (country_id, event_id) and events_event_topics (topic_id, event_id):
  `country=` and `topic=` find an event's ids from the country or topic alone (index-only).
- events_participation (participant_id, event_id): the same for `participant=`.
- On PostgreSQL, cameo_code with varchar_pattern_ops: `cameo=04` is `LIKE '04%'`, which a
  plain btree index serves only under the C collation.
- On PostgreSQL, tariff measures in their default order, `announced_on DESC NULLS LAST, slug
  DESC`: a backward scan of (announced_on, slug) gives NULLs first. SQLite cannot declare
  where an index puts NULLs.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

LINKS = [
    ("events_event_countries_country_event", "events_event_countries", "country_id, event_id"),
    ("events_event_topics_topic_event", "events_event_topics", "topic_id, event_id"),
    ("events_participation_participant_event", "events_participation", "participant_id, event_id"),
]
POSTGRESQL_ONLY = [
    ("event_cameo_prefix", "events_event", "cameo_code varchar_pattern_ops"),
    (
        "measure_default_order",
        "events_tariffmeasure",
        "announced_on DESC NULLS LAST, slug DESC",
    ),
]


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for name, table, columns in LINKS:
        schema_editor.execute(f"CREATE INDEX {name} ON {table} ({columns})")
    if schema_editor.connection.vendor == "postgresql":
        for name, table, columns in POSTGRESQL_ONLY:
            schema_editor.execute(f"CREATE INDEX {name} ON {table} ({columns})")


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for name, _, _ in LINKS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    if schema_editor.connection.vendor == "postgresql":
        for name, _, _ in POSTGRESQL_ONLY:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("events", "0007_list_order_indexes")]

    operations = [migrations.RunPython(create, drop)]
