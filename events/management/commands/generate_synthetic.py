"""python manage.py generate_synthetic --events N --seed S"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from events.synthetic import generate


class Command(BaseCommand):
    help = (
        "Create a realistic, deterministic synthetic data set: N events with about three "
        "participations, two topics and two countries each, statements, citations, sources and "
        "tariff measures over twenty years. Bulk loaded (COPY on PostgreSQL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, required=True, help="How many events.")
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Random seed (default 1). Each seed makes its own slugs and shares the "
            "synthetic topic tree and countries, so data sets of different seeds can share a "
            "database.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["events"] < 1:
            raise CommandError(f"--events must be 1 or more, not {options['events']}.")
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stderr.write(f"[{time.monotonic() - started:6.1f}s] {message}")

        counts = generate(events=options["events"], seed=options["seed"], progress=progress)
        total = sum(counts.values())
        self.stdout.write(
            f"Created {total:,} rows in {time.monotonic() - started:.1f}s: "
            + ", ".join(f"{name} {count:,}" for name, count in counts.items())
        )
