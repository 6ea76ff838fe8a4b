"""Filtered event lists in the list's order from the link tables alone (PostgreSQL).

`?country=PK` and `?topic=` filter through events_event_countries / events_event_topics and
sort on the event's (start_date, slug): no one index served both, so PostgreSQL either walked
the events newest first testing each (the whole table for a country with few events) or read
every match and sorted it. Here, on PostgreSQL:

- each link table gets a copy of its event's sort keys, `start_date` and `slug`, filled in for
  the rows there are, and an index (country or topic, start_date, slug) INCLUDE (event_id): the
  filter joins the link and sorts on the copy (events/filters.py), so a page reads its 25
  index entries newest first and 25 events by id;
- triggers keep the copies equal to the event's, whatever writes (the API, the admin,
  import_data, loaddata, generate_synthetic's COPY, raw SQL): a link row takes its event's
  keys when inserted (or moved to another event), and an event's new date or slug goes to
  its links; an event inserted after its links (deferred foreign keys) gives them its keys;
- tariff measures of one imposing country, in their default order, get their own index.

The unmanaged models EventCountryLink and EventTopicLink (events/models.py) name the tables
for the ORM. SQLite keeps the plain tables and the EXISTS filters: its table rebuilds (a
later migration altering a table) would drop columns and triggers Django does not know about.
The backfill rewrites both link tables: VACUUM ANALYZE them after migrating a large database.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

LINKS = [
    # (table, the filter's column, index name)
    ("events_event_countries", "country_id", "events_event_countries_sorted"),
    ("events_event_topics", "topic_id", "events_event_topics_sorted"),
]

TO_LINKS = "".join(
    f"    UPDATE {table} SET start_date = NEW.start_date, slug = NEW.slug "  # noqa: S608
    "WHERE event_id = NEW.id;\n"
    for table, _, _ in LINKS
)

CREATE = [
    *[
        f"ALTER TABLE {table} ADD COLUMN start_date date, ADD COLUMN slug varchar(120)"
        for table, _, _ in LINKS
    ],
    *[
        f"UPDATE {table} AS link SET start_date = e.start_date, slug = e.slug "  # noqa: S608
        "FROM events_event AS e WHERE e.id = link.event_id"
        for table, _, _ in LINKS
    ],
    *[
        f"CREATE INDEX {index} ON {table} ({column}, start_date, slug) INCLUDE (event_id)"
        for table, column, index in LINKS
    ],
    # A link row takes its event's keys (NULL while the event is not there yet).
    """
CREATE FUNCTION events_link_sort_keys() RETURNS trigger AS $$
BEGIN
    SELECT e.start_date, e.slug INTO NEW.start_date, NEW.slug
    FROM events_event AS e WHERE e.id = NEW.event_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
""",
    *[
        f"CREATE TRIGGER {table}_sort_keys BEFORE INSERT OR UPDATE OF event_id ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION events_link_sort_keys()"
        for table, _, _ in LINKS
    ],
    # An event passes its keys to its links.
    f"""
CREATE FUNCTION events_event_sort_keys_to_links() RETURNS trigger AS $$
BEGIN
{TO_LINKS}    RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
    "CREATE TRIGGER events_event_sort_keys_changed AFTER UPDATE OF start_date, slug "
    "ON events_event FOR EACH ROW WHEN "
    "(OLD.start_date IS DISTINCT FROM NEW.start_date OR OLD.slug IS DISTINCT FROM NEW.slug) "
    "EXECUTE FUNCTION events_event_sort_keys_to_links()",
    "CREATE TRIGGER events_event_sort_keys_inserted AFTER INSERT ON events_event "
    "FOR EACH ROW EXECUTE FUNCTION events_event_sort_keys_to_links()",
    # Measures of one imposing country, in the default order (announced_on DESC NULLS LAST,
    # slug DESC), which SQLite cannot declare (see migration 0008).
    "CREATE INDEX measure_imposing_default_order ON events_tariffmeasure "
    "(imposing_country_id, announced_on DESC NULLS LAST, slug DESC)",
]

DROP = [
    "DROP INDEX IF EXISTS measure_imposing_default_order",
    "DROP TRIGGER IF EXISTS events_event_sort_keys_inserted ON events_event",
    "DROP TRIGGER IF EXISTS events_event_sort_keys_changed ON events_event",
    "DROP FUNCTION IF EXISTS events_event_sort_keys_to_links()",
    *[f"DROP TRIGGER IF EXISTS {table}_sort_keys ON {table}" for table, _, _ in LINKS],
    "DROP FUNCTION IF EXISTS events_link_sort_keys()",
    *[
        f"ALTER TABLE {table} DROP COLUMN IF EXISTS start_date, DROP COLUMN IF EXISTS slug"
        for table, _, _ in LINKS
    ],  # drops the indexes on them too
]


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


def link_fields() -> list[tuple[str, models.Field]]:  # type: ignore[type-arg]
    return [
        ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ("start_date", models.DateField(null=True)),
        ("slug", models.SlugField(max_length=120, null=True)),
    ]


class Migration(migrations.Migration):
    dependencies = [("events", "0009_cameo_codes")]

    operations = [
        migrations.CreateModel(
            name="EventCountryLink",
            fields=link_fields(),
            options={"db_table": "events_event_countries", "managed": False},
        ),
        migrations.CreateModel(
            name="EventTopicLink",
            fields=link_fields(),
            options={"db_table": "events_event_topics", "managed": False},
        ),
        migrations.RunPython(create, drop),
    ]
