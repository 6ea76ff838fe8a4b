"""A synthetic data set at scale, for benchmarks and for tests that need many rows.

Deterministic for a given size and seed. Everything it creates is marked as synthetic (slugs
start with "syn-", names say so) and is valid under the models' rules (the database's check
constraints enforce them while loading). Rows go in with COPY on PostgreSQL and batched inserts
on SQLite, without per-row history; the change feed gets one "created" entry per collection
record, so clients and caches see the new data.
"""

import datetime
import random
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Model

from .models import (
    Change,
    Citation,
    Country,
    DatePrecision,
    Event,
    EventType,
    MeasureStatus,
    MeasureType,
    Participant,
    ParticipantKind,
    Participation,
    ParticipationRole,
    Source,
    Statement,
    StatementKind,
    TariffMeasure,
    Topic,
)

BASE_DATE = datetime.date(2005, 1, 1)  # twenty years of events, to the end of 2024
SPAN_DAYS = 20 * 365
STAMP = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
BODY = (
    "Synthetic report {n}. Officials of {a} and {b} met to discuss tariffs, critical minerals, "
    "trade and security. The talks were described as constructive."
)
EXCERPT = "met to discuss tariffs, critical minerals, trade and security"
CAMEO = ["010", "013", "020", "036", "040", "041", "042", "043", "046", "057", "061", "163", "173"]
ROLES = [r.value for r in ParticipationRole]
TYPES = [t.value for t in EventType]
WORDS = [
    "trade",
    "tariff",
    "minerals",
    "security",
    "summit",
    "border",
    "talks",
    "agreement",
    "investment",
    "energy",
    "ports",
    "shipping",
    "sanctions",
    "migration",
    "customs",
    "steel",
    "lithium",
    "cobalt",
    "corridor",
    "dialogue",
]
# Place names: common enough to search for, rare enough that a search for one is selective
# (about one event in 2,000 names each).
SYLLABLES = ["ka", "lo", "mi", "ra", "tu", "ne", "so", "vi", "da", "pe", "zo", "ri", "ba", "ku"]
PLACES = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES[:11]][:2000]

Progress = Callable[[str], None]


class Writer:
    """Appends rows to a table: COPY on PostgreSQL, batched INSERT elsewhere."""

    BATCH = 5000

    def __init__(self, model: type[Model] | str, columns: Sequence[str]) -> None:
        self.table = model if isinstance(model, str) else model._meta.db_table
        self.columns = list(columns)

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                columns = ", ".join(f'"{c}"' for c in self.columns)
                raw = cursor.cursor  # psycopg's own cursor, for COPY
                with raw.copy(f'COPY "{self.table}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                columns = ", ".join(f'"{c}"' for c in self.columns)
                sql = f'INSERT INTO "{self.table}" ({columns}) VALUES ({marks})'
                batch: list[Sequence[Any]] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) == self.BATCH:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        return count


def _next_id(model: type[Model]) -> int:
    return (model._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1


def _codes(taken: set[str]) -> Iterator[str]:
    for a in string.ascii_uppercase:
        for b in string.ascii_uppercase:
            if a + b not in taken:
                yield a + b


def generate(*, events: int, seed: int, progress: Progress = lambda _: None) -> dict[str, int]:
    """Create `events` synthetic events with everything around them; returns rows per table."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    stamp = STAMP

    with transaction.atomic():
        # --- countries: 200 synthetic ones beside the real ones, shared by every seed ---------
        synthetic_name = "Synthetic country "
        existing = dict(Country.objects.values_list("iso2", "name"))
        real = {code for code, name in existing.items() if not name.startswith(synthetic_name)}
        chosen = [c for c, _ in zip(_codes(real), range(200), strict=False)]
        new_codes = [code for code in chosen if code not in existing]
        codes = sorted(real | set(chosen))
        counts["countries"] = Writer(
            Country, ["iso2", "created_at", "updated_at", "iso3", "name"]
        ).write((code, stamp, stamp, f"{code}X", f"{synthetic_name}{code}") for code in new_codes)
        progress(f"countries: {counts['countries']}")

        # --- topics: a three-level tree, shared by every seed ----------------------------------
        # (slug, name, parent slug), parents first. A later seed finds the tree in place and
        # files its events under the same topics, as a growing data set would.
        tree: list[tuple[str, str, str | None]] = []
        for r in range(8):
            tree.append((f"syn-topic-{r}", f"Synthetic topic {r}", None))
            for c in range(5):
                tree.append((f"syn-topic-{r}-{c}", f"Synthetic topic {r}.{c}", f"syn-topic-{r}"))
                for g in range(3):
                    tree.append(
                        (
                            f"syn-topic-{r}-{c}-{g}",
                            f"Synthetic topic {r}.{c}.{g}",
                            f"syn-topic-{r}-{c}",
                        )
                    )
        topic_by_slug = dict(
            Topic.objects.filter(slug__in=[slug for slug, _, _ in tree]).values_list("slug", "id")
        )
        topic_id = _next_id(Topic)
        topic_rows: list[tuple[Any, ...]] = []
        for slug, name, parent in tree:
            if slug not in topic_by_slug:
                topic_by_slug[slug] = topic_id
                parent_id = topic_by_slug[parent] if parent else None
                topic_rows.append((topic_id, stamp, stamp, slug, name, "", parent_id))
                topic_id += 1
        topic_ids = [topic_by_slug[slug] for slug, _, _ in tree]
        counts["topics"] = Writer(
            Topic, ["id", "created_at", "updated_at", "slug", "name", "description", "parent_id"]
        ).write(topic_rows)
        progress(f"topics: {counts['topics']}")

        # --- participants: organizations, then people ------------------------------------------
        n_people = max(40, events // 25)
        n_orgs = max(10, n_people // 10)
        first = _next_id(Participant)
        org_ids = list(range(first, first + n_orgs))
        people_ids = list(range(first + n_orgs, first + n_orgs + n_people))

        def participant_rows() -> Iterator[tuple[Any, ...]]:
            for i, pk in enumerate(org_ids):
                yield (
                    pk,
                    stamp,
                    stamp,
                    ParticipantKind.ORGANIZATION,
                    f"Synthetic ministry {i}",
                    f"syn-org-{seed}-{i}",
                    "[]",
                    "",
                    rng.choice(codes),
                    None,
                    "",
                    "",
                )
            for i, pk in enumerate(people_ids):
                yield (
                    pk,
                    stamp,
                    stamp,
                    ParticipantKind.PERSON,
                    f"Synthetic person {i}",
                    f"syn-person-{seed}-{i}",
                    "[]",
                    "",
                    rng.choice(codes),
                    rng.choice(org_ids),
                    rng.choice(["Minister", "Ambassador", "Spokesperson", "Envoy"]),
                    "",
                )

        counts["participants"] = Writer(
            Participant,
            [
                "id",
                "created_at",
                "updated_at",
                "kind",
                "name",
                "slug",
                "aliases",
                "description",
                "country_id",
                "affiliation_id",
                "office",
                "wikidata_qid",
            ],
        ).write(participant_rows())
        progress(f"participants: {counts['participants']}")

        # --- sources ---------------------------------------------------------------------------
        n_sources = max(20, events // 20)
        source_first = _next_id(Source)
        source_ids = list(range(source_first, source_first + n_sources))

        def source_rows() -> Iterator[tuple[Any, ...]]:
            for i, pk in enumerate(source_ids):
                day = BASE_DATE + datetime.timedelta(days=rng.randrange(SPAN_DAYS))
                yield (
                    pk,
                    stamp,
                    stamp,
                    f"syn-source-{seed}-{i}",
                    f"Synthetic report {i}",
                    rng.choice(["Synthetic Wire", "Synthetic Times", "Synthetic Gazette"]),
                    "",
                    day,
                    DatePrecision.DAY,
                    "Synthetic data.",
                    "en",
                    BODY.format(n=i, a=rng.choice(codes), b=rng.choice(codes)),
                    Source.BodyKind.FULL_TEXT,
                    None,
                )

        counts["sources"] = Writer(
            Source,
            [
                "id",
                "created_at",
                "updated_at",
                "slug",
                "title",
                "publisher",
                "web_url",
                "published_on",
                "published_precision",
                "note",
                "language",
                "body",
                "body_kind",
                "retrieved_at",
            ],
        ).write(source_rows())
        progress(f"sources: {counts['sources']}")

        # --- events and what hangs on them -----------------------------------------------------
        event_first = _next_id(Event)
        event_ids = range(event_first, event_first + events)
        event_countries: list[tuple[int, str]] = []
        event_topics: list[tuple[int, int]] = []
        participations: list[tuple[int, int, str, str]] = []
        citations: list[tuple[str, int, int]] = []

        def event_rows() -> Iterator[tuple[Any, ...]]:
            for i, pk in enumerate(event_ids):
                precision = rng.choices(
                    [DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR], [90, 8, 2]
                )[0]
                day = BASE_DATE + datetime.timedelta(days=rng.randrange(SPAN_DAYS))
                end = None
                if precision == DatePrecision.MONTH:
                    day = day.replace(day=1)
                elif precision == DatePrecision.YEAR:
                    day = day.replace(month=1, day=1)
                elif rng.random() < 0.1:
                    end = day + datetime.timedelta(days=rng.randrange(1, 4))
                involved = rng.sample(codes, rng.randint(1, 3))
                for code in involved:
                    event_countries.append((pk, code))
                for topic in rng.sample(topic_ids, 2):
                    event_topics.append((pk, topic))
                for person in rng.sample(people_ids, 3):
                    participations.append((pk, person, rng.choice(ROLES), rng.choice(involved)))
                citations.append((f"syn-{seed}-event-{i}", rng.choice(source_ids), pk))
                words = rng.sample(WORDS, 3)
                place = rng.choice(PLACES).capitalize()
                yield (
                    pk,
                    stamp,
                    stamp,
                    f"syn-event-{seed}-{i}",
                    f"Synthetic {words[0]} {words[1]} talks in {place} {i}",
                    f"Officials met in {place} and discussed {words[0]}, {words[1]} and "
                    f"{words[2]}.",
                    rng.choice(TYPES),
                    rng.choice(CAMEO),
                    day,
                    end,
                    precision,
                    "",
                    rng.choice(involved) if rng.random() < 0.5 else None,
                )
                if i % 100_000 == 99_999:
                    progress(f"events: {i + 1:,} of {events:,}")

        counts["events"] = Writer(
            Event,
            [
                "id",
                "created_at",
                "updated_at",
                "slug",
                "title",
                "summary",
                "event_type",
                "cameo_code",
                "start_date",
                "end_date",
                "date_precision",
                "date_note",
                "location_country_id",
            ],
        ).write(event_rows())
        progress(f"events: {counts['events']:,}")

        counts["event countries"] = Writer(
            Event.countries.through, ["event_id", "country_id"]
        ).write(event_countries)
        counts["event topics"] = Writer(Event.topics.through, ["event_id", "topic_id"]).write(
            event_topics
        )
        counts["participations"] = Writer(
            Participation,
            [
                "created_at",
                "updated_at",
                "event_id",
                "participant_id",
                "role",
                "country_id",
                "note",
            ],
        ).write((stamp, stamp, e, p, role, c, "") for e, p, role, c in participations)
        counts["citations"] = Writer(
            Citation,
            ["created_at", "updated_at", "key", "source_id", "excerpt", "field", "event_id"],
        ).write((stamp, stamp, key, s, EXCERPT, "", e) for key, s, e in citations)
        progress(
            f"links: {counts['event countries']:,} countries, {counts['event topics']:,} topics, "
            f"{counts['participations']:,} participations, {counts['citations']:,} citations"
        )
        for done in (event_countries, event_topics, participations, citations):
            done.clear()  # free the memory before the next tables

        # --- statements ------------------------------------------------------------------------
        statement_rows = (
            (
                stamp,
                stamp,
                f"syn-statement-{seed}-{i}",
                rng.choice(event_ids),
                rng.choice(people_ids),
                f"We discussed {rng.choice(WORDS)} and {rng.choice(WORDS)}.",
                StatementKind.QUOTE,
                BASE_DATE + datetime.timedelta(days=rng.randrange(SPAN_DAYS)),
                DatePrecision.DAY,
                "",
            )
            for i in range(events // 5)
        )
        counts["statements"] = Writer(
            Statement,
            [
                "created_at",
                "updated_at",
                "slug",
                "event_id",
                "speaker_id",
                "text",
                "kind",
                "stated_on",
                "date_precision",
                "date_note",
            ],
        ).write(statement_rows)
        progress(f"statements: {counts['statements']:,}")

        # --- tariff measures between country pairs ---------------------------------------------
        measure_first = _next_id(TariffMeasure)
        n_measures = max(10, events // 20)
        targets: list[tuple[int, str]] = []
        discussed: list[tuple[int, int]] = []

        def measure_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(n_measures):
                pk = measure_first + i
                imposing, target = rng.sample(codes, 2)
                announced = BASE_DATE + datetime.timedelta(days=rng.randrange(SPAN_DAYS))
                effective = announced + datetime.timedelta(days=rng.randrange(0, 60))
                status = rng.choice([s.value for s in MeasureStatus])
                suspended = (
                    effective + datetime.timedelta(days=30)
                    if status == MeasureStatus.SUSPENDED
                    else None
                )
                ended = (
                    effective + datetime.timedelta(days=90)
                    if status == MeasureStatus.WITHDRAWN
                    else None
                )
                if rng.random() < 0.9:  # the rest apply to every country
                    targets.append((pk, target))
                event = rng.choice(event_ids)
                discussed.append((pk, event))
                yield (
                    pk,
                    stamp,
                    stamp,
                    f"syn-measure-{seed}-{i}",
                    f"Synthetic tariff {i}",
                    imposing,
                    rng.choice([t.value for t in MeasureType]),
                    rng.randrange(0, 100000) / 100,
                    "",
                    announced,
                    effective,
                    suspended,
                    None,
                    ended,
                    status,
                    None,
                    "",
                    event,
                )

        counts["tariff measures"] = Writer(
            TariffMeasure,
            [
                "id",
                "created_at",
                "updated_at",
                "slug",
                "title",
                "imposing_country_id",
                "measure_type",
                "rate",
                "product_scope",
                "announced_on",
                "effective_on",
                "suspended_on",
                "suspended_until",
                "ended_on",
                "status",
                "status_as_of",
                "legal_basis",
                "announced_in_id",
            ],
        ).write(measure_rows())
        Writer(TariffMeasure.target_countries.through, ["tariffmeasure_id", "country_id"]).write(
            targets
        )
        Writer(TariffMeasure.discussed_in.through, ["tariffmeasure_id", "event_id"]).write(
            discussed
        )
        progress(f"tariff measures: {counts['tariff measures']:,}")

        # --- the change feed -------------------------------------------------------------------
        def changes() -> Iterator[tuple[Any, ...]]:
            for code in new_codes:
                yield (stamp, "countries", code, "created")
            for slug, *_ in ((row[3],) for row in topic_rows):
                yield (stamp, "topics", slug, "created")
            for i in range(n_orgs):
                yield (stamp, "participants", f"syn-org-{seed}-{i}", "created")
            for i in range(n_people):
                yield (stamp, "participants", f"syn-person-{seed}-{i}", "created")
            for i in range(n_sources):
                yield (stamp, "sources", f"syn-source-{seed}-{i}", "created")
            for i in range(events):
                yield (stamp, "events", f"syn-event-{seed}-{i}", "created")
            for i in range(events // 5):
                yield (stamp, "statements", f"syn-statement-{seed}-{i}", "created")
            for i in range(n_measures):
                yield (stamp, "tariff-measures", f"syn-measure-{seed}-{i}", "created")

        counts["changes"] = Writer(Change, ["at", "collection", "key", "kind"]).write(changes())
        progress(f"change feed: {counts['changes']:,} entries")

        if connection.vendor == "postgresql":
            _reset_sequences()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, so plans fit the new sizes
    return counts


def _reset_sequences() -> None:
    """COPY with explicit ids leaves PostgreSQL's sequences behind: move them past the data."""
    from django.apps import apps
    from django.core.management.color import no_style

    models = list(apps.get_app_config("events").get_models(include_auto_created=True))
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
