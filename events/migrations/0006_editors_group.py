"""The `editors` group: add, change, delete (and view) every domain model.

Permissions are normally created after all migrations run (post_migrate); they are created here
first so that the group can be given them on a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

GROUP = "editors"
MODELS = [
    "source",
    "citation",
    "country",
    "participant",
    "topic",
    "event",
    "eventrelation",
    "participation",
    "statement",
    "tariffmeasure",
]
ACTIONS = ["add", "change", "delete", "view"]


def create_group(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    app_config = apps.get_app_config("events")
    app_config.models_module = True  # create_permissions skips apps it thinks have no models
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=GROUP)
    codenames = [f"{action}_{model}" for model in MODELS for action in ACTIONS]
    permissions = Permission.objects.using(schema_editor.connection.alias).filter(
        content_type__app_label="events", codename__in=codenames
    )
    if permissions.count() != len(codenames):
        raise RuntimeError("The events app's permissions were not all created.")
    group.permissions.add(*permissions)


def delete_group(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name=GROUP
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_bounded_text_and_change_feed"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
