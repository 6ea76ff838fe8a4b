from django.apps import AppConfig


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = "Policy events"

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from . import changes, logs

        logs.tag_records_with_request_id()

        # Every change-history entry also feeds the change feed (see events/changes.py).
        post_create_historical_record.connect(
            changes.on_history_entry, dispatch_uid="events.changes.on_history_entry"
        )
