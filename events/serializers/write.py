"""What editors send: one write serializer per collection, fields declared one by one.

These check shapes and types and look up related records by slug or ISO code; the domain rules
are the models' own and run in events/services.py. A field the read serializers also show takes
its choices and limits from the same model field (`model_choice`, `key_slug`, `decimal_limits`),
as the read ModelSerializers do. A related record may be given by its
identifier (`"PK"`, `"marco-rubio"`) or by the object the API returns for it, so a record read
from the API can be changed and written back. Fields the server manages (`url`, timestamps,
anything computed) are accepted and ignored; any other unknown field is a 400.
"""

import decimal
from typing import Any

from django.core import validators
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import literals, services
from ..models import (
    MAX_ALIASES,
    Citation,
    Country,
    DatePrecision,
    Event,
    EventRelation,
    Participant,
    Participation,
    Source,
    Statement,
    TariffMeasure,
    Topic,
)
from . import read
from .read import model_choice


class RefField(serializers.Field):
    """A related record, named by its identifier or by an object that carries it."""

    default_error_messages = {
        "invalid": "Give the identifier ({lookup}) as a string.",
        "does_not_exist": "No {model} has the {lookup} {value!r}.",
    }

    def __init__(self, model: type[models.Model], lookup: str = "slug", **kwargs: Any) -> None:
        self.model = model
        self.lookup = lookup
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> models.Model:
        value = data.get(self.lookup) if isinstance(data, dict) else data
        if not isinstance(value, str) or not value.strip():
            self.fail("invalid", lookup=self.lookup)
        if self.lookup == "iso2":
            value = value.upper()
        try:
            return self.model._default_manager.get(**{self.lookup: value})
        except self.model.DoesNotExist:  # type: ignore[attr-defined]
            self.fail(
                "does_not_exist",
                model=self.model._meta.verbose_name,
                lookup=self.lookup,
                value=value,
            )
            raise  # unreachable: fail() raises

    def to_representation(self, value: models.Model) -> str:
        return str(getattr(value, self.lookup))


def _ref_schema(lookup: str, pattern: str) -> dict[str, Any]:
    identifier = {"type": "string", "pattern": pattern}
    return {
        "oneOf": [
            identifier,
            {"type": "object", "properties": {lookup: identifier}, "required": [lookup]},
        ],
        "description": f"The related record's {lookup}, or the object the API returns for it.",
    }


@extend_schema_field(_ref_schema("slug", r"^[-a-zA-Z0-9_]+$"))
class SlugRef(RefField):
    """A related record named by slug."""

    def __init__(self, model: type[models.Model], **kwargs: Any) -> None:
        super().__init__(model, "slug", **kwargs)


@extend_schema_field(_ref_schema("iso2", r"^[A-Za-z]{2}$"))
class CountryRef(RefField):
    """A country named by its ISO 3166-1 alpha-2 code, in any case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Country, "iso2", **kwargs)


def refs(child: RefField, **kwargs: Any) -> serializers.ListField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("default", list)
    kwargs.setdefault("max_length", 500)
    return serializers.ListField(child=child, **kwargs)


class StrictCharField(serializers.CharField):
    """Text that must be sent as a JSON string (DRF's CharField would take 12 for "12")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugField(StrictCharField, serializers.SlugField):
    pass


class StrictURLField(StrictCharField, serializers.URLField):
    pass


class StrictDecimalField(serializers.DecimalField):
    """A number that must be sent as a JSON number (not "29")."""

    def to_internal_value(self, data: Any) -> Any:
        # A JSON number: the parser reads one with a fraction or exponent as a Decimal.
        if isinstance(data, bool) or not isinstance(data, (int, float, decimal.Decimal)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """A date as YYYY-MM-DD in digits 0-9 (events/literals.py): DRF's also reads "2025-4-1"
    and fullwidth digits."""

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str) and not literals.is_iso_date(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictDateTimeField(serializers.DateTimeField):
    """A date and time in RFC 3339's form, in digits 0-9 (events/literals.py): DRF's also reads
    any Unicode digit, ISO 8601's basic forms and a date alone."""

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str) and not literals.is_datetime(value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][Z|+HH:MM|-HH:MM]")
        return super().to_internal_value(value)


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields; ignores the server-managed ones listed in `ignored_fields`."""

    ignored_fields: frozenset[str] = frozenset()
    # The model whose fields' limits (max_length, validators) the schema states for the fields
    # of the same name (events/schema.py): model validation enforces them on save.
    model: type[models.Model] | None = None

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [f"Send a JSON object, not {type(data).__name__}."]}
            )
        unknown = sorted(set(data) - set(self.fields) - self.ignored_fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field: it is not part of this record."] for name in unknown}
            )
        writable = {
            name: value
            for name, value in data.items()
            if name in self.fields and not self.fields[name].read_only
        }
        return super().to_internal_value(writable)


def _ignored(serializer_class: type[serializers.Serializer]) -> frozenset[str]:
    """The fields a detail response has that a write does not take: all read-only here."""
    return frozenset(serializer_class().fields)


class CitationWriteSerializer(StrictSerializer):
    model = Citation
    ignored_fields = frozenset({"supports"})

    source = SlugRef(Source)  # type: ignore[assignment]  # a field, not Field.source
    excerpt = StrictCharField(trim_whitespace=False)
    field = StrictCharField(required=False, allow_blank=True, default="")


def citations_field() -> CitationWriteSerializer:
    return CitationWriteSerializer(
        many=True,
        required=False,
        default=list,
        help_text="Replaces the record's citations: each a source, the verbatim excerpt of its "
        "text that supports the record, and optionally the field it supports.",
    )


class ParticipationWriteSerializer(StrictSerializer):
    model = Participation
    participant = SlugRef(Participant)
    role = model_choice(Participation, "role")
    country = CountryRef(required=False, allow_null=True, default=None)
    note = StrictCharField(required=False, allow_blank=True, default="")
    citations = citations_field()


class RelatedEventWriteSerializer(StrictSerializer):
    model = EventRelation
    relation_type = model_choice(EventRelation, "relation_type")
    event = SlugRef(Event)
    direction = serializers.ChoiceField(
        choices=read.DIRECTIONS,
        required=False,
        default="outgoing",
        help_text="Only outgoing relations (this event is <relation_type> the other) are "
        "written; incoming ones belong to the other event and are skipped.",
    )
    citations = citations_field()


class RecordWriteSerializer(StrictSerializer):
    """Base of the collections' write serializers: saving goes through events/services.py."""

    model: type[models.Model]  # always set here
    # The identifier cannot change once the record exists (its URL would).
    immutable_key = "slug"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        key = self.immutable_key
        if self.instance is not None and key in attrs and attrs[key] != getattr(self.instance, key):
            raise serializers.ValidationError(
                {key: [f"The {key} cannot change: create a new record and delete this one."]}
            )
        return attrs

    def save_record(self, instance: models.Model | None) -> models.Model:
        try:
            return services.save_record(
                model=self.model, instance=instance, data=self.validated_data
            )
        except services.WriteError as error:
            raise serializers.ValidationError(error.errors) from None

    def create(self, validated_data: dict[str, Any]) -> models.Model:
        return self.save_record(None)

    def update(self, instance: models.Model, validated_data: dict[str, Any]) -> models.Model:
        return self.save_record(instance)


def key_slug(model: type[models.Model]) -> StrictSlugField:
    """A record's slug, as long as the model allows."""
    length: Any = model._meta.get_field("slug").max_length  # type: ignore[union-attr]
    return StrictSlugField(max_length=length)


def decimal_limits(model: type[models.Model], name: str) -> dict[str, Any]:
    """A decimal's digits, as the model stores them (and the read serializers state)."""
    field = model._meta.get_field(name)
    return {"max_digits": field.max_digits, "decimal_places": field.decimal_places}  # type: ignore[union-attr]


def _text(**kwargs: Any) -> serializers.CharField:
    """Optional text: blank when left out of a full write (PUT)."""
    return StrictCharField(required=False, allow_blank=True, default="", **kwargs)


def _date(**kwargs: Any) -> serializers.DateField:
    return StrictDateField(required=False, allow_null=True, default=None, **kwargs)


class EventWriteSerializer(RecordWriteSerializer):
    model = Event
    ignored_fields = _ignored(read.EventDetailSerializer) | {"participants"}

    slug = key_slug(Event)
    title = StrictCharField()
    summary = _text()
    event_type = model_choice(Event, "event_type")
    cameo_code = StrictCharField()
    start_date = StrictDateField()
    end_date = _date()
    date_precision = model_choice(
        Event, "date_precision", required=False, default=DatePrecision.DAY
    )
    date_note = _text()
    location_country = CountryRef(required=False, allow_null=True, default=None)
    countries = refs(CountryRef(), help_text="ISO alpha-2 codes of the countries involved.")
    topics = refs(SlugRef(Topic), help_text="Topic slugs.")
    participations = ParticipationWriteSerializer(
        many=True, required=False, default=list, help_text="Replaces the event's participations."
    )
    related_events = RelatedEventWriteSerializer(
        many=True,
        required=False,
        default=list,
        help_text="Replaces the event's outgoing relations.",
    )
    citations = citations_field()


class ParticipantWriteSerializer(RecordWriteSerializer):
    model = Participant
    ignored_fields = _ignored(read.ParticipantDetailSerializer)

    slug = key_slug(Participant)
    name = StrictCharField()
    kind = model_choice(Participant, "kind")
    # Participant.clean()'s rule, checked here first so that each alias's problem is named
    # at its index. An alias is another name: as long as `name` may be.
    aliases = serializers.ListField(
        child=StrictCharField(
            max_length=Participant._meta.get_field("name").max_length,  # type: ignore[arg-type]
            validators=[
                validators.RegexValidator(r"\S", message="An alias cannot be blank: give a name.")
            ],
            error_messages={
                "blank": "An alias cannot be blank: give a name.",
                "max_length": "An alias is at most {max_length} characters long; this one is "
                "longer.",
            },
        ),
        required=False,
        default=list,
        max_length=MAX_ALIASES,
        help_text=f"Other names the participant is reported under (at most {MAX_ALIASES}), "
        f"each a non-blank name of at most {Participant._meta.get_field('name').max_length} "
        "characters.",
    )
    description = _text()
    country = CountryRef(required=False, allow_null=True, default=None)
    affiliation = SlugRef(Participant, required=False, allow_null=True, default=None)
    office = _text()
    wikidata_qid = _text()
    citations = citations_field()


class CountryWriteSerializer(RecordWriteSerializer):
    model = Country
    immutable_key = "iso2"
    ignored_fields = _ignored(read.CountryDetailSerializer)

    iso2 = StrictCharField(help_text="ISO 3166-1 alpha-2, upper case.")
    iso3 = StrictCharField(help_text="ISO 3166-1 alpha-3, upper case.")
    name = StrictCharField()
    citations = citations_field()


class TopicWriteSerializer(RecordWriteSerializer):
    model = Topic
    ignored_fields = _ignored(read.TopicDetailSerializer)

    slug = key_slug(Topic)
    name = StrictCharField()
    description = _text()
    parent = SlugRef(  # type: ignore[assignment]  # a field, not Field.parent
        Topic, required=False, allow_null=True, default=None
    )
    citations = citations_field()


class TariffMeasureWriteSerializer(RecordWriteSerializer):
    model = TariffMeasure
    ignored_fields = _ignored(read.TariffMeasureDetailSerializer)

    slug = key_slug(TariffMeasure)
    title = StrictCharField()
    imposing_country = CountryRef()
    target_countries = refs(CountryRef(), help_text="ISO alpha-2 codes; none: every country.")
    measure_type = model_choice(TariffMeasure, "measure_type")
    rate = StrictDecimalField(
        **decimal_limits(TariffMeasure, "rate"), help_text="Percent: 29 means 29%."
    )
    product_scope = _text()
    announced_on = _date()
    effective_on = _date()
    suspended_on = _date()
    suspended_until = _date()
    ended_on = _date()
    status = model_choice(TariffMeasure, "status")
    status_as_of = _date()
    legal_basis = _text()
    announced_in = SlugRef(Event, required=False, allow_null=True, default=None)
    discussed_in = refs(SlugRef(Event), help_text="Slugs of the events that discussed the measure.")
    citations = citations_field()


class StatementWriteSerializer(RecordWriteSerializer):
    model = Statement
    ignored_fields = _ignored(read.StatementDetailSerializer)

    slug = key_slug(Statement)
    event = SlugRef(Event)
    speaker = SlugRef(Participant)
    text = StrictCharField(trim_whitespace=False)
    kind = model_choice(Statement, "kind")
    stated_on = _date()
    date_precision = model_choice(
        Statement, "date_precision", required=False, default=DatePrecision.DAY
    )
    date_note = _text()
    citations = citations_field()


class SourceWriteSerializer(RecordWriteSerializer):
    model = Source
    ignored_fields = _ignored(read.SourceDetailSerializer)

    slug = key_slug(Source)
    title = StrictCharField()
    publisher = StrictCharField()
    web_url = StrictURLField(required=False, allow_blank=True, default="")
    published_on = _date()
    published_precision = serializers.ChoiceField(
        choices=[("", "No date"), *DatePrecision.choices], required=False, default=""
    )
    note = _text()
    language = StrictCharField(required=False, default="en")
    body = StrictCharField(
        trim_whitespace=False,
        help_text="The text excerpts are checked against. A change that drops the excerpt of "
        "any citation of the source is refused (400 on `body`, listing those citations).",
    )
    body_kind = model_choice(Source, "body_kind", required=False, default=Source.BodyKind.FULL_TEXT)
    retrieved_at = StrictDateTimeField(required=False, allow_null=True, default=None)


__all__ = [
    "CountryWriteSerializer",
    "EventWriteSerializer",
    "ParticipantWriteSerializer",
    "SourceWriteSerializer",
    "StatementWriteSerializer",
    "TariffMeasureWriteSerializer",
    "TopicWriteSerializer",
]
