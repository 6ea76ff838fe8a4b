"""GIN indexes for full-text search (`q`), on PostgreSQL only.

Each index is on exactly the expression events/search.py searches
(`to_tsvector('english', col1 || ' ' || col2 ...)`); PostgreSQL uses an expression index only
for an identical expression. SQLite has no GIN indexes and searches without them.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import TextField
from django.db.models.functions import Cast

CONFIG = "english"
INDEXES = {
    "event": ("title", "summary"),
    "statement": ("text",),
    "tariffmeasure": ("title", "product_scope", "legal_basis"),
    "participant": ("name", "office", "description", Cast("aliases", output_field=TextField())),
    "topic": ("name", "description"),
    "country": ("name", "iso2", "iso3"),
    "source": ("title", "publisher"),
}


def _index(model_name: str) -> GinIndex:
    return GinIndex(SearchVector(*INDEXES[model_name], config=CONFIG), name=f"{model_name}_search")


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name in INDEXES:
        schema_editor.add_index(apps.get_model("events", model_name), _index(model_name))


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name in INDEXES:
        schema_editor.remove_index(apps.get_model("events", model_name), _index(model_name))


class Migration(migrations.Migration):
    dependencies = [("events", "0003_source_web_url")]

    operations = [migrations.RunPython(create, drop)]
