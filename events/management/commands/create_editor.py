"""`python manage.py create_editor NAME`: a user who may write through the API (`make editor`)."""

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Create a user in the `editors` group (every add, change and delete permission on the "
        "data), or put an existing one in it. The user has no password: it writes with a "
        "token (`manage.py drf_create_token NAME`), or set one with `manage.py changepassword`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", default="editor", help="Default: editor.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        # The group comes with the migrations (events/migrations/0006_editors_group.py).
        user.groups.add(Group.objects.get(name="editors"))
        state = "created" if created else "exists"
        self.stdout.write(
            f"{username}: {state}, in the editors group. A token: "
            f".venv/bin/python manage.py drf_create_token {username}"
        )
