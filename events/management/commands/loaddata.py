"""Django's loaddata, plus a change-history entry for every record it loads.

Everything Django's command does is unchanged. Afterwards, each loaded record gets a history
entry ("+" the first time, "~" when a reload changed it, none when it did not), in the same
transaction. See events/history.py for why the library cannot do this on its own.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.core.management.commands import loaddata
from django.db import transaction

from events.history import recording_loaded_records


class Command(loaddata.Command):
    help = f"{loaddata.Command.help} Records a change-history entry for every record loaded."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--user",
            help="Username recorded as the author of the loaded records' history entries.",
        )

    def handle(self, *fixture_labels: str, **options: Any) -> None:
        using = options["database"]
        user = None
        if options.get("user"):
            try:
                user = (
                    get_user_model()
                    ._default_manager.db_manager(using)
                    .get_by_natural_key(options["user"])
                )
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user is named {options['user']!r}.") from None
        reason = f"Loaded from fixture {', '.join(fixture_labels)}"
        with transaction.atomic(using=using), recording_loaded_records(reason, using, user):
            super().handle(*fixture_labels, **options)
