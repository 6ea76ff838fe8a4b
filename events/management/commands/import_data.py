"""`python manage.py import_data FILE [FILE ...] --user NAME [--dry-run]` (events/imports.py)."""

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm  # type: ignore[import-untyped]  # tqdm ships no type hints

from events import imports
from events.formats import RESOURCES


class Command(BaseCommand):
    help = (
        "Import records from JSON, NDJSON or CSV files (README: Importing and exporting). "
        "Every record is validated as the API validates it; on any error every problem is "
        "listed and nothing is written. Records are matched on their slug (countries on their "
        "ISO code): importing the same file twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--user",
            required=True,
            help="Username recorded as the author of every change (in the records' history).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate and report what would change, writing nothing.",
        )
        parser.add_argument(
            "--resource",
            choices=list(RESOURCES),
            help="The collection every file holds (by default: the start of each file's name, "
            "or a JSON file's `resource`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(options["user"])
        except User.DoesNotExist:
            raise CommandError(f"No user is named {options['user']!r}.") from None
        # A progress bar for people at a terminal; logs and pipes get only the summary.
        bar = tqdm(
            desc="records", unit=" records", file=sys.stderr, disable=not sys.stderr.isatty()
        )
        try:
            report = imports.run(
                options["files"],
                user=user,
                dry_run=options["dry_run"],
                resource=options["resource"],
                progress=bar.update,
            )
        finally:
            bar.close()
        self.stdout.write(summary(report, dry_run=options["dry_run"]))
        if report.problems:
            raise CommandError(
                f"{len(report.problems)} problem(s); nothing was written.\n"
                + "\n".join(str(problem) for problem in report.problems)
            )


def summary(report: imports.Report, *, dry_run: bool) -> str:
    """Per collection: created, updated, unchanged, failed (collections the files held)."""
    rows = [(name, counts) for name, counts in report.counts.items() if any(counts.values())]
    heading = "would be written (dry run; nothing was written)" if dry_run else "imported"
    lines = [f"{'':16}{'created':>9}{'updated':>9}{'unchanged':>11}{'failed':>8}   {heading}"]
    for name, counts in rows:
        lines.append(
            f"{name:16}{counts['created']:>9}{counts['updated']:>9}{counts['unchanged']:>11}"
            f"{counts['failed']:>8}"
        )
    return "\n".join(lines)
