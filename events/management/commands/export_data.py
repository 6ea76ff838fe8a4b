"""`python manage.py export_data`: the export endpoints' files, for every collection."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from events import exports
from events.formats import RESOURCES


class Command(BaseCommand):
    help = (
        "Export collections as NDJSON, CSV or JSON files, the shape import_data reads (and the "
        "export endpoints give): one file per collection in --output-dir, or one collection to "
        "standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--resource",
            choices=list(RESOURCES),
            action="append",
            help="A collection to export (repeatable; default: every collection).",
        )
        parser.add_argument("--format", choices=["ndjson", "csv", "json"], default="ndjson")
        parser.add_argument(
            "--output-dir",
            type=Path,
            help="Write <collection>.<format> files here (default: standard output, one "
            "collection only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = options["resource"] or list(RESOURCES)
        kind = options["format"]
        directory: Path | None = options["output_dir"]
        if directory is None and len(names) != 1:
            raise CommandError("Give one --resource to export to standard output, or --output-dir.")
        for name in names:
            resource = RESOURCES[name]
            chunks = exports.lines(resource, resource.model._default_manager.all(), kind)
            if directory is None:
                for chunk in chunks:
                    sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
                continue
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / exports.filename(resource, kind)
            with path.open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
            self.stderr.write(f"{path}")
