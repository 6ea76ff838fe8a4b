"""Every FilterSet of the API, and the strict filter backend that applies them.

Conventions, the same on every collection:
- a repeated parameter or a comma-separated value means OR (`?country=US,PK` or
  `?country=US&country=PK`); different parameters combine with AND; `ordering` takes several
  sort keys the same two ways (`?ordering=title,-date` or `?ordering=title&ordering=-date`);
- every other parameter takes one value: given more than once, it is a 400 naming it (never
  one value kept and the others dropped);
- a value that cannot be parsed, an unknown enum value, or a slug that names nothing is a 400
  naming the parameter; so is an unknown parameter: nothing is ever silently ignored.
"""

import csv
import datetime
import re
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.db import connections
from django.db.models import BooleanField, F, Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.template import loader
from django.utils import timezone
from django_filters import rest_framework as filters
from django_filters.fields import BaseCSVField, IsoDateTimeField
from django_filters.widgets import BaseCSVWidget
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from . import caching, literals, search
from .models import (
    CAMEO_PATTERN,
    Country,
    DatePrecision,
    Event,
    EventType,
    MeasureStatus,
    MeasureType,
    Participant,
    ParticipantKind,
    Participation,
    Source,
    Statement,
    TariffMeasure,
    Topic,
)
from .ordering import SortKey, key_expression, order_expression, sort_keys
from .shapes import placeholders

MAX_VALUES = 100  # values in one multi-valued parameter
NUL_IN_PARAMETER = "Null characters are not allowed."  # Django's own message for form fields
MAX_SEARCH_LENGTH = 500
RATE_FILTER_LIMIT = 1_000_000  # far beyond any rate, well within what databases compare


# --- multi-valued parameters ------------------------------------------------------------------


class CommaSeparatedWidget(forms.SelectMultiple):
    """Reads `?p=a,b&p=c` as ["a", "b", "c"]; empty items are kept so the field can refuse them."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str] | None:
        if name not in data:
            return None
        raw = data.getlist(name) if isinstance(data, QueryDict) else [data[name]]
        return [part.strip() for value in raw for part in str(value).split(",")]


class _MultiValueMixin:
    """Shared checks of every multi-valued field: no empty items, not too many."""

    normalize: Callable[[str], str] = staticmethod(lambda value: value)

    def clean(self, value: Any) -> Any:
        if value is not None:
            if any(part == "" for part in value):
                raise forms.ValidationError(
                    "Empty value: give one or more values, separated by commas.", code="empty"
                )
            if len(value) > MAX_VALUES:
                raise forms.ValidationError(f"At most {MAX_VALUES} values.", code="too_many")
            value = [self.normalize(part) for part in value]
        return super().clean(value)  # type: ignore[misc]


class MultipleChoiceField(_MultiValueMixin, forms.MultipleChoiceField):
    def validate(self, value: Any) -> None:
        choices: Any = self.choices
        allowed = [str(key) for key, _ in choices]
        for item in value:
            if item not in allowed:
                # The value goes in params, never into the message itself: django-filter
                # %-formats messages, and a "%" in user input would break that.
                raise forms.ValidationError(
                    "%(value)r is not one of: %(allowed)s.",
                    code="invalid_choice",
                    params={"value": item, "allowed": ", ".join(allowed)},
                )


class ModelMultipleChoiceField(_MultiValueMixin, forms.ModelMultipleChoiceField):
    default_error_messages = {
        "invalid_choice": "No record has %(value)s as its identifier.",
        "invalid_pk_value": "%(pk)s is not a valid identifier.",
    }


class CountryCodeField(ModelMultipleChoiceField):
    """ISO 3166-1 alpha-2 codes, in any case. Within a read that knows its data version, the
    codes are checked against the country codes known at that version (events/caching.py:
    no query), and the value is the countries by code (their primary key)."""

    normalize = staticmethod(str.upper)
    default_error_messages = {"invalid_choice": "%(value)s is not a known country code."}

    def _check_values(self, value: Any) -> Any:
        known = caching.country_codes()
        if known is None:
            return super()._check_values(value)  # type: ignore[misc]
        for code in value:
            if code not in known:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": code},
                )
        return [Country(iso2=code) for code in dict.fromkeys(value)]


class TopicSlugField(ModelMultipleChoiceField):
    """Topic slugs. Within a read that knows its data version, checked against the topics
    known at that version (events/caching.py: no query); the value is the topics (their
    primary key and slug)."""

    def _check_values(self, value: Any) -> Any:
        tree = caching.topic_tree()
        if tree is None:
            return super()._check_values(value)  # type: ignore[misc]
        for slug in value:
            if slug not in tree.ids:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": slug},
                )
        return [Topic(pk=tree.ids[slug], slug=slug) for slug in dict.fromkeys(value)]


class CameoField(_MultiValueMixin, forms.MultipleChoiceField):
    """CAMEO code prefixes: a root 01-20 and up to two more digits."""

    def validate(self, value: Any) -> None:
        for code in value:
            if not re.match(CAMEO_PATTERN, code):
                raise forms.ValidationError(
                    "%(value)r is not a CAMEO code prefix (01 to 20, then up to two digits).",
                    code="invalid",
                    params={"value": code},
                )


# django-filter makes a multiple-choice filter SELECT DISTINCT. Every such filter here is on a
# column or a to-one relation (a to-many one has a method with EXISTS), so no row can repeat:
# DISTINCT would only add a sort, and with server-side binding (settings: prepared statements)
# PostgreSQL refuses DISTINCT beside a sort on an expression with parameters, such as the rank
# of a `q` search ("ORDER BY expressions must appear in select list").
NO_DISTINCT = {"distinct": False}


class ChoiceFilter(filters.MultipleChoiceFilter):
    field_class = MultipleChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", CommaSeparatedWidget)
        super().__init__(*args, **{**NO_DISTINCT, **kwargs})


# The schema shows these as arrays of strings (slugs, codes): spectacular wraps the type.
@extend_schema_field(OpenApiTypes.STR)
class SlugFilter(filters.ModelMultipleChoiceFilter):
    """Records named by slug. Without a `method`, `field_name` must end in the related
    record's slug (`speaker__slug`): django-filter compares it with each record's slug."""

    field_class = ModelMultipleChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", CommaSeparatedWidget)
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **{**NO_DISTINCT, **kwargs})


class TopicSlugFilter(SlugFilter):
    field_class = TopicSlugField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Topic.objects.all())
        super().__init__(*args, **kwargs)


class CountryFilter(SlugFilter):
    field_class = CountryCodeField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Country.objects.all())
        kwargs["to_field_name"] = "iso2"
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class CameoFilter(filters.MultipleChoiceFilter):
    field_class = CameoField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", CommaSeparatedWidget)
        super().__init__(*args, **{**NO_DISTINCT, **kwargs})

    def filter(self, qs: QuerySet[Any], value: list[str]) -> QuerySet[Any]:
        if not value:
            return qs
        condition = Q()
        for prefix in value:
            condition |= Q(**{f"{self.field_name}__startswith": prefix})
        return qs.filter(condition)


class RepeatedCSVWidget(BaseCSVWidget):
    """django-filter's comma-separated widget, reading a repeated parameter too:
    `?ordering=title&ordering=-date` is `?ordering=title,-date` (django-filter keeps the last)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if isinstance(data, QueryDict) and len(data.getlist(name)) > 1:
            return [part for value in data.getlist(name) for part in value.split(",")]
        return super().value_from_datadict(data, files, name)


class OrderingField(BaseCSVField):
    """django-filter's comma-separated field, refusing empty items (`?ordering=date,`), which
    it would pass on as a sort on no field."""

    base_widget_class = RepeatedCSVWidget

    def clean(self, value: Any) -> Any:
        if value is not None and any(not str(item).strip() for item in value):
            raise forms.ValidationError(
                "Empty item: give sort keys separated by commas, e.g. title,-date.", code="empty"
            )
        if value is not None and len(value) > MAX_VALUES:
            raise forms.ValidationError(f"At most {MAX_VALUES} sort keys.", code="too_many")
        return super().clean(value)


class TextListField(_MultiValueMixin, forms.Field):
    """Free-text values (names), each at most `max_length` characters."""

    def __init__(self, *args: Any, max_length: int, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(*args, **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        for item in value or ():
            if len(item) > self.max_length:
                raise forms.ValidationError(
                    "Each value has at most %(max)d characters.",
                    code="max_length",
                    params={"max": self.max_length},
                )


class QuotedCommaSeparatedWidget(forms.SelectMultiple):
    """Reads free-text values as CSV does: `?p=a,b&p=c` is ["a", "b", "c"], and a value that
    holds a comma is quoted, `?p="Smith, Jones",Reuters` (a quote inside one doubled)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str] | None:
        if name not in data:
            return None
        raw = data.getlist(name) if isinstance(data, QueryDict) else [data[name]]
        parts: list[str] = []
        for value in raw:
            try:
                [row] = csv.reader([str(value)], skipinitialspace=True, strict=True)
            except (csv.Error, ValueError):
                raise ValidationError(
                    {
                        name: [
                            "Malformed quoting: a quoted value is the whole of its item, "
                            'quotes balanced and nothing after them ("a, b",c).'
                        ]
                    }
                ) from None
            parts += [part.strip() for part in row] or [""]
        return parts


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class TextListFilter(filters.Filter):
    field_class = TextListField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", QuotedCommaSeparatedWidget)
        super().__init__(*args, **kwargs)


class OrderingFilter(filters.OrderingFilter):
    """django-filter's ordering, with the slug as the last key so that ties keep one order
    (pages would otherwise overlap or skip rows). The slug runs in the first key's direction,
    so that one index on (key, slug) serves the sort both ways; unknown values sort last."""

    base_field_class = OrderingField

    def filter(self, qs: QuerySet[Any], value: list[str] | None) -> QuerySet[Any]:
        if not value:
            return qs
        keys = [str(self.get_ordering_value(param)) for param in value]
        keys.append("-slug" if keys[0].startswith("-") else "slug")
        return qs.order_by(*[order_expression(qs.model, key) for key in keys])


# --- the FilterSet base -----------------------------------------------------------------------


class FilterSet(filters.FilterSet):
    """django-filter's FilterSet, building and applying only the filters the request gives.

    django-filter deep-copies every declared filter for each request, builds a form class and
    a field for each, and cleans and applies all of them, given or not (an absent slug filter
    still compiles a query to find its empty value falsy): most of a list's Python time when
    it has a dozen filters. A filter whose parameter is absent does nothing, so only the given
    ones are copied; the backend has already refused every parameter that names no filter.
    `every_filter=True` keeps them all (the browsable API's filter form shows every field).
    """

    base_filters: dict[str, filters.Filter]  # set by django-filter's metaclass

    def __init__(
        self,
        data: Any = None,
        queryset: Any = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        every_filter: bool = False,
    ) -> None:
        if data is not None and not every_filter:
            declared = type(self).base_filters
            self.base_filters = {name: f for name, f in declared.items() if name in data}
        super().__init__(data, queryset, request=request, prefix=prefix)

    # The form classes built so far, per FilterSet and set of filters. django-filter builds a
    # new class (a metaclass run, a field per filter) for every request; a form class holds
    # only the fields' declarations, which each form deep-copies (a model choice field's
    # queryset included), so one class serves every request with the same filters.
    _form_classes: dict[tuple[type["FilterSet"], tuple[str, ...]], type[forms.Form]] = {}

    def get_form_class(self) -> type[forms.Form]:
        key = (type(self), tuple(self.filters))
        form_class = FilterSet._form_classes.get(key)
        if form_class is None:
            form_class = FilterSet._form_classes.setdefault(key, super().get_form_class())
        return form_class


# --- shared filter logic ----------------------------------------------------------------------


def overlaps_from(
    qs: QuerySet[Any], start: str, end: str, precision: str, day: datetime.date
) -> QuerySet[Any]:
    """The records of `qs` whose date range reaches `day` or later.

    A date known to the month stands for the whole month, one known to the year for the whole
    year: an event of "March 2025" (stored as 2025-03-01) still overlaps 2025-03-20. A range
    reaches as far as its end date, or its start date when it has no end. Written as one SQL
    comparison, `COALESCE(end, start) >= CASE precision WHEN 'day' THEN ... END`, its columns
    compiled as any column (relabelled when the records become a subquery, as in stats): the
    ORM's three OR'd branches cost 0.5 ms of Python per request to build.
    """
    reach = "COALESCE({}, {})" if end else "{}"
    earliest = {
        DatePrecision.DAY: day,
        DatePrecision.MONTH: day.replace(day=1),
        DatePrecision.YEAR: day.replace(month=1, day=1),
    }
    adapt = connections[qs.db].ops.adapt_datefield_value
    params: list[Any] = []
    for value, date in earliest.items():
        params += [str(value), adapt(date)]
    branches = " ".join(["WHEN %s THEN %s"] * len(earliest))
    columns = [F(end), F(start)] if end else [F(start)]
    sql = f"{reach} >= CASE {{}} {branches} END"
    return qs.filter(search.SQL(sql, [*columns, F(precision)], params, BOOLEAN))


def topic_and_descendants(topics: Iterable[Topic]) -> set[int]:
    """Ids of the given topics and every topic below them (the tree known at the read's data
    version, or one query for the whole tree)."""
    tree = caching.topic_tree() or caching.TopicTree(
        list(Topic.objects.values_list("pk", "slug", "parent_id"))
    )
    return tree.with_descendants(topic.pk for topic in topics)


def linked_to(
    qs: QuerySet[Any], through: type[Model], owner: str, field: str, values: list[Any]
) -> QuerySet[Any]:
    """The records of `qs` that a row of `through` links (by its `owner` foreign key) to one of
    `values` (of its `field`): `EXISTS (SELECT 1 FROM through WHERE ...)`, written as SQL with
    the values bound, which PostgreSQL plans as the ORM's `Exists` (a semi join probing the
    link table's index) but which costs no ORM compilation per request (0.3 ms for a topic
    filter's `Exists`)."""
    quote = connections[qs.db].ops.quote_name
    link = through._meta
    by, to = (quote(link.get_field(name).column) for name in (owner, field))  # type: ignore[union-attr,arg-type]
    sql = (
        f"EXISTS (SELECT 1 FROM {quote(link.db_table)} l "  # noqa: S608 (names from the models)
        f"WHERE l.{by} = {{}} AND l.{to} IN ({placeholders(values)}))"
    )
    # The outer key compiled as any column: relabelled when the records become a subquery.
    return qs.filter(search.SQL(sql, [F("pk")], values, BOOLEAN))


def keys_of(records: Iterable[Any]) -> list[Any]:
    """The primary keys of a filter's validated records. Validation has read them already (a
    model-choice field's cleaned value is that queryset, evaluated), so this runs no query,
    and the filter's SQL gets the keys as values: `IN (SELECT ... WHERE ... IN (...))`, what
    the queryset itself would become, leads PostgreSQL to hash a whole link table."""
    return [record.pk for record in records]


def via_link(
    qs: QuerySet[Event], link: str, before: datetime.date | None, **match: Any
) -> QuerySet[Event] | None:
    """On PostgreSQL, the events with a row in `link` (a relation to EventCountryLink or
    EventTopicLink) that matches `match`, sorted in the list's default order on that row's
    copy of the event's sort keys: the index (country or topic, start_date, slug) of
    migration 0010 then gives a page in order, reading only its rows, where the event's own
    columns would need every match read and sorted, or the events walked until 25 match.

    None where it does not apply, and the caller filters with EXISTS: on SQLite (no copy);
    when the list is sorted otherwise already. `match` must name at most one row per event
    (one country, one topic), or the join would repeat events. An `ordering` or a search
    given as well sorts on its own keys afterwards, over the same (still correct) join.

    `before` (the list's `date_to`, applied to the event already) bounds the link's copy of
    the start date too, so the index walk begins at that date, not at the newest event."""
    if connections[qs.db].vendor != "postgresql" or qs.query.order_by:
        return None
    keys = sort_keys(qs)
    if keys is None:
        return None
    condition = {f"{link}__{field}": value for field, value in match.items()}
    if before is not None:
        condition[f"{link}__start_date__lte"] = before
    joined = qs.filter(**condition)  # one filter(): the same row of the link
    order = [SortKey(k.name, k.descending, k.nullable, f"{link}__{k.name}") for k in keys]
    return joined.order_by(*[key_expression(qs.model, key) for key in order])


class SearchFilter(filters.CharFilter):
    """`q`: full-text search (see events/search.py)."""

    def __init__(self, *, fields: tuple[str, ...], **kwargs: Any) -> None:
        self.search_fields = fields
        kwargs.setdefault("max_length", MAX_SEARCH_LENGTH)
        kwargs.setdefault(
            "help_text",
            "Full-text search. Words are matched in any form (PostgreSQL stems them: 'tariffs' "
            "matches 'tariff'); all words must match; \"a phrase\", `or` and `-word` work as in a "
            "web search engine. Results are ranked by relevance unless `ordering` is given, or "
            "`cursor` (which pages in the list's order: the default one, or `ordering`).",
        )
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value in (None, ""):
            return qs
        related = getattr(self.parent, "search_related", None)
        # Ranked unless the client sorts (`ordering`) or pages by cursor, which needs a sort on
        # the records' own columns: a search then comes in the list's order.
        ranked = "ordering" not in self.parent.data and "cursor" not in self.parent.data
        return search.search(qs, value, self.search_fields, related=related, ranked=ranked)


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    """An aware datetime in UTC (naive means UTC). A time at the edge of the calendar whose UTC
    form falls outside years 1-9999 (0001-01-01T00:00+05:00) becomes the first or last
    representable instant, which selects the same records. The database gets UTC: PostgreSQL
    refuses offsets beyond 15:59, which ISO 8601 allows."""
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=datetime.UTC)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        edge = datetime.datetime.min if moment.year == 1 else datetime.datetime.max
        return edge.replace(tzinfo=datetime.UTC)


class UTCDateTimeField(IsoDateTimeField):
    def to_python(self, value: Any) -> datetime.datetime | None:
        # Python's ISO parser overlooks some trailing garbage ("...00:00\x00"), reads any
        # Unicode digit and ISO 8601's basic forms: RFC 3339's form only (events/literals.py).
        if isinstance(value, str) and value and not literals.is_datetime(value, date_alone=True):
            raise forms.ValidationError(literals.DATETIME_FORMAT, code="invalid")
        parsed = super().to_python(value)
        return as_utc(parsed) if parsed is not None else None


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class IsoDateField(forms.DateField):
    """A date as YYYY-MM-DD in digits 0-9 only (events/literals.py): Django's date field also
    reads "04/10/2025", "Apr 10 2025" and fullwidth digits."""

    def to_python(self, value: Any) -> datetime.date | None:
        if isinstance(value, str) and value and not literals.is_iso_date(value):
            raise forms.ValidationError(literals.DATE_FORMAT, code="invalid")
        return super().to_python(value)


class IsoDateFilter(filters.DateFilter):
    field_class = IsoDateField


class NumberField(forms.DecimalField):
    """A number in digits 0-9 as JSON writes it (events/literals.py): Decimal() also reads
    "1_0", " 1 " and fullwidth "2"."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value and not literals.is_number(value):
            raise forms.ValidationError(literals.NUMBER_FORMAT, code="invalid")
        return super().to_python(value)


class NumberFilter(filters.NumberFilter):
    field_class = NumberField


def updated_since_filter() -> filters.IsoDateTimeFilter:
    return UTCDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only records changed at or after this time (ISO 8601; UTC when no offset is "
        "given), for incremental sync.",
    )


# --- the FilterSets ---------------------------------------------------------------------------


class EventFilter(FilterSet):
    date_from = IsoDateFilter(
        method="filter_date_from",
        help_text="Events whose dates overlap this day or later (ISO date). An event known only "
        "to the month or year covers that whole month or year.",
    )
    date_to = IsoDateFilter(
        field_name="start_date",
        lookup_expr="lte",
        help_text="Events whose dates overlap this day or earlier (ISO date).",
    )
    event_type = ChoiceFilter(choices=EventType.choices, help_text="Event type(s).")
    cameo = CameoFilter(
        field_name="cameo_code",
        help_text="CAMEO code prefix(es): 04 matches 040 to 046 and their subcodes.",
    )
    country = CountryFilter(
        method="filter_country",
        help_text="Countries involved (ISO 3166-1 alpha-2, any case).",
    )
    participant = SlugFilter(
        queryset=Participant.objects.all(),
        method="filter_participant",
        help_text="Participant slug(s): events they took part in, in any role.",
    )
    topic = TopicSlugFilter(
        method="filter_topic",
        help_text="Topic slug(s): events filed under the topic or any topic below it.",
    )
    q = SearchFilter(fields=search.EVENT_FIELDS)
    updated_since = updated_since_filter()
    ordering = OrderingFilter(
        fields={"start_date": "date", "title": "title", "updated_at": "updated_at"},
        help_text="Sort order: date, title or updated_at; prefix with - to reverse. Default: "
        "newest first (-date), or by relevance when `q` is given.",
    )

    # Statements are searched along with the event's title and summary.
    search_related = (Statement, "event", search.STATEMENT_FIELDS)

    class Meta:
        model = Event
        fields: list[str] = []

    def filter_date_from(
        self, qs: QuerySet[Event], name: str, value: datetime.date
    ) -> QuerySet[Event]:
        return overlaps_from(qs, "start_date", "end_date", "date_precision", value)

    def date_to_given(self) -> datetime.date | None:
        """The `date_to` given, once valid (None if absent)."""
        return self.form.cleaned_data.get("date_to")

    def filter_country(
        self, qs: QuerySet[Event], name: str, value: list[Country]
    ) -> QuerySet[Event]:
        if not value:
            return qs
        linked = None
        if len(value) == 1:
            linked = via_link(qs, "country_links", self.date_to_given(), country=value[0])
        if linked is not None:
            return linked
        return linked_to(qs, Event.countries.through, "event", "country", keys_of(value))

    def filter_participant(
        self, qs: QuerySet[Event], name: str, value: list[Participant]
    ) -> QuerySet[Event]:
        if not value:
            return qs
        return linked_to(qs, Participation, "event", "participant", keys_of(value))

    def filter_topic(self, qs: QuerySet[Event], name: str, value: list[Topic]) -> QuerySet[Event]:
        if not value:
            return qs
        topic_ids = topic_and_descendants(value)
        if len(topic_ids) == 1:
            (topic_id,) = topic_ids
            linked = via_link(qs, "topic_links", self.date_to_given(), topic=topic_id)
            if linked is not None:  # (a queryset's truth would run it)
                return linked
        return linked_to(qs, Event.topics.through, "event", "topic", sorted(topic_ids))


# A measure targets one of the countries, or no country (then it applies to all). Written as
# SQL: the ORM's two EXISTS expressions cost more Python per request than the query they make.
# On PostgreSQL, one probe of the measure's targets answers both (NULL: no targets), so a page
# walks the list's index testing each measure by its own few rows (0.9 ms at 100,000 events)
# where the two EXISTS hash the whole target table for every page (2.1 ms); a count, which
# tests every measure, takes longer that way (16 ms against 6), and is cached per data version.
# The outer table is the list's own (no filter of a measure list aliases it).
_MEASURES, _TARGETS = (
    TariffMeasure._meta.db_table,
    TariffMeasure.target_countries.through._meta.db_table,
)
# Table names from the models; the codes are bound.
TARGETS_ANY_OF = {
    "postgresql": f"COALESCE((SELECT bool_or(t.country_id IN ({{codes}})) FROM {_TARGETS} t "  # noqa: S608
    f"WHERE t.tariffmeasure_id = {_MEASURES}.id), true)",
    "other": f"(EXISTS (SELECT 1 FROM {_TARGETS} t WHERE t.tariffmeasure_id = {_MEASURES}.id "  # noqa: S608
    "AND t.country_id IN ({codes})) "
    f"OR NOT EXISTS (SELECT 1 FROM {_TARGETS} t WHERE t.tariffmeasure_id = {_MEASURES}.id))",
}
BOOLEAN: "BooleanField[Any, Any]" = BooleanField()


class TariffMeasureFilter(FilterSet):
    imposing_country = CountryFilter(
        field_name="imposing_country",
        # One country per measure: no DISTINCT, which would sort every match (the page comes
        # from the index of migration 0010 in the list's order).
        distinct=False,
        help_text="Country imposing the measure (ISO alpha-2).",
    )
    target_country = CountryFilter(
        method="filter_target_country",
        help_text="Country the measure applies to (ISO alpha-2); measures on all countries "
        "match every country.",
    )
    measure_type = ChoiceFilter(choices=MeasureType.choices, help_text="Measure type(s).")
    status = ChoiceFilter(choices=MeasureStatus.choices, help_text="Status(es).")
    rate_min = NumberFilter(
        field_name="rate",
        lookup_expr="gte",
        min_value=-RATE_FILTER_LIMIT,
        max_value=RATE_FILTER_LIMIT,
        help_text="Rate at least this many percent.",
    )
    rate_max = NumberFilter(
        field_name="rate",
        lookup_expr="lte",
        min_value=-RATE_FILTER_LIMIT,
        max_value=RATE_FILTER_LIMIT,
        help_text="Rate at most this many percent.",
    )
    announced_from = IsoDateFilter(
        field_name="announced_on", lookup_expr="gte", help_text="Announced on or after this day."
    )
    announced_to = IsoDateFilter(
        field_name="announced_on", lookup_expr="lte", help_text="Announced on or before this day."
    )
    effective_on = IsoDateFilter(
        method="filter_effective_on",
        help_text="In force on this day: in effect by then, not suspended that day, not ended.",
    )
    q = SearchFilter(fields=search.TARIFF_MEASURE_FIELDS)
    updated_since = updated_since_filter()
    ordering = OrderingFilter(
        fields={
            "rate": "rate",
            "announced_on": "announced_on",
            "effective_on": "effective_on",
            "title": "title",
            "updated_at": "updated_at",
        },
        help_text="Sort order: rate, announced_on, effective_on, title or updated_at; prefix "
        "with - to reverse. Default: most recently announced first.",
    )

    class Meta:
        model = TariffMeasure
        fields: list[str] = []

    def filter_target_country(
        self, qs: QuerySet[TariffMeasure], name: str, value: list[Country]
    ) -> QuerySet[TariffMeasure]:
        if not value:
            return qs
        codes = keys_of(value)
        vendor = connections[qs.db].vendor
        condition = TARGETS_ANY_OF.get(vendor, TARGETS_ANY_OF["other"])
        condition = condition.format(codes=placeholders(codes))
        return qs.filter(RawSQL(condition, codes, BOOLEAN))  # noqa: S611 (codes bound)

    def filter_effective_on(
        self, qs: QuerySet[TariffMeasure], name: str, value: datetime.date
    ) -> QuerySet[TariffMeasure]:
        suspended = Q(suspended_on__lte=value) & (
            Q(suspended_until__isnull=True) | Q(suspended_until__gte=value)
        )
        ended = Q(ended_on__lt=value)
        return qs.filter(effective_on__lte=value).exclude(suspended | ended)


class ParticipantFilter(FilterSet):
    kind = ChoiceFilter(choices=ParticipantKind.choices, help_text="person or organization.")
    country = CountryFilter(field_name="country", help_text="Country (ISO alpha-2).")
    affiliation = SlugFilter(
        queryset=Participant.objects.filter(kind=ParticipantKind.ORGANIZATION),
        field_name="affiliation__slug",
        help_text="Slug(s) of the organization participants belong to.",
    )
    event = SlugFilter(
        queryset=Event.objects.all(),
        method="filter_event",
        help_text="Event slug(s): participants who took part in them.",
    )
    q = SearchFilter(fields=search.PARTICIPANT_FIELDS)
    updated_since = updated_since_filter()

    class Meta:
        model = Participant
        fields: list[str] = []

    def filter_event(
        self, qs: QuerySet[Participant], name: str, value: list[Event]
    ) -> QuerySet[Participant]:
        if not value:
            return qs
        return linked_to(qs, Participation, "participant", "event", keys_of(value))


class StatementFilter(FilterSet):
    speaker = SlugFilter(
        queryset=Participant.objects.all(),
        field_name="speaker__slug",
        help_text="Speaker slug(s).",
    )
    event = SlugFilter(
        queryset=Event.objects.all(), field_name="event__slug", help_text="Event slug(s)."
    )
    date_from = IsoDateFilter(
        method="filter_date_from",
        help_text="Statements made on this day or later (a date known to the month or year "
        "covers that whole period).",
    )
    date_to = IsoDateFilter(
        field_name="stated_on",
        lookup_expr="lte",
        help_text="Statements made on this day or earlier.",
    )
    q = SearchFilter(fields=search.STATEMENT_FIELDS)
    updated_since = updated_since_filter()

    class Meta:
        model = Statement
        fields: list[str] = []

    def filter_date_from(
        self, qs: QuerySet[Statement], name: str, value: datetime.date
    ) -> QuerySet[Statement]:
        return overlaps_from(qs, "stated_on", "", "date_precision", value)


class TopicFilter(FilterSet):
    parent = TopicSlugFilter(
        field_name="parent__slug",
        help_text="Slug(s) of the parent topic.",
    )
    q = SearchFilter(fields=search.TOPIC_FIELDS)
    updated_since = updated_since_filter()

    class Meta:
        model = Topic
        fields: list[str] = []


class CountryFilterSet(FilterSet):
    q = SearchFilter(fields=search.COUNTRY_FIELDS)
    updated_since = updated_since_filter()

    class Meta:
        model = Country
        fields: list[str] = []


class SourceFilter(FilterSet):
    publisher = TextListFilter(
        method="filter_publisher",
        max_length=200,
        help_text="Publisher name(s), exact but in any case; a name no source has is a 400. "
        'Quote a name that holds a comma, as CSV does: `"Smith, Jones",Reuters`.',
    )
    q = SearchFilter(fields=search.SOURCE_FIELDS)
    updated_since = updated_since_filter()

    class Meta:
        model = Source
        fields: list[str] = []

    def filter_publisher(
        self, qs: QuerySet[Source], name: str, value: list[str]
    ) -> QuerySet[Source]:
        if not value:
            return qs
        condition = Q()
        for part in value:
            condition |= Q(publisher__iexact=part)
        # A publisher no source has is a 400, as a slug that names nothing is: a name split
        # at a comma it holds ("Smith, Jones" as "Smith" and "Jones") is not silently a smaller
        # answer.
        known = {
            p.casefold()
            for p in Source.objects.filter(condition).values_list("publisher", flat=True)
        }
        unknown = [part for part in value if part.casefold() not in known]
        if unknown:
            raise ValidationError(
                {
                    name: [
                        f"No source has the publisher {part!r} (quote a name that holds a "
                        'comma: "Smith, Jones").'
                        for part in unknown
                    ]
                }
            )
        return qs.filter(condition)


# --- the backend ------------------------------------------------------------------------------

# Parameters accepted beside the filters: `format` picks a renderer (json, api); a paginated
# list takes the pagination parameters.
DETAIL_PARAMETERS = frozenset({"format"})
PAGE_PARAMETERS = frozenset({"page", "page_size", "cursor"})


# The filters that take several values, repeated or comma-separated; every other parameter
# (filters, pagination, `format`, a view's extra parameters) takes one.
REPEATABLE_FILTERS = (
    filters.MultipleChoiceFilter,
    filters.ModelMultipleChoiceFilter,
    OrderingFilter,
    TextListFilter,
)


def given_more_than_once(names: Iterable[str]) -> ValidationError:
    return ValidationError(
        {
            name: ["Given more than once: this parameter takes one value, so give it once."]
            for name in names
        }
    )


class StrictFilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, refusing unknown query parameters, and single-valued ones given
    more than once (django-filter, like Django's QueryDict.get, would keep the last value).

    The check runs for every action: a detail view accepts no filter, a list (and the actions a
    view names in `filtered_actions`) its FilterSet's parameters and pagination. The view may
    name extra parameters per action in `extra_query_parameters`, and filters an action does
    not take in `refused_query_parameters`.
    """

    @staticmethod
    def filters_apply(view: APIView) -> bool:
        return getattr(view, "action", None) in getattr(view, "filtered_actions", ("list",))

    def allowed_parameters(self, view: APIView) -> frozenset[str]:
        action = getattr(view, "action", None)
        extra = frozenset(getattr(view, "extra_query_parameters", {}).get(action, ()))
        if not self.filters_apply(view):
            return DETAIL_PARAMETERS | extra
        filterset_class = getattr(view, "filterset_class", None)
        names = frozenset(filterset_class.base_filters) if filterset_class else frozenset()
        names -= self.refused_parameters(view)
        paging = PAGE_PARAMETERS if getattr(view, "paginator", None) is not None else frozenset()
        return DETAIL_PARAMETERS | paging | names | extra

    def repeatable_parameters(self, view: APIView) -> frozenset[str]:
        filterset_class = getattr(view, "filterset_class", None)
        if not self.filters_apply(view) or filterset_class is None:
            return frozenset()
        return frozenset(
            name
            for name, declared in filterset_class.base_filters.items()
            if isinstance(declared, REPEATABLE_FILTERS)
        )

    @staticmethod
    def refused_parameters(view: APIView) -> frozenset[str]:
        """Filters of the view's FilterSet that an action does not take (the schema leaves
        them out too: events/schema.py)."""
        action = getattr(view, "action", None)
        return frozenset(getattr(view, "refused_query_parameters", {}).get(action, ()))

    def check_parameters(self, request: Request, view: APIView) -> None:
        """Refuse unknown parameters, single-valued ones given more than once, and empty ones
        (django-filter would ignore those)."""
        params = request.query_params
        unknown = sorted(set(params) - self.allowed_parameters(view))
        if unknown:
            allowed = ", ".join(sorted(self.allowed_parameters(view))) or "none"
            raise ValidationError(
                {name: [f"Unknown query parameter. Allowed here: {allowed}."] for name in unknown}
            )
        repeatable = self.repeatable_parameters(view)
        repeated = sorted(
            name for name in params if len(params.getlist(name)) > 1 and name not in repeatable
        )
        if repeated:
            raise given_more_than_once(repeated)
        empty = sorted(name for name in params if any(not v.strip() for v in params.getlist(name)))
        if empty:
            raise ValidationError(
                {name: ["Empty value: give a value or leave the parameter out."] for name in empty}
            )
        # No value of any parameter reaches a filter with a NUL in it: PostgreSQL refuses NUL in
        # text, so a filter that forgot to check would turn it into a server error.
        with_nul = sorted(name for name in params if any("\x00" in v for v in params.getlist(name)))
        if with_nul:
            raise ValidationError({name: [NUL_IN_PARAMETER] for name in with_nul})

    def to_html(self, request: Request, queryset: QuerySet[Any], view: APIView) -> str | None:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        kwargs = {**self.get_filterset_kwargs(request, queryset, view), "every_filter": True}
        filterset = filterset_class(**kwargs)
        return loader.get_template(self.template).render({"filter": filterset}, request)

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        self.check_parameters(request, view)
        if not self.filters_apply(view):
            return queryset
        return super().filter_queryset(request, queryset, view)
