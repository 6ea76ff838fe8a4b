"""Django's loaddata, plus a change-history entry for every record it loads.

Everything Django's command does is unchanged. Afterwards, each loaded record gets a history
entry ("+" the first time, "~" when a reload changed it, none when it did not), in the same
transaction. See events/history.py for why the library cannot do this on its own.
"""

from typing import Any

from django.core.management.commands import loaddata
from django.db import transaction

from events.history import recording_loaded_records


class Command(loaddata.Command):
    help = f"{loaddata.Command.help} Records a change-history entry for every record loaded."

    def handle(self, *fixture_labels: str, **options: Any) -> None:
        using = options["database"]
        reason = f"Loaded from fixture {', '.join(fixture_labels)}"
        with transaction.atomic(using=using), recording_loaded_records(reason, using):
            super().handle(*fixture_labels, **options)
