"""Refuse, at the database, a topic parent that would make a topic its own ancestor.

The CheckConstraint `topic_not_own_parent` covers the one-step case; a trigger walks the
ancestors of the new parent with a recursive query for the longer ones (A > B > A). Topic.clean()
reports the same rule as a validation error before a write gets here.

SQLite rebuilds a table (and drops its triggers) when a later migration alters it; the test
`test_it_rejects_a_topic_cycle_at_the_database` fails if that ever happens unnoticed.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

MESSAGE = "topic_not_own_ancestor: a topic cannot be its own ancestor"

# The ancestors of NEW.parent_id, walking up; a cycle exists when NEW.id is among them.
ANCESTORS = """
    WITH RECURSIVE ancestors(id) AS (
        SELECT {new}.parent_id
        UNION
        SELECT t.parent_id FROM events_topic t JOIN ancestors a ON t.id = a.id
        WHERE t.parent_id IS NOT NULL
    )
    SELECT 1 FROM ancestors WHERE id = {new}.id
"""

POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION events_topic_no_cycle() RETURNS trigger AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL AND EXISTS ({ANCESTORS.format(new="NEW")}) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER events_topic_no_cycle BEFORE INSERT OR UPDATE OF parent_id ON events_topic
    FOR EACH ROW EXECUTE FUNCTION events_topic_no_cycle();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS events_topic_no_cycle ON events_topic;
DROP FUNCTION IF EXISTS events_topic_no_cycle();
"""

SQLITE_CREATE = [
    f"""
CREATE TRIGGER events_topic_no_cycle_{name} BEFORE {event} ON events_topic
WHEN NEW.parent_id IS NOT NULL AND EXISTS ({ANCESTORS.format(new="NEW")})
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
"""
    for name, event in (("insert", "INSERT"), ("update", "UPDATE OF parent_id"))
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS events_topic_no_cycle_insert;",
    "DROP TRIGGER IF EXISTS events_topic_no_cycle_update;",
]


def run(schema_editor: BaseDatabaseSchemaEditor, postgres: list[str], sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = postgres
    elif vendor == "sqlite":
        statements = sqlite
    else:
        raise NotImplementedError(f"No topic-cycle trigger for {vendor}.")
    for sql in statements:
        schema_editor.execute(sql)


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    run(schema_editor, [POSTGRES_CREATE], SQLITE_CREATE)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    run(schema_editor, [POSTGRES_DROP], SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
