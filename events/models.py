"""The policy-event domain: who did what, when, about which topic, and where each fact comes from.

Every invariant is a database constraint (so no write path can break it) and is evaluated again
by `full_clean()` through `validate_constraints()` (so the admin, the API and importers report it
as a message naming the field instead of an IntegrityError). Rules that span rows (a topic never
its own ancestor, an excerpt that must occur in its source) live in `clean()`, backed at the
database where the database can express them (see migration 0002 for the topic-cycle trigger).
"""

import calendar
import datetime
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import connections, models, router
from django.db.models import F, Q

from .constraints import FieldCheckConstraint, FieldUniqueConstraint
from .history import tracked

ISO2_PATTERN = r"^[A-Z]{2}\Z"
ISO3_PATTERN = r"^[A-Z]{3}\Z"
# CAMEO event codes: a root category 01-20, then up to two more digits (010, 0211, 1831).
CAMEO_PATTERN = r"^(0[1-9]|1[0-9]|20)[0-9]{0,2}\Z"
WIKIDATA_PATTERN = r"^Q[1-9][0-9]*\Z"

RATE_MIN = 0
RATE_MAX = 1000


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month (the date is the first day of the month)"
    YEAR = "year", "Year (the date is 1 January of the year)"


class ParticipantKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANIZATION = "organization", "Organization"


class EventType(models.TextChoices):
    PHONE_CALL = "phone_call", "Phone call"
    MEETING = "meeting", "Meeting"
    VISIT = "visit", "Visit"
    STATEMENT = "statement", "Statement"
    POLICY_ANNOUNCEMENT = "policy_announcement", "Policy announcement"
    NEGOTIATION = "negotiation", "Negotiation"
    AGREEMENT = "agreement", "Agreement"
    SANCTION = "sanction", "Sanction"
    ARREST = "arrest", "Arrest"
    ATTACK = "attack", "Attack"
    MILITARY_OPERATION = "military_operation", "Military operation"
    PROTEST = "protest", "Protest"


class RelationType(models.TextChoices):
    PRECEDED_BY = "preceded_by", "Preceded by"
    CONTEXT_FOR = "context_for", "Context for"
    RESPONSE_TO = "response_to", "Response to"
    PART_OF = "part_of", "Part of"


class ParticipationRole(models.TextChoices):
    INITIATOR = "initiator", "Initiator"
    COUNTERPART = "counterpart", "Counterpart"
    ANNOUNCER = "announcer", "Announcer"
    SUBJECT = "subject", "Subject"
    MENTIONED = "mentioned", "Mentioned"


class StatementKind(models.TextChoices):
    QUOTE = "quote", "Quote (words spoken)"
    PRESS_RELEASE = "press_release", "Press release or published statement"


class MeasureType(models.TextChoices):
    BASELINE = "baseline", "Baseline (applies to every trading partner)"
    RECIPROCAL = "reciprocal", "Reciprocal (country-specific rate)"
    RETALIATORY = "retaliatory", "Retaliatory"
    SECTORAL = "sectoral", "Sectoral (specific products)"


class MeasureStatus(models.TextChoices):
    ANNOUNCED = "announced", "Announced, not yet in force"
    IN_FORCE = "in_force", "In force"
    SUSPENDED = "suspended", "Suspended"
    WITHDRAWN = "withdrawn", "Withdrawn or ended"


def precision_aligned(date_field: str, precision_field: str) -> Q:
    """A date known to the month falls on the 1st; one known to the year on 1 January."""
    return (
        Q(**{f"{date_field}__isnull": True})
        | Q(**{precision_field: DatePrecision.DAY})
        | Q(**{precision_field: DatePrecision.MONTH, f"{date_field}__day": 1})
        | Q(
            **{
                precision_field: DatePrecision.YEAR,
                f"{date_field}__day": 1,
                f"{date_field}__month": 1,
            }
        )
    )


def period_end(date: datetime.date, precision: str) -> datetime.date:
    """The last day a date of the given precision can stand for (2025-03-01/month -> 2025-03-31)."""
    if precision == DatePrecision.MONTH:
        return date.replace(day=calendar.monthrange(date.year, date.month)[1])
    if precision == DatePrecision.YEAR:
        return date.replace(month=12, day=31)
    return date


def bounded_text(max_length: int, **options: Any) -> "models.TextField[Any, Any]":
    """A TextField whose length model validation enforces (Django's TextField does not)."""
    return models.TextField(validators=[MaxLengthValidator(max_length)], **options)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the record was created.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the record last changed.")

    class Meta:
        abstract = True


class SlugManager(models.Manager["Any"]):
    """Natural key: the slug, so fixtures load and reload without primary-key clashes."""

    def get_by_natural_key(self, slug: str) -> Any:
        return self.get(slug=slug)


# How many citations a refused change of a source's body lists (the message gives the count).
BROKEN_CITATIONS_LISTED = 10


class Source(TimeStampedModel):
    class BodyKind(models.TextChoices):
        FULL_TEXT = "full_text", "Full text of the document, byte for byte"
        RESEARCH_NOTES = (
            "research_notes",
            "The research notes' record of what the document states; its own text is not held",
        )

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, help_text="Who published it, e.g. 'Reuters'.")
    web_url = models.URLField(
        "web URL", max_length=500, blank=True, help_text="Where the document is published."
    )
    published_on = models.DateField(null=True, blank=True)
    published_precision = models.CharField(
        max_length=5,
        choices=DatePrecision.choices,
        blank=True,
        help_text="Blank when no date.",
    )
    note = bounded_text(
        5_000,
        blank=True,
        help_text="Where the metadata comes from: how the title, date and text are known.",
    )
    language = models.CharField(max_length=35, default="en", help_text="BCP 47 tag, e.g. 'en'.")
    body = bounded_text(1_000_000, help_text="The text excerpts are checked against.")
    body_kind = models.CharField(
        max_length=20, choices=BodyKind.choices, default=BodyKind.FULL_TEXT
    )
    retrieved_at = models.DateTimeField(null=True, blank=True)

    history = tracked()
    objects = SlugManager()

    class Meta:
        ordering = ["slug"]
        indexes = [
            models.Index(fields=["publisher"]),
            models.Index(fields=["updated_at"]),
        ]
        constraints = [
            FieldCheckConstraint(
                name="source_published_precision_matches_date",
                field="published_precision",
                condition=Q(published_on__isnull=True, published_precision="")
                | Q(
                    published_on__isnull=False,
                    published_precision__in=DatePrecision.values,
                ),
                violation_error_message="A publication date needs a precision (day, month or "
                "year), and a precision needs a date.",
            ),
            FieldCheckConstraint(
                name="source_published_on_aligned",
                field="published_on",
                condition=precision_aligned("published_on", "published_precision"),
                violation_error_message="A date known to the month must be the 1st of the month, "
                "one known to the year 1 January.",
            ),
        ]

    # The importer sets it on the sources it writes and calls validate_citations() once the
    # whole import is written: one file may change a body and the citations that quote it.
    defer_citation_check = False

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        super().clean()
        if not self.defer_citation_check:
            self.validate_citations()

    def validate_citations(self) -> None:
        """Citation.clean's rule seen from the source: the body (as it is on this instance,
        saved or not) must contain the excerpt of every stored citation of the source. Raises
        a ValidationError on `body` that says how many citations it would break and lists the
        first BROKEN_CITATIONS_LISTED (the record each supports, the field, the excerpt)."""
        if self.pk is None:
            return  # a new source has no citations yet
        # The source's row stays locked until the write commits, so no citation of it can be
        # added meanwhile (Citation.save() takes the same lock): the check below sees every
        # citation that will exist beside the new body.
        locked_body(self.pk, router.db_for_write(Source, instance=self))
        # Oldest first (by primary key), so that the same change always lists the same ones.
        excerpts = (
            Citation.objects.filter(source_id=self.pk).order_by("pk").values_list("pk", "excerpt")
        )
        broken = [pk for pk, excerpt in excerpts if excerpt not in self.body]
        if not broken:
            return
        listed = (
            Citation.objects.filter(pk__in=broken[:BROKEN_CITATIONS_LISTED])
            .select_related(*CITATION_LABEL_RELATIONS)
            .order_by("pk")
        )
        count = f"{len(broken)} citation{'' if len(broken) == 1 else 's'}"
        messages = [
            f"The text no longer contains the excerpt of {count} of this source (an excerpt "
            "must occur verbatim in its source's body): keep the excerpts in the text, or "
            "change or delete those citations first.",
            *(citation.describe() for citation in listed),
        ]
        if len(broken) > BROKEN_CITATIONS_LISTED:
            messages.append(f"... and {len(broken) - BROKEN_CITATIONS_LISTED} more.")
        raise ValidationError({"body": messages})


def locked_body(source_pk: Any, using: str) -> str | None:
    """The source's body as committed (or as this transaction wrote it), its row locked (FOR
    UPDATE) until the transaction ends; None where that cannot be done (no transaction, or a
    database without row locks: SQLite lets one transaction write at a time anyway).

    A citation's excerpt must occur in its source's body, a rule that spans two rows: a body
    edited while a citation of it is added would pass both checks, each made before the other
    committed. Both writers take this lock before they check, so one waits for the other."""
    connection = connections[using]
    if not (connection.features.has_select_for_update and connection.in_atomic_block):
        return None
    rows = Source.objects.using(using).select_for_update().filter(pk=source_pk)
    return rows.values_list("body", flat=True).first()


class Country(TimeStampedModel):
    iso2 = models.CharField(
        "ISO 3166-1 alpha-2",
        max_length=2,
        primary_key=True,
        validators=[RegexValidator(ISO2_PATTERN, "Two upper-case letters, e.g. 'PK'.")],
    )
    iso3 = models.CharField(
        "ISO 3166-1 alpha-3",
        max_length=3,
        unique=True,
        validators=[RegexValidator(ISO3_PATTERN, "Three upper-case letters, e.g. 'PAK'.")],
    )
    name = models.CharField(max_length=200, unique=True)

    history = tracked()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"
        constraints = [
            FieldCheckConstraint(
                name="country_iso2_upper_alpha",
                field="iso2",
                condition=Q(iso2__regex=ISO2_PATTERN),
                violation_error_message="Two upper-case letters, e.g. 'PK'.",
            ),
            FieldCheckConstraint(
                name="country_iso3_upper_alpha",
                field="iso3",
                condition=Q(iso3__regex=ISO3_PATTERN),
                violation_error_message="Three upper-case letters, e.g. 'PAK'.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.iso2})"


class Topic(TimeStampedModel):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    description = bounded_text(5_000, blank=True)
    parent = models.ForeignKey(
        "self",
        # A topic's children must be moved or deleted first: deleting a branch by accident
        # would silently untag every event filed under it.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The broader topic (trade > tariffs > reciprocal tariffs).",
    )

    history = tracked()
    objects = SlugManager()

    class Meta:
        ordering = ["slug"]
        indexes = [models.Index(fields=["updated_at"])]
        constraints = [
            # Longer cycles (A > B > A) are caught by clean() and, at the database, by the
            # trigger installed in migration 0002.
            FieldCheckConstraint(
                name="topic_not_own_parent",
                field="parent",
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                violation_error_message="A topic cannot be its own parent.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        super().clean()
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": "A topic cannot be its own ancestor."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


MAX_ALIASES = 50
NAME_LENGTH = 200  # a participant's name, and each of its aliases


class Participant(TimeStampedModel):
    Kind = ParticipantKind

    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=NAME_LENGTH)
    slug = models.SlugField(max_length=120, unique=True)
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text="Other names the participant is reported under.",
    )
    description = bounded_text(5_000, blank=True)
    country = models.ForeignKey(
        Country,
        # Countries are reference data; removing one must not silently drop who belongs to it.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
    )
    affiliation = models.ForeignKey(
        "self",
        # A person outlives the organization's record: keep the person, forget the link.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        limit_choices_to={"kind": Kind.ORGANIZATION},
        # ForeignKey.validate() applies limit_choices_to; this message covers both a missing
        # record and a person given as an affiliation.
        error_messages={
            "invalid": "Choose an existing organization (a participant of kind 'organization')."
        },
        help_text="The organization the participant belongs to or works for.",
    )
    office = models.CharField(
        max_length=200,
        blank=True,
        help_text="The office held, e.g. 'Secretary of State'.",
    )
    wikidata_qid = models.CharField(
        "Wikidata QID",
        max_length=20,
        blank=True,
        validators=[RegexValidator(WIKIDATA_PATTERN, "A Wikidata item id, e.g. 'Q42'.")],
    )

    history = tracked()
    objects = SlugManager()

    class Meta:
        # Names can repeat; the slug keeps one order among namesakes.
        ordering = ["name", "slug"]
        indexes = [
            models.Index(fields=["name", "slug"], name="participant_name_slug"),
            models.Index(fields=["kind"]),
            models.Index(fields=["updated_at"]),
        ]
        constraints = [
            FieldCheckConstraint(
                name="participant_kind_valid",
                field="kind",
                condition=Q(kind__in=ParticipantKind.values),
                violation_error_message="Kind must be one of: "
                + ", ".join(ParticipantKind.values)
                + ".",
            ),
            FieldCheckConstraint(
                name="participant_wikidata_qid_format",
                field="wikidata_qid",
                condition=Q(wikidata_qid="") | Q(wikidata_qid__regex=WIKIDATA_PATTERN),
                violation_error_message="A Wikidata item id, e.g. 'Q42'.",
            ),
            FieldCheckConstraint(
                name="participant_not_own_affiliation",
                field="affiliation",
                condition=Q(affiliation__isnull=True) | ~Q(affiliation=F("id")),
                violation_error_message="A participant cannot be its own affiliation.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        super().clean()
        longest = NAME_LENGTH  # an alias is another name
        if not isinstance(self.aliases, list) or not all(isinstance(a, str) for a in self.aliases):
            raise ValidationError({"aliases": "A list of names (text)."})
        problems = []
        if len(self.aliases) > MAX_ALIASES:
            problems.append(f"At most {MAX_ALIASES} aliases; there are {len(self.aliases)}.")
        if any(not alias.strip() for alias in self.aliases):
            problems.append("An alias cannot be blank: give a name.")
        if any(len(alias) > longest for alias in self.aliases):
            problems.append(f"An alias is at most {longest} characters long; one is longer.")
        if problems:
            raise ValidationError({"aliases": problems})


class CameoCode(models.Model):
    """One code of the CAMEO event codebook, as GDELT publishes it (`load_cameo` loads it).

    Reference data, not curated here: it has no history and no API collection; events name
    their code in `Event.cameo_code`, and the API shows the label found here beside it.
    """

    code = models.CharField(
        max_length=4,
        primary_key=True,
        validators=[RegexValidator(CAMEO_PATTERN, "A CAMEO event code: 01-20, then 0-2 digits.")],
    )
    label = models.CharField(max_length=200, help_text="The codebook's EVENTDESCRIPTION.")

    class Meta:
        ordering = ["code"]
        verbose_name = "CAMEO code"
        constraints = [
            FieldCheckConstraint(
                name="cameo_code_format",
                field="code",
                condition=Q(code__regex=CAMEO_PATTERN),
                violation_error_message="A CAMEO event code: 01-20, then 0-2 digits.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Event(TimeStampedModel):
    EventType = EventType

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    summary = bounded_text(10_000, blank=True)
    event_type = models.CharField(max_length=30, choices=EventType.choices)
    cameo_code = models.CharField(
        "CAMEO code",
        max_length=4,
        validators=[RegexValidator(CAMEO_PATTERN, "A CAMEO event code: 01-20, then 0-2 digits.")],
        help_text="The CAMEO event code (e.g. 041 'Discuss by telephone').",
    )
    start_date = models.DateField(help_text="First day of the event (or of its period).")
    end_date = models.DateField(null=True, blank=True, help_text="Last day, when it spans days.")
    date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    date_note = bounded_text(
        2_000, blank=True, help_text="How the date was resolved, and from what."
    )
    location_country = models.ForeignKey(
        Country,
        # Countries are reference data; deleting one must not silently drop events.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="located_events",
    )
    countries = models.ManyToManyField(
        Country, blank=True, related_name="events", help_text="Countries involved."
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="events")
    participants: "models.ManyToManyField[Participant, Participation]" = models.ManyToManyField(
        Participant, through="Participation", related_name="events", blank=True
    )

    history = tracked(m2m_fields=[countries, topics])
    objects = SlugManager()

    class Meta:
        ordering = ["-start_date", "-slug"]
        indexes = [
            # Each sort (ties by slug, in the same direction), both ways, and its cursor pages.
            models.Index(fields=["start_date", "slug"], name="event_date_slug"),
            models.Index(fields=["title", "slug"], name="event_title_slug"),
            models.Index(fields=["updated_at", "slug"], name="event_updated_slug"),
            models.Index(fields=["end_date"]),
            models.Index(fields=["event_type"]),
            # Prefix matches (cameo=04) use it on SQLite and with the C collation; on
            # PostgreSQL migration 0008 adds a varchar_pattern_ops index for LIKE '04%'.
            models.Index(fields=["cameo_code"]),
        ]
        constraints = [
            FieldCheckConstraint(
                name="event_end_not_before_start",
                field="end_date",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                violation_error_message="The end date cannot be before the start date.",
            ),
            FieldCheckConstraint(
                name="event_date_precision_valid",
                field="date_precision",
                condition=Q(date_precision__in=DatePrecision.values),
                violation_error_message="Date precision must be one of: "
                + ", ".join(DatePrecision.values)
                + ".",
            ),
            FieldCheckConstraint(
                name="event_start_date_aligned",
                field="start_date",
                condition=precision_aligned("start_date", "date_precision"),
                violation_error_message="A date known to the month must be the 1st of the month, "
                "one known to the year 1 January.",
            ),
            FieldCheckConstraint(
                name="event_end_date_aligned",
                field="end_date",
                condition=precision_aligned("end_date", "date_precision"),
                violation_error_message="A date known to the month must be the 1st of the month, "
                "one known to the year 1 January.",
            ),
            FieldCheckConstraint(
                name="event_type_valid",
                field="event_type",
                condition=Q(event_type__in=EventType.values),
                violation_error_message="Event type must be one of: "
                + ", ".join(EventType.values)
                + ".",
            ),
            FieldCheckConstraint(
                name="event_cameo_code_format",
                field="cameo_code",
                condition=Q(cameo_code__regex=CAMEO_PATTERN),
                violation_error_message="A CAMEO event code: 01-20, then 0-2 digits.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @property
    def latest_date(self) -> datetime.date:
        """The last day the event can cover, given its precision."""
        return period_end(self.end_date or self.start_date, self.date_precision)


# --- event link tables, read with the event's sort keys ----------------------------------------


class EventLink(models.Model):
    """A row of one of Event's many-to-many tables, as the list filters read it (read only).

    Django owns the tables (`Event.countries`, `Event.topics`); these unmanaged models only
    name them, with two more columns that exist on PostgreSQL alone (migration 0010): a copy
    of the event's sort keys, `start_date` and `slug`, which triggers keep equal to the
    event's on every write (a link added, an event's date or slug changed), whatever wrote
    it. An index on (country or topic, start_date, slug) then hands `?country=PK` its first
    page in the list's order, 25 rows read, with no sort (events/filters.py: `via_link`).
    """

    id = models.BigAutoField(primary_key=True)
    start_date = models.DateField(null=True)
    slug = models.SlugField(max_length=120, null=True)  # noqa: DJ001 - NULL until its event is

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.event_id} {self.start_date} {self.slug}"  # type: ignore[attr-defined]


class EventCountryLink(EventLink):
    event = models.ForeignKey(
        Event, on_delete=models.DO_NOTHING, db_constraint=False, related_name="country_links"
    )
    country = models.ForeignKey(
        Country, on_delete=models.DO_NOTHING, db_constraint=False, to_field="iso2", related_name="+"
    )

    class Meta:
        managed = False
        db_table = "events_event_countries"


class EventTopicLink(EventLink):
    event = models.ForeignKey(
        Event, on_delete=models.DO_NOTHING, db_constraint=False, related_name="topic_links"
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        managed = False
        db_table = "events_event_topics"


class RelationManager(models.Manager["EventRelation"]):
    def get_by_natural_key(self, from_slug: str, to_slug: str, relation_type: str) -> Any:
        return self.get(
            from_event__slug=from_slug,
            to_event__slug=to_slug,
            relation_type=relation_type,
        )


class EventRelation(TimeStampedModel):
    RelationType = RelationType

    from_event = models.ForeignKey(
        Event,
        # A relation is part of the event it starts from.
        on_delete=models.CASCADE,
        related_name="relations_from",
    )
    to_event = models.ForeignKey(
        Event,
        # A relation means nothing once either end is gone.
        on_delete=models.CASCADE,
        related_name="relations_to",
    )
    relation_type = models.CharField(
        max_length=20,
        choices=RelationType.choices,
        help_text="Read as: <from_event> is <relation_type> <to_event>.",
    )

    history = tracked()
    objects = RelationManager()

    class Meta:
        ordering = ["from_event__slug", "relation_type", "to_event__slug"]
        constraints = [
            FieldCheckConstraint(
                name="event_relation_not_self",
                field="to_event",
                condition=~Q(from_event=F("to_event")),
                violation_error_message="An event cannot be related to itself.",
            ),
            FieldCheckConstraint(
                name="event_relation_type_valid",
                field="relation_type",
                condition=Q(relation_type__in=RelationType.values),
                violation_error_message="Relation type must be one of: "
                + ", ".join(RelationType.values)
                + ".",
            ),
            FieldUniqueConstraint(
                name="event_relation_unique",
                field="to_event",
                fields=["from_event", "to_event", "relation_type"],
                violation_error_message="These two events are already related this way.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_event.slug} {self.relation_type} {self.to_event.slug}"

    def natural_key(self) -> tuple[str, str, str]:
        return (self.from_event.slug, self.to_event.slug, self.relation_type)

    natural_key.dependencies = ["events.event"]  # type: ignore[attr-defined]


class ParticipationManager(models.Manager["Participation"]):
    def get_by_natural_key(self, event_slug: str, participant_slug: str, role: str) -> Any:
        return self.get(event__slug=event_slug, participant__slug=participant_slug, role=role)


class Participation(TimeStampedModel):
    Role = ParticipationRole

    event = models.ForeignKey(
        Event,
        # A participation is part of its event.
        on_delete=models.CASCADE,
        related_name="participations",
    )
    participant = models.ForeignKey(
        Participant,
        # Deleting a participant must not silently rewrite the events they took part in.
        on_delete=models.PROTECT,
        related_name="participations",
    )
    role = models.CharField(max_length=12, choices=Role.choices)
    country = models.ForeignKey(
        Country,
        # Countries are reference data; see Participant.country.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participations",
        help_text="The country the participant represented in this event.",
    )
    note = bounded_text(2_000, blank=True)

    history = tracked()
    objects = ParticipationManager()

    class Meta:
        ordering = ["event__slug", "role", "participant__slug"]
        constraints = [
            FieldUniqueConstraint(
                name="participation_unique_role",
                field="role",
                fields=["event", "participant", "role"],
                violation_error_message="This participant already has this role in this event.",
            ),
            FieldCheckConstraint(
                name="participation_role_valid",
                field="role",
                condition=Q(role__in=ParticipationRole.values),
                violation_error_message="Role must be one of: "
                + ", ".join(ParticipationRole.values)
                + ".",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} ({self.role}) in {self.event}"

    def natural_key(self) -> tuple[str, str, str]:
        return (self.event.slug, self.participant.slug, self.role)

    natural_key.dependencies = ["events.event", "events.participant"]  # type: ignore[attr-defined]


class Statement(TimeStampedModel):
    Kind = StatementKind

    slug = models.SlugField(max_length=120, unique=True)
    event = models.ForeignKey(
        Event,
        # A statement is about its event and means nothing without it.
        on_delete=models.CASCADE,
        related_name="statements",
    )
    speaker = models.ForeignKey(
        Participant,
        # Deleting a speaker must not silently delete what they said.
        on_delete=models.PROTECT,
        related_name="statements",
    )
    text = bounded_text(20_000, help_text="The words, verbatim as the source quotes them.")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    stated_on = models.DateField(null=True, blank=True)
    date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    date_note = bounded_text(
        2_000, blank=True, help_text="How the date was resolved, and from what."
    )

    history = tracked()
    objects = SlugManager()

    class Meta:
        # Undated statements last (as every sort on a nullable column: events.ordering).
        ordering = [F("stated_on").asc(nulls_last=True), "slug"]
        indexes = [
            models.Index(fields=["stated_on", "slug"], name="statement_date_slug"),
            models.Index(fields=["updated_at"]),
        ]
        constraints = [
            FieldCheckConstraint(
                name="statement_kind_valid",
                field="kind",
                condition=Q(kind__in=StatementKind.values),
                violation_error_message="Kind must be one of: "
                + ", ".join(StatementKind.values)
                + ".",
            ),
            FieldCheckConstraint(
                name="statement_date_precision_valid",
                field="date_precision",
                condition=Q(date_precision__in=DatePrecision.values),
                violation_error_message="Date precision must be one of: "
                + ", ".join(DatePrecision.values)
                + ".",
            ),
            FieldCheckConstraint(
                name="statement_stated_on_aligned",
                field="stated_on",
                condition=precision_aligned("stated_on", "date_precision"),
                violation_error_message="A date known to the month must be the 1st of the month, "
                "one known to the year 1 January.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.speaker}: {self.text[:60]}"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class TariffMeasure(TimeStampedModel):
    MeasureType = MeasureType
    Status = MeasureStatus

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    imposing_country = models.ForeignKey(
        Country,
        # Countries are reference data; deleting one must not silently drop its measures.
        on_delete=models.PROTECT,
        related_name="imposed_measures",
    )
    target_countries = models.ManyToManyField(
        Country,
        blank=True,
        related_name="targeted_by_measures",
        help_text="The countries the measure applies to; none means every country.",
    )
    measure_type = models.CharField(max_length=12, choices=MeasureType.choices)
    rate = models.DecimalField(
        max_digits=7,
        decimal_places=3,
        validators=[MinValueValidator(RATE_MIN), MaxValueValidator(RATE_MAX)],
        help_text="Ad valorem rate in percent (29 means 29%).",
    )
    product_scope = bounded_text(5_000, blank=True, help_text="Which goods; blank when not stated.")
    announced_on = models.DateField(null=True, blank=True)
    effective_on = models.DateField(null=True, blank=True)
    suspended_on = models.DateField(null=True, blank=True)
    suspended_until = models.DateField(
        null=True,
        blank=True,
        help_text="Last day of a suspension, when announced with one.",
    )
    ended_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    status_as_of = models.DateField(
        null=True,
        blank=True,
        help_text="The status is known as of this date (the latest source it rests on).",
    )
    legal_basis = bounded_text(5_000, blank=True, help_text="The legal instrument, e.g. an order.")
    announced_in = models.ForeignKey(
        Event,
        # The measure stands on its own if the announcing event's record is removed.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="announced_measures",
    )
    discussed_in = models.ManyToManyField(Event, blank=True, related_name="discussed_measures")

    history = tracked(m2m_fields=[target_countries, discussed_in])
    objects = SlugManager()

    class Meta:
        # Most recently announced first, undated last (as every sort on a nullable column:
        # events.ordering), ties by slug in the same direction. On PostgreSQL migration 0008
        # adds the index for this order; this one serves `ordering=announced_on`.
        ordering = [F("announced_on").desc(nulls_last=True), "-slug"]
        indexes = [
            models.Index(fields=["announced_on", "slug"], name="measure_announced_slug"),
            models.Index(fields=["measure_type"]),
            models.Index(fields=["status"]),
            models.Index(fields=["rate"]),
            models.Index(fields=["effective_on"]),
            models.Index(fields=["updated_at"]),
        ]
        constraints = [
            FieldCheckConstraint(
                name="tariff_rate_in_range",
                field="rate",
                condition=Q(rate__gte=RATE_MIN, rate__lte=RATE_MAX),
                violation_error_message=f"The rate must lie between {RATE_MIN} and "
                f"{RATE_MAX} percent.",
            ),
            FieldCheckConstraint(
                name="tariff_measure_type_valid",
                field="measure_type",
                condition=Q(measure_type__in=MeasureType.values),
                violation_error_message="Measure type must be one of: "
                + ", ".join(MeasureType.values)
                + ".",
            ),
            FieldCheckConstraint(
                name="tariff_status_valid",
                field="status",
                condition=Q(status__in=MeasureStatus.values),
                violation_error_message="Status must be one of: "
                + ", ".join(MeasureStatus.values)
                + ".",
            ),
            FieldCheckConstraint(
                name="tariff_ended_not_before_effective",
                field="ended_on",
                condition=Q(ended_on__isnull=True)
                | Q(effective_on__isnull=True)
                | Q(ended_on__gte=F("effective_on")),
                violation_error_message="A measure cannot end before it takes effect.",
            ),
            FieldCheckConstraint(
                name="tariff_suspended_not_before_effective",
                field="suspended_on",
                condition=Q(suspended_on__isnull=True)
                | Q(effective_on__isnull=True)
                | Q(suspended_on__gte=F("effective_on")),
                violation_error_message="A measure cannot be suspended before it takes effect.",
            ),
            FieldCheckConstraint(
                name="tariff_suspension_end_not_before_start",
                field="suspended_until",
                condition=Q(suspended_until__isnull=True)
                | Q(suspended_on__isnull=False, suspended_until__gte=F("suspended_on")),
                violation_error_message="A suspension needs a start date and cannot end "
                "before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


# The record a citation supports: exactly one of these foreign keys is set.
CITATION_TARGETS = (
    "event",
    "event_relation",
    "participation",
    "participant",
    "statement",
    "tariff_measure",
    "topic",
    "country",
)


def exactly_one_of(names: tuple[str, ...]) -> Q:
    """True when exactly one of the named nullable fields is set."""
    condition = Q()
    for name in names:
        condition |= Q(**{f"{other}__isnull": other != name for other in names})
    return condition


def citation_target(model: type[models.Model]) -> "models.ForeignKey[Any, Any]":
    """One of the records a citation can support (exactly one is set per citation)."""
    return models.ForeignKey(
        model,
        # A citation is evidence for its record and has no meaning without it.
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
    )


def new_citation_key() -> str:
    return uuid.uuid4().hex


# What Citation.describe() reads of the record a citation supports.
CITATION_LABEL_RELATIONS = (
    "event",
    "event_relation__from_event",
    "event_relation__to_event",
    "participation__event",
    "participation__participant",
    "participant",
    "statement",
    "tariff_measure",
    "topic",
    "country",
)


class CitationManager(models.Manager["Citation"]):
    def get_by_natural_key(self, key: str) -> "Citation":
        return self.get(key=key)


class Citation(TimeStampedModel):
    """Ties one record to a Source with the verbatim excerpt that supports it."""

    TARGETS: ClassVar[tuple[str, ...]] = CITATION_TARGETS

    key = models.SlugField(
        max_length=120,
        unique=True,
        default=new_citation_key,
        help_text="A stable identifier (the natural key fixtures and importers match on).",
    )
    source = models.ForeignKey(
        Source,
        # A source with citations cannot go: the facts it supports would lose their evidence.
        on_delete=models.PROTECT,
        related_name="citations",
    )
    excerpt = bounded_text(5_000, help_text="Verbatim text of the source that supports the fact.")
    field = models.CharField(
        max_length=60,
        blank=True,
        help_text="The field of the record this excerpt supports; blank for the record as a "
        "whole (that the event happened, that the participant took part, ...).",
    )
    event = citation_target(Event)
    event_relation = citation_target(EventRelation)
    participation = citation_target(Participation)
    participant = citation_target(Participant)
    statement = citation_target(Statement)
    tariff_measure = citation_target(TariffMeasure)
    topic = citation_target(Topic)
    country = citation_target(Country)

    history = tracked()
    objects = CitationManager()

    class Meta:
        ordering = ["key"]
        constraints = [
            FieldCheckConstraint(
                name="citation_exactly_one_target",
                field="__all__",
                condition=exactly_one_of(CITATION_TARGETS),
                violation_error_message="A citation supports exactly one record: set one of "
                "event, event relation, participation, participant, statement, tariff measure, "
                "topic or country.",
            ),
            FieldCheckConstraint(
                name="citation_excerpt_not_blank",
                field="excerpt",
                condition=~Q(excerpt=""),
                violation_error_message="The excerpt cannot be empty.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.slug}: {self.excerpt[:60]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Checks the excerpt once more against the body as committed, the source's row locked
        (locked_body()): clean() saw the source as it was read, which a concurrent edit of its
        body may have changed since."""
        using = kwargs.get("using") or router.db_for_write(Citation, instance=self)
        if self.source_id is not None:
            body = locked_body(self.source_id, using)
            if body is not None and self.excerpt not in body:
                raise ValidationError(
                    {"excerpt": "The excerpt does not occur verbatim in the source's body."}
                )
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str]:
        return (self.key,)

    @property
    def target(self) -> models.Model | None:
        for name in self.TARGETS:
            if getattr(self, f"{name}_id") is not None:
                record: models.Model = getattr(self, name)
                return record
        return None

    def describe(self) -> str:
        """The citation in a sentence: the record it supports (by slug or code), the field,
        the start of the excerpt."""
        target = self.target
        if target is None:  # pragma: no cover - a database constraint guarantees one
            return f"citation {self.key}"
        name = getattr(target, "slug", None) or getattr(target, "iso2", None) or str(target)
        field = f", field {self.field}" if self.field else ""
        excerpt = self.excerpt if len(self.excerpt) <= 60 else self.excerpt[:57] + "..."
        return f'{target._meta.verbose_name} {name}{field}: "{excerpt}"'

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.source_id is not None and self.excerpt and self.excerpt not in self.source.body:
            errors["excerpt"] = "The excerpt does not occur verbatim in the source's body."
        target = self.target
        if self.field and target is not None:
            names = {f.name for f in target._meta.get_fields()}
            if self.field not in names:
                errors["field"] = f"{type(target).__name__} has no field {self.field!r}."
        if errors:
            raise ValidationError(errors)


class ChangeKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted (a tombstone)"


class Change(models.Model):
    """One entry of the change feed: a record of a collection was created, updated or deleted.

    Written by events/changes.py whenever a change-history entry is recorded, on every write
    path (API, admin, management commands). Entries are numbered in commit order, so `id` is
    a stable cursor. Not editable: it is the log, not data.
    """

    at = models.DateTimeField(help_text="When the change was made.")
    collection = models.CharField(max_length=30, help_text="The API collection, e.g. 'events'.")
    key = models.CharField(
        max_length=120, help_text="The record's identifier in the collection (slug or ISO code)."
    )
    kind = models.CharField(max_length=7, choices=ChangeKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # The log outlives accounts; a removed user's changes stay, authorless.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.collection}/{self.key}"
