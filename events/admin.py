"""Django admin for editors: every model, with search, filters, inlines and change history.

Forms run the models' own validation (field validators, clean(), validate_constraints()), so a
bad value shows the same message here as in the API.
"""

from typing import Any

from django.contrib import admin
from django.db import models, router, transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from . import changes
from .models import (
    CITATION_LABEL_RELATIONS,
    CITATION_TARGETS,
    Citation,
    Country,
    Event,
    EventRelation,
    Participant,
    Participation,
    Source,
    Statement,
    TariffMeasure,
    Topic,
)


class EditorAdmin(SimpleHistoryAdmin):
    """Every model's admin: change history, and one change-feed entry per record a form saved
    (a record and its inlines change together)."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with transaction.atomic(using=router.db_for_write(self.model)), changes.batch():
            return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with transaction.atomic(using=router.db_for_write(self.model)), changes.batch():
            return super().delete_view(request, *args, **kwargs)


class CitationInline(admin.TabularInline):
    """Citations of the parent record; `fk_name` is set per subclass (Citation has eight FKs)."""

    model = Citation
    extra = 0
    fields = ["source", "field", "excerpt", "key"]
    autocomplete_fields = ["source"]
    show_change_link = True


def citations_of(fk_name: str) -> type[CitationInline]:
    """The citations inline for the model a Citation reaches through `fk_name`."""
    return type(f"{fk_name.title()}CitationInline", (CitationInline,), {"fk_name": fk_name})


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    fields = ["participant", "role", "country", "note"]
    autocomplete_fields = ["participant", "country"]
    show_change_link = True


class StatementInline(admin.StackedInline):
    model = Statement
    extra = 0
    fields = ["slug", "speaker", "kind", "text", ("stated_on", "date_precision"), "date_note"]
    autocomplete_fields = ["speaker"]
    show_change_link = True


class EventRelationInline(admin.TabularInline):
    model = EventRelation
    fk_name = "from_event"
    extra = 0
    fields = ["relation_type", "to_event"]
    autocomplete_fields = ["to_event"]
    show_change_link = True
    verbose_name = "related event"
    verbose_name_plural = "related events (this event is <relation type> the other)"


@admin.register(Country)
class CountryAdmin(EditorAdmin):
    list_display = ["iso2", "iso3", "name", "updated_at"]
    search_fields = ["iso2", "iso3", "name"]
    inlines = [citations_of("country")]


@admin.register(Source)
class SourceAdmin(EditorAdmin):
    list_display = ["title", "publisher", "published_on", "body_kind", "citation_count"]
    list_filter = [
        "body_kind",
        "publisher",
        "language",
        ("published_on", admin.DateFieldListFilter),
    ]
    search_fields = ["slug", "title", "publisher", "web_url"]
    prepopulated_fields = {"slug": ["title"]}
    # Django 6 makes https the default scheme for a URL typed without one; adopt it now.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        # One COUNT per page instead of one per row.
        return super().get_queryset(request).annotate(_citations=Count("citations"))

    @admin.display(description="citations", ordering="_citations")
    def citation_count(self, obj: Any) -> int:
        return int(obj._citations)


@admin.register(Topic)
class TopicAdmin(EditorAdmin):
    list_display = ["name", "slug", "parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["slug", "name", "description"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["parent"]
    inlines = [citations_of("topic")]


@admin.register(Participant)
class ParticipantAdmin(EditorAdmin):
    list_display = ["name", "kind", "office", "country", "affiliation"]
    list_filter = ["kind", ("country", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["slug", "name", "aliases", "office", "description"]
    autocomplete_fields = ["country", "affiliation"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["country", "affiliation"]
    inlines = [citations_of("participant")]


@admin.register(Event)
class EventAdmin(EditorAdmin):
    list_display = ["title", "event_type", "cameo_code", "start_date", "date_precision"]
    list_filter = [
        "event_type",
        "date_precision",
        ("countries", admin.RelatedOnlyFieldListFilter),
        ("topics", admin.RelatedOnlyFieldListFilter),
        ("start_date", admin.DateFieldListFilter),
    ]
    search_fields = ["slug", "title", "summary", "cameo_code"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["location_country", "countries", "topics"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", ("event_type", "cameo_code")]}),
        ("When", {"fields": [("start_date", "end_date", "date_precision"), "date_note"]}),
        ("Where and what", {"fields": ["location_country", "countries", "topics"]}),
    ]
    inlines = [ParticipationInline, StatementInline, EventRelationInline, citations_of("event")]


@admin.register(EventRelation)
class EventRelationAdmin(EditorAdmin):
    list_display = ["from_event", "relation_type", "to_event"]
    list_filter = ["relation_type"]
    search_fields = ["from_event__title", "from_event__slug", "to_event__title", "to_event__slug"]
    autocomplete_fields = ["from_event", "to_event"]
    list_select_related = ["from_event", "to_event"]
    inlines = [citations_of("event_relation")]


@admin.register(Participation)
class ParticipationAdmin(EditorAdmin):
    list_display = ["event", "participant", "role", "country"]
    list_filter = ["role", ("country", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["event__title", "event__slug", "participant__name", "participant__slug"]
    autocomplete_fields = ["event", "participant", "country"]
    list_select_related = ["event", "participant", "country"]
    inlines = [citations_of("participation")]


@admin.register(Statement)
class StatementAdmin(EditorAdmin):
    list_display = ["slug", "speaker", "kind", "stated_on", "event"]
    list_filter = ["kind", ("stated_on", admin.DateFieldListFilter)]
    search_fields = ["slug", "text", "speaker__name", "event__title"]
    autocomplete_fields = ["event", "speaker"]
    list_select_related = ["speaker", "event"]
    inlines = [citations_of("statement")]


@admin.register(TariffMeasure)
class TariffMeasureAdmin(EditorAdmin):
    list_display = ["title", "imposing_country", "measure_type", "rate", "status", "effective_on"]
    list_filter = [
        "status",
        "measure_type",
        ("imposing_country", admin.RelatedOnlyFieldListFilter),
        ("target_countries", admin.RelatedOnlyFieldListFilter),
        ("announced_on", admin.DateFieldListFilter),
    ]
    search_fields = ["slug", "title", "product_scope", "legal_basis"]
    autocomplete_fields = ["imposing_country", "target_countries", "announced_in", "discussed_in"]
    prepopulated_fields = {"slug": ["title"]}
    list_select_related = ["imposing_country"]
    date_hierarchy = "announced_on"
    fieldsets = [
        (None, {"fields": ["title", "slug", ("measure_type", "rate"), "product_scope"]}),
        ("Who and whom", {"fields": ["imposing_country", "target_countries"]}),
        (
            "Dates and status",
            {
                "fields": [
                    ("announced_on", "effective_on"),
                    ("suspended_on", "suspended_until", "ended_on"),
                    ("status", "status_as_of"),
                    "legal_basis",
                ]
            },
        ),
        ("Events", {"fields": ["announced_in", "discussed_in"]}),
    ]
    inlines = [citations_of("tariff_measure")]


@admin.register(Citation)
class CitationAdmin(EditorAdmin):
    list_display = ["key", "source", "field", "short_excerpt", "target_label"]
    list_filter = ["source", "field"]
    search_fields = ["key", "excerpt", "source__title", "source__slug"]
    autocomplete_fields = ["source", *CITATION_TARGETS]
    # What the label of a citation's record reads, and the speaker of a statement's.
    list_select_related = ["source", *CITATION_LABEL_RELATIONS, "statement__speaker"]

    @admin.display(description="excerpt")
    def short_excerpt(self, obj: Citation) -> str:
        return obj.excerpt if len(obj.excerpt) <= 80 else obj.excerpt[:77] + "..."

    @admin.display(description="supports")
    def target_label(self, obj: Citation) -> str:
        target = obj.target
        return f"{type(target)._meta.verbose_name}: {target}" if target is not None else "-"
