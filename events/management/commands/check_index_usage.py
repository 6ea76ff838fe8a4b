"""python manage.py check_index_usage: EXPLAIN every list query; fail on a sequential scan.

Builds each list's page query as the API does (the FilterSet, the list's columns, a page of
25) for every event and tariff-measure filter DESIGN.md lists, and for cursor pages, with
values taken from the data, and asks PostgreSQL for its plan. A plan that reads a whole table
(`Seq Scan on events_event`) fails the check, and so does a cursor page that walks the index
from its start rather than from the cursor (a Filter where an Index Cond is needed). A list
marked IN_ORDER (one country, one topic, one imposing country: migrations 0008 and 0010) must
also come from an index in the list's order: a Sort of more than SORT_LIMIT rows (estimated)
in its plan means every match is read and sorted, however few the page shows ("SORTED"); a
few matches PostgreSQL rightly reads and sorts. Meant for a database with realistic volumes
(`make bench` runs it after loading); on a small one PostgreSQL rightly prefers scans. Counts
are cached per data version (events/caching.py) and are not part of the check.
"""

import re
from typing import Any
from urllib.parse import quote

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.http import QueryDict

from events.fast import EVENT_COLUMNS, MEASURE_COLUMNS
from events.filters import EventFilter, TariffMeasureFilter
from events.models import Event, Participation, TariffMeasure, Topic
from events.ordering import sort_keys
from events.pagination import after
from events.views import event_list_queryset, tariff_measure_list_queryset

CURSOR = "&cursor"  # marks a case that pages by cursor, from the middle of the list
IN_ORDER = "&in-order"  # marks a case whose page must come from an index in the list's order
SORT = re.compile(r"\bSort  \(cost=[\d.]+ rows=(\d+)")
SORT_LIMIT = 250  # ten pages
SEQ_SCAN = re.compile(r"Seq Scan on (events_event|events_tariffmeasure)\b(?!_)")


class Command(BaseCommand):
    help = "EXPLAIN the page query of every event filter and fail on a scan of the whole table."

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The check reads PostgreSQL plans: set DATABASE_URL to one.")
        failures = 0
        for label, filterset, model, base, columns, params in self.cases():
            # The list's own queryset (with its annotations), as the view filters it.
            in_order = IN_ORDER in params
            params = params.replace(IN_ORDER, "")
            queryset = filterset(QueryDict(params.removesuffix(CURSOR)), queryset=base())
            if not queryset.is_valid():
                raise CommandError(f"{label}: {queryset.errors}")
            rows = queryset.qs
            if params.endswith(CURSOR):  # a page deep in the list, as a `next` link asks for it
                keys = sort_keys(rows)
                assert keys is not None  # noqa: S101 - the cases sort on columns
                middle = rows.values_list(*[key.name for key in keys])[rows.count() // 2]
                fields = [model._meta.get_field(key.name) for key in keys]
                rows = rows.filter(after(keys, list(middle), fields)[0])
            page = rows.values(*columns)[:25]
            sql, sql_params = page.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN {sql}", sql_params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            scans = sorted(set(SEQ_SCAN.findall(plan)))
            # Neither table may be read whole, and a cursor page must start where the cursor
            # points (an index condition), not walk the index from the top and filter.
            unbounded = params.endswith(CURSOR) and "Index Cond" not in plan
            # A list that has an index in its order must not read every match and sort it.
            sorted_ = in_order and any(int(rows) > SORT_LIMIT for rows in SORT.findall(plan))
            failed = bool(scans) or unbounded or sorted_
            failures += failed
            verdict = "SEQ SCAN" if scans else "FILTERED" if unbounded else "index"
            verdict = "SORTED" if sorted_ else "in order" if in_order and not failed else verdict
            shown = params.replace(CURSOR, "&cursor=(middle row)").lstrip("&")
            self.stdout.write(f"{'FAIL' if failed else 'ok  '}  {label:<42} {verdict:<9} ?{shown}")
            if failed or options["verbosity"] > 1:
                self.stdout.write("      " + plan.replace("\n", "\n      "))
        if failures:
            raise CommandError(
                f"{failures} list queries scan a whole table, walk an index from its start "
                "or sort every match."
            )
        self.stdout.write("Every list query is served by an index.")

    def cases(self) -> list[tuple[str, Any, Any, Any, tuple[str, ...], str]]:
        country = (
            Event.countries.through.objects.values_list("country_id", flat=True)
            .order_by("-id")
            .first()
            or "US"
        )
        root = Topic.objects.filter(parent=None).order_by("-id").first()
        topic = root.slug if root else "trade"
        leaf = (
            Event.topics.through.objects.filter(topic__children=None)
            .order_by("-id")
            .values_list("topic__slug", flat=True)
            .first()
            or "tariffs"
        )
        other = (
            Event.countries.through.objects.exclude(country_id=country)
            .order_by("-id")
            .values_list("country_id", flat=True)
            .first()
            or "PK"
        )
        participant = (
            Participation.objects.order_by("-id")
            .values_list("participant__slug", flat=True)
            .first()
            or "marco-rubio"
        )
        latest = Event.objects.order_by("-id").values_list("title", "updated_at").first()
        word = latest[0].split()[-2] if latest else "tariffs"  # a place name in synthetic titles
        since = quote(latest[1].isoformat()) if latest else "2025-01-01T00:00:00Z"
        e, m = (
            (EventFilter, Event, event_list_queryset, EVENT_COLUMNS),
            (TariffMeasureFilter, TariffMeasure, tariff_measure_list_queryset, MEASURE_COLUMNS),
        )
        events = [
            ("events: no filter", ""),
            ("events: date_from", "date_from=2015-01-01"),
            ("events: date_to", "date_to=2010-12-31"),
            ("events: date range", "date_from=2010-01-01&date_to=2012-12-31"),
            ("events: event_type", "event_type=meeting"),
            ("events: cameo prefix", "cameo=04"),
            ("events: country", f"country={country}{IN_ORDER}"),
            ("events: country+date_to", f"country={country}&date_to=2012-12-31{IN_ORDER}"),
            ("events: two countries", f"country={country},{other}"),
            ("events: participant", f"participant={participant}"),
            ("events: topic (with descendants)", f"topic={topic}"),
            ("events: topic (a leaf)", f"topic={leaf}{IN_ORDER}"),
            ("events: q", f"q={word}"),
            ("events: updated_since", f"updated_since={since}"),
            ("events: ordering=date", "ordering=date"),
            ("events: ordering=title", "ordering=title"),
            ("events: ordering=-updated_at", "ordering=-updated_at"),
            ("events: cursor page", f"{CURSOR}"),
            ("events: cursor page, ordering=title", f"ordering=title{CURSOR}"),
            ("events: cursor page, ordering=-updated_at", f"ordering=-updated_at{CURSOR}"),
            ("events: cursor page, country", f"country={country}{IN_ORDER}{CURSOR}"),
            ("events: cursor page, topic (a leaf)", f"topic={leaf}{IN_ORDER}{CURSOR}"),
            (
                "events: country+topic+dates",
                f"country={country}&topic={topic}&date_from=2010-01-01&date_to=2012-12-31"
                f"{IN_ORDER}",
            ),
        ]
        measures = [
            ("tariff-measures: no filter", ""),
            ("tariff-measures: cursor page", f"{CURSOR}"),
            ("tariff-measures: target_country", f"target_country={country}"),
            ("tariff-measures: imposing_country", f"imposing_country={country}{IN_ORDER}"),
            ("tariff-measures: effective_on", "effective_on=2015-06-01"),
            ("tariff-measures: rate range", "rate_min=10&rate_max=20"),
        ]
        return [(label, *e, params) for label, params in events] + [
            (label, *m, params) for label, params in measures
        ]
