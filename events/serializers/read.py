"""Every serializer of the API.

Three shapes per resource, all with explicit fields:
- `*RefSerializer`: the compact form embedded inside other records;
- `*ListSerializer`: one row of a collection, with compact related records (codes, slugs, names)
  so a client needs no second request per row;
- `*DetailSerializer`: one record with everything embedded, citations included.
The querysets that feed them (and their prefetching) live in events/views.py.
"""

from typing import Any

from django.db.models import Model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from ..models import (
    CameoCode,
    Change,
    ChangeKind,
    Citation,
    Country,
    DatePrecision,
    Event,
    EventRelation,
    EventType,
    MeasureStatus,
    MeasureType,
    Participant,
    ParticipantKind,
    Participation,
    ParticipationRole,
    RelationType,
    Source,
    Statement,
    StatementKind,
    TariffMeasure,
    Topic,
)


def _url(view_name: str, **kwargs: Any) -> serializers.HyperlinkedIdentityField:
    return serializers.HyperlinkedIdentityField(view_name=f"api:{view_name}", **kwargs)


def _absolute(serializer: serializers.Serializer[Any], view_name: str, **kwargs: Any) -> str:
    return reverse(f"api:{view_name}", kwargs=kwargs, request=serializer.context.get("request"))


def model_choice(model: type[Model], name: str, **kwargs: Any) -> serializers.ChoiceField:
    """One of a model field's choices: the field as a read serializer or a write serializer that
    is not a ModelSerializer declares it (ModelSerializers take the choices from the model)."""
    choices: Any = model._meta.get_field(name).choices  # type: ignore[union-attr]
    return serializers.ChoiceField(choices=choices, **kwargs)


# An event's relation to another, read from the event's side (read and written).
DIRECTIONS = ["outgoing", "incoming"]


# --- compact references -----------------------------------------------------------------------


class SourceRefSerializer(serializers.ModelSerializer[Source]):
    url = _url("source-detail", lookup_field="slug")

    class Meta:
        model = Source
        fields = [
            "url",
            "slug",
            "title",
            "publisher",
            "web_url",
            "published_on",
            "published_precision",
        ]


class CitationSerializer(serializers.ModelSerializer[Citation]):
    source = SourceRefSerializer()  # type: ignore[assignment]  # a field, not Field.source

    class Meta:
        model = Citation
        fields = ["excerpt", "field", "source"]
        extra_kwargs = {
            "field": {"help_text": "The field the excerpt supports; empty for the whole record."}
        }


class CountryRefSerializer(serializers.ModelSerializer[Country]):
    url = _url("country-detail", lookup_field="iso2")

    class Meta:
        model = Country
        fields = ["url", "iso2", "name"]


class TopicRefSerializer(serializers.ModelSerializer[Topic]):
    url = _url("topic-detail", lookup_field="slug")

    class Meta:
        model = Topic
        fields = ["url", "slug", "name"]


class ParticipantRefSerializer(serializers.ModelSerializer[Participant]):
    url = _url("participant-detail", lookup_field="slug")

    class Meta:
        model = Participant
        fields = ["url", "slug", "name", "kind"]


class EventRefSerializer(serializers.ModelSerializer[Event]):
    url = _url("event-detail", lookup_field="slug")

    class Meta:
        model = Event
        fields = ["url", "slug", "title", "event_type", "start_date", "date_precision"]


class TariffMeasureRefSerializer(serializers.ModelSerializer[TariffMeasure]):
    url = _url("tariffmeasure-detail", lookup_field="slug")

    class Meta:
        model = TariffMeasure
        fields = ["url", "slug", "title", "measure_type", "rate", "status"]


class CodeListField(serializers.ListField):
    """Related records as a list of their codes or slugs (from a prefetched relation)."""

    def __init__(self, attribute: str, **kwargs: Any) -> None:
        self.attribute = attribute
        kwargs.setdefault("child", serializers.CharField())
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, manager: Any) -> list[str]:
        return [getattr(record, self.attribute) for record in manager.all()]


# --- events -----------------------------------------------------------------------------------


class EventParticipantSerializer(serializers.Serializer[Participation]):
    """A participant as listed on an event: who, and in what role."""

    slug = serializers.CharField(source="participant.slug")
    name = serializers.CharField(source="participant.name")
    role = model_choice(Participation, "role")


CAMEO_LABEL_HELP = (
    "The CAMEO codebook's description of `cameo_code`; null until the codebook is loaded "
    "(`python manage.py load_cameo`)."
)


def cameo_label(event: Event) -> str | None:
    """The label of the event's CAMEO code: annotated by the list's queryset (one query for the
    page, events/views.py), else looked up."""
    if hasattr(event, "cameo_label"):
        label: str | None = event.cameo_label
        return label
    return CameoCode.objects.filter(code=event.cameo_code).values_list("label", flat=True).first()


class EventListSerializer(serializers.ModelSerializer[Event]):
    url = _url("event-detail", lookup_field="slug")
    location_country = serializers.CharField(
        source="location_country_id", allow_null=True, help_text="ISO alpha-2 code."
    )
    countries = CodeListField("iso2", help_text="ISO alpha-2 codes of the countries involved.")
    topics = CodeListField("slug", help_text="Slugs of the topics the event is filed under.")
    participants = EventParticipantSerializer(
        source="participations", many=True, help_text="Who took part, and in what role."
    )
    cameo_label = serializers.SerializerMethodField(help_text=CAMEO_LABEL_HELP)

    class Meta:
        model = Event
        fields = [
            "url",
            "slug",
            "title",
            "summary",
            "event_type",
            "cameo_code",
            "cameo_label",
            "start_date",
            "end_date",
            "date_precision",
            "location_country",
            "countries",
            "topics",
            "participants",
            "updated_at",
        ]

    def get_cameo_label(self, event: Event) -> str | None:
        return cameo_label(event)


class ParticipationSerializer(serializers.ModelSerializer[Participation]):
    participant = ParticipantRefSerializer()
    country = serializers.CharField(
        source="country_id",
        allow_null=True,
        help_text="ISO alpha-2 code of the country represented.",
    )
    citations = CitationSerializer(many=True)

    class Meta:
        model = Participation
        fields = ["participant", "role", "country", "note", "citations"]


class EventStatementSerializer(serializers.ModelSerializer[Statement]):
    url = _url("statement-detail", lookup_field="slug")
    speaker = ParticipantRefSerializer()
    citations = CitationSerializer(many=True)

    class Meta:
        model = Statement
        fields = [
            "url",
            "slug",
            "speaker",
            "text",
            "kind",
            "stated_on",
            "date_precision",
            "date_note",
            "citations",
        ]


class RelatedEventSerializer(serializers.Serializer[EventRelation]):
    """A typed link to another event, read from this event's side."""

    relation_type = model_choice(EventRelation, "relation_type")
    direction = serializers.ChoiceField(
        choices=DIRECTIONS,
        help_text="outgoing: this event is <relation_type> the other; "
        "incoming: the other is <relation_type> this event.",
    )
    event = EventRefSerializer()
    citations = CitationSerializer(many=True)

    def to_representation(self, relation: EventRelation) -> dict[str, Any]:
        outgoing = relation.from_event_id == self.context["event"].pk
        return {
            "relation_type": relation.relation_type,
            "direction": "outgoing" if outgoing else "incoming",
            "event": EventRefSerializer(
                relation.to_event if outgoing else relation.from_event, context=self.context
            ).data,
            "citations": CitationSerializer(
                relation.citations.all(), many=True, context=self.context
            ).data,
        }


class EventDetailSerializer(serializers.ModelSerializer[Event]):
    url = _url("event-detail", lookup_field="slug")
    location_country = CountryRefSerializer(allow_null=True)
    countries = CountryRefSerializer(many=True)
    topics = TopicRefSerializer(many=True)
    participations = ParticipationSerializer(many=True)
    statements = EventStatementSerializer(many=True)
    related_events = serializers.SerializerMethodField()
    announced_measures = TariffMeasureRefSerializer(
        many=True, help_text="Tariff measures this event announced."
    )
    discussed_measures = TariffMeasureRefSerializer(
        many=True, help_text="Tariff measures discussed in this event."
    )
    citations = CitationSerializer(many=True)
    cameo_label = serializers.SerializerMethodField(help_text=CAMEO_LABEL_HELP)

    class Meta:
        model = Event
        fields = [
            "url",
            "slug",
            "title",
            "summary",
            "event_type",
            "cameo_code",
            "cameo_label",
            "start_date",
            "end_date",
            "date_precision",
            "date_note",
            "location_country",
            "countries",
            "topics",
            "participations",
            "statements",
            "related_events",
            "announced_measures",
            "discussed_measures",
            "citations",
            "created_at",
            "updated_at",
        ]

    def get_cameo_label(self, event: Event) -> str | None:
        return cameo_label(event)

    @extend_schema_field(RelatedEventSerializer(many=True))
    def get_related_events(self, event: Event) -> list[dict[str, Any]]:
        relations = [*event.relations_from.all(), *event.relations_to.all()]
        context = {**self.context, "event": event}
        return [RelatedEventSerializer(r, context=context).data for r in relations]


# --- participants -----------------------------------------------------------------------------


class ParticipantListSerializer(serializers.ModelSerializer[Participant]):
    url = _url("participant-detail", lookup_field="slug")
    country = serializers.CharField(source="country_id", allow_null=True, help_text="ISO alpha-2.")
    affiliation = ParticipantRefSerializer(allow_null=True)
    aliases = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Participant
        fields = [
            "url",
            "slug",
            "name",
            "kind",
            "aliases",
            "office",
            "country",
            "affiliation",
            "updated_at",
        ]


class ParticipantDetailSerializer(ParticipantListSerializer):
    country = CountryRefSerializer(allow_null=True)  # type: ignore[assignment]
    members = ParticipantRefSerializer(many=True, help_text="Participants affiliated with it.")
    events_url = serializers.SerializerMethodField()
    citations = CitationSerializer(many=True)

    class Meta(ParticipantListSerializer.Meta):
        fields = [
            *ParticipantListSerializer.Meta.fields[:-1],
            "description",
            "wikidata_qid",
            "members",
            "events_url",
            "citations",
            "created_at",
            "updated_at",
        ]

    def get_events_url(self, participant: Participant) -> str:
        return _absolute(self, "participant-events", slug=participant.slug)


# --- countries --------------------------------------------------------------------------------


class CountryListSerializer(serializers.ModelSerializer[Country]):
    url = _url("country-detail", lookup_field="iso2")

    class Meta:
        model = Country
        fields = ["url", "iso2", "iso3", "name", "updated_at"]


class CountryDetailSerializer(CountryListSerializer):
    events_url = serializers.SerializerMethodField()
    imposed_measures_url = serializers.SerializerMethodField()
    applicable_measures_url = serializers.SerializerMethodField()
    citations = CitationSerializer(many=True)

    class Meta(CountryListSerializer.Meta):
        fields = [
            "url",
            "iso2",
            "iso3",
            "name",
            "events_url",
            "imposed_measures_url",
            "applicable_measures_url",
            "citations",
            "created_at",
            "updated_at",
        ]

    def get_events_url(self, country: Country) -> str:
        return _absolute(self, "country-events", iso2=country.iso2)

    def get_imposed_measures_url(self, country: Country) -> str:
        return _absolute(self, "country-imposed-measures", iso2=country.iso2)

    def get_applicable_measures_url(self, country: Country) -> str:
        return _absolute(self, "country-applicable-measures", iso2=country.iso2)


# --- topics -----------------------------------------------------------------------------------


class TopicListSerializer(serializers.ModelSerializer[Topic]):
    url = _url("topic-detail", lookup_field="slug")
    parent = serializers.SlugRelatedField(  # type: ignore[var-annotated,assignment]  # a field
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = Topic
        fields = ["url", "slug", "name", "description", "parent", "updated_at"]


class TopicDetailSerializer(TopicListSerializer):
    parent = TopicRefSerializer(allow_null=True)  # type: ignore[assignment]  # object, not slug
    children = TopicRefSerializer(many=True)
    events_url = serializers.SerializerMethodField()
    citations = CitationSerializer(many=True)

    class Meta(TopicListSerializer.Meta):
        fields = [
            "url",
            "slug",
            "name",
            "description",
            "parent",
            "children",
            "events_url",
            "citations",
            "created_at",
            "updated_at",
        ]

    def get_events_url(self, topic: Topic) -> str:
        return _absolute(self, "topic-events", slug=topic.slug)


# --- tariff measures --------------------------------------------------------------------------


class TariffMeasureListSerializer(serializers.ModelSerializer[TariffMeasure]):
    url = _url("tariffmeasure-detail", lookup_field="slug")
    imposing_country = serializers.CharField(source="imposing_country_id", help_text="ISO alpha-2.")
    target_countries = CodeListField(
        "iso2", help_text="ISO alpha-2 codes; empty when the measure applies to every country."
    )
    applies_to_all_countries = serializers.SerializerMethodField()

    class Meta:
        model = TariffMeasure
        fields = [
            "url",
            "slug",
            "title",
            "imposing_country",
            "target_countries",
            "applies_to_all_countries",
            "measure_type",
            "rate",
            "status",
            "status_as_of",
            "announced_on",
            "effective_on",
            "suspended_on",
            "suspended_until",
            "ended_on",
            "updated_at",
        ]

    def get_applies_to_all_countries(self, measure: TariffMeasure) -> bool:
        return not measure.target_countries.all()


class TariffMeasureDetailSerializer(TariffMeasureListSerializer):
    imposing_country = CountryRefSerializer()  # type: ignore[assignment]
    target_countries = CountryRefSerializer(many=True)  # type: ignore[assignment]
    announced_in = EventRefSerializer(allow_null=True)
    discussed_in = EventRefSerializer(many=True)
    citations = CitationSerializer(many=True)

    class Meta(TariffMeasureListSerializer.Meta):
        fields = [
            *TariffMeasureListSerializer.Meta.fields[:-1],
            "product_scope",
            "legal_basis",
            "announced_in",
            "discussed_in",
            "citations",
            "created_at",
            "updated_at",
        ]


# --- statements -------------------------------------------------------------------------------


class StatementListSerializer(serializers.ModelSerializer[Statement]):
    url = _url("statement-detail", lookup_field="slug")
    event = EventRefSerializer()
    speaker = ParticipantRefSerializer()

    class Meta:
        model = Statement
        fields = [
            "url",
            "slug",
            "event",
            "speaker",
            "text",
            "kind",
            "stated_on",
            "date_precision",
            "updated_at",
        ]


class StatementDetailSerializer(StatementListSerializer):
    citations = CitationSerializer(many=True)

    class Meta(StatementListSerializer.Meta):
        fields = [
            *StatementListSerializer.Meta.fields[:-1],
            "date_note",
            "citations",
            "created_at",
            "updated_at",
        ]


# --- sources ----------------------------------------------------------------------------------


class SourceListSerializer(serializers.ModelSerializer[Source]):
    url = _url("source-detail", lookup_field="slug")

    class Meta:
        model = Source
        fields = [
            "url",
            "slug",
            "title",
            "publisher",
            "web_url",
            "published_on",
            "published_precision",
            "language",
            "body_kind",
            "updated_at",
        ]


class SupportedRecordSerializer(serializers.Serializer[Citation]):
    """The record a citation supports."""

    type = serializers.ChoiceField(choices=list(Citation.TARGETS))
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    url = serializers.URLField(
        help_text="The record, or for a participation or relation its event."
    )


class SourceCitationSerializer(serializers.ModelSerializer[Citation]):
    supports = serializers.SerializerMethodField()

    class Meta:
        model = Citation
        fields = ["excerpt", "field", "supports"]

    @extend_schema_field(SupportedRecordSerializer)
    def get_supports(self, citation: Citation) -> dict[str, str]:
        target = citation.target
        if target is None:  # pragma: no cover - a database constraint guarantees one
            raise ValueError(f"Citation {citation.key} supports no record")
        return {
            "type": _target_type(citation),
            "label": str(target),
            "url": _target_url(self, target),
        }


def _target_type(citation: Citation) -> str:
    return next(name for name in Citation.TARGETS if getattr(citation, f"{name}_id") is not None)


def _target_url(serializer: serializers.Serializer[Any], target: Model) -> str:
    if isinstance(target, Participation):
        target = target.event
    elif isinstance(target, EventRelation):
        target = target.from_event
    if isinstance(target, Country):
        return _absolute(serializer, "country-detail", iso2=target.iso2)
    views: dict[type[Model], str] = {
        Event: "event-detail",
        Participant: "participant-detail",
        Statement: "statement-detail",
        TariffMeasure: "tariffmeasure-detail",
        Topic: "topic-detail",
    }
    return _absolute(serializer, views[type(target)], slug=target.slug)  # type: ignore[attr-defined]


class SourceDetailSerializer(SourceListSerializer):
    citations = SourceCitationSerializer(many=True, help_text="Every fact this source supports.")

    class Meta(SourceListSerializer.Meta):
        fields = [
            *SourceListSerializer.Meta.fields[:-1],
            "note",
            "retrieved_at",
            "body",
            "citations",
            "created_at",
            "updated_at",
        ]


class StatsItemSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(
        help_text="The group: a month (2025-04; 2021 for dates known only to the year), an "
        "event type, a topic slug or a country code."
    )
    label = serializers.CharField(help_text="A human-readable name for the group.")  # type: ignore[assignment]
    count = serializers.IntegerField(help_text="Events in the group.")


class FieldChangeSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True, help_text="The value before; null if none.")
    new = serializers.JSONField(allow_null=True, help_text="The value after; null if none.")


class HistoryEntrySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True, help_text="The editor's username.")
    kind = serializers.ChoiceField(choices=["created", "updated", "deleted"])
    reason = serializers.CharField(help_text="Why, when the change was made with a reason.")
    changes = FieldChangeSerializer(many=True)


DETAIL_VIEWS = {
    "events": ("event-detail", "slug"),
    "participants": ("participant-detail", "slug"),
    "countries": ("country-detail", "iso2"),
    "topics": ("topic-detail", "slug"),
    "tariff-measures": ("tariffmeasure-detail", "slug"),
    "statements": ("statement-detail", "slug"),
    "sources": ("source-detail", "slug"),
}


class ChangeSerializer(serializers.ModelSerializer[Change]):
    url = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()

    class Meta:
        model = Change
        fields = ["id", "at", "kind", "collection", "key", "url", "user"]

    def get_url(self, change: Change) -> str | None:
        """The record's detail URL; null for a deletion."""
        if change.kind == ChangeKind.DELETED:
            return None
        view, lookup = DETAIL_VIEWS[change.collection]
        return _absolute(self, view, **{lookup: change.key})

    def get_user(self, change: Change) -> str | None:
        """The editor's username, when a user made the change."""
        return change.user.get_username() if change.user is not None else None


class ChangePageSerializer(serializers.Serializer[Any]):
    has_more = serializers.BooleanField(help_text="Whether `next` has more changes right now.")
    next = serializers.URLField(help_text="Where to read on (now, or later for new changes).")
    results = ChangeSerializer(many=True)


# --- vocabularies -------------------------------------------------------------------------------


def _vocabulary(name: str, choices: Any) -> type[serializers.Serializer[Any]]:
    """One value of a controlled set: the value (an enum in the schema), label, description."""
    fields = {
        "value": serializers.ChoiceField(choices=choices.choices),
        "label": serializers.CharField(),
        "description": serializers.CharField(),
    }
    return type(name, (serializers.Serializer,), fields)


class EventTypeValueSerializer(_vocabulary("EventTypeValueBase", EventType)):  # type: ignore[misc]
    cameo_code = serializers.CharField(help_text="The CAMEO event code usually given.")
    cameo_label = serializers.CharField(
        allow_null=True, help_text="Its codebook label; null until the codebook is loaded."
    )


class VocabulariesSerializer(serializers.Serializer[Any]):
    event_types = EventTypeValueSerializer(many=True)
    participation_roles = _vocabulary("ParticipationRoleValue", ParticipationRole)(many=True)
    measure_types = _vocabulary("MeasureTypeValue", MeasureType)(many=True)
    measure_statuses = _vocabulary("MeasureStatusValue", MeasureStatus)(many=True)
    date_precisions = _vocabulary("DatePrecisionValue", DatePrecision)(many=True)
    statement_kinds = _vocabulary("StatementKindValue", StatementKind)(many=True)
    relation_types = _vocabulary("RelationTypeValue", RelationType)(many=True)
    participant_kinds = _vocabulary("ParticipantKindValue", ParticipantKind)(many=True)
    source_body_kinds = _vocabulary("SourceBodyKindValue", Source.BodyKind)(many=True)
