"""`python manage.py load_cameo FILE`: load the CAMEO event codebook (events/cameo.py reads it)."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from events import cameo
from events.models import CameoCode


class Command(BaseCommand):
    help = (
        "Load the CAMEO event codebook (GDELT's tab-separated CAMEO.eventcodes.txt), so that "
        "events show the label of their CAMEO code. Codes are added or relabelled; faults the "
        "loader can repair are repaired and reported, any other is an error and nothing is "
        "written (unless --skip-invalid)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The codebook file.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Load every valid line and list the invalid ones, instead of loading nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}.") from None
        book = cameo.parse(data)
        for repair in book.repairs:
            self.stderr.write(f"{path}: {repair}")
        if book.errors and not options["skip_invalid"]:
            raise CommandError(
                f"{path}: {len(book.errors)} error(s); nothing was loaded.\n"
                + "\n".join(f"{path}: {error}" for error in book.errors)
            )
        for problem in book.errors:
            self.stderr.write(f"{path}: skipped: {problem}")
        created = updated = unchanged = 0
        with transaction.atomic():
            existing = {c.code: c for c in CameoCode.objects.all()}
            for code, label in sorted(book.codes.items()):
                record = existing.get(code) or CameoCode(code=code)
                if record.label == label and code in existing:
                    unchanged += 1
                    continue
                record.label = label
                try:
                    record.full_clean()
                except ValidationError as error:  # the same rules as the parser's: a guard
                    raise CommandError(f"{path}: {code}: {error.messages}") from None
                record.save()
                if code in existing:
                    updated += 1
                else:
                    created += 1
        self.stdout.write(
            f"CAMEO codes: {created} created, {updated} updated, {unchanged} unchanged"
            f" ({book.quad_classes} quad classes skipped, {len(book.repairs)} repaired,"
            f" {len(book.errors)} invalid line(s) skipped)."
            if options["skip_invalid"]
            else f"CAMEO codes: {created} created, {updated} updated, {unchanged} unchanged"
            f" ({book.quad_classes} quad classes skipped, {len(book.repairs)} repaired)."
        )
