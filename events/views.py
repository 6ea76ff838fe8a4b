"""The read API: one viewset per collection, the nested views that reuse them, the event
statistics, the API root and the health checks.

Each viewset's `get_queryset()` holds the query tuning for what its serializer reads; the
comments say which queries the prefetching saves. Event lists and details and tariff-measure
lists are built on the fast path (events/fast.py). `tests/test_api_queries.py` pins every count.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, connections, transaction
from django.db.models import Count, Exists, Model, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import ExtractYear, TruncMonth
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import get_script_prefix, get_urlconf
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers as drf_serializers
from rest_framework import viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ParseError, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from . import caching, exports, fast, history, literals, serializers, services, vocabularies
from .caching import (
    COUNT_TTL,
    cached_response,
    data_version,
    digest,
    if_none_match,
    list_etag,
)
from .filters import (
    CountryFilterSet,
    EventFilter,
    ParticipantFilter,
    SourceFilter,
    StatementFilter,
    StrictFilterBackend,
    TariffMeasureFilter,
    TopicFilter,
    UTCDateTimeField,
    given_more_than_once,
    topic_and_descendants,
)
from .formats import RESOURCES
from .models import (
    CameoCode,
    Change,
    Citation,
    Country,
    Event,
    EventType,
    Participant,
    Participation,
    Source,
    Statement,
    TariffMeasure,
    Topic,
)
from .pagination import PageNumberOnlyPagination, number_error, whole_number
from .parsers import JSONParser
from .problems import DATABASE_RETRY_AFTER, drop_broken_connections, problem_response
from .renderers import CSVRenderer, JSONRenderer, NDJSONRenderer, dumps
from .routers import read_connection
from .serializers import HistoryEntrySerializer
from .throttling import AuthRateThrottle

ModelT = TypeVar("ModelT", bound=Model)
Rows = list[dict[str, Any]]  # (a name: inside a viewset class, `list` is the list action)


_root_paths: dict[tuple[str, Any], str] = {}
# RecordViewSet.list_base's querysets, per view class and database alias.
_list_bases: dict[tuple[type[Any], str], QuerySet[Any]] = {}


def api_root_path() -> str:
    """The API root's path (`/api/v1/`), reversed once per script prefix and URLconf: every
    read builds its records' links from it."""
    key = (get_script_prefix(), get_urlconf())
    path = _root_paths.get(key)
    if path is None:
        path = _root_paths.setdefault(key, reverse("api:root"))
    return path


def citations() -> Prefetch:
    """A record's citations with their sources: one query per relation, whatever the count."""
    return Prefetch("citations", queryset=Citation.objects.select_related("source"))


def not_found(model: type[Model], field: str, value: str) -> NotFound:
    return NotFound(f"No {model._meta.verbose_name} has the {field} {value!r}.")


def get_or_404(model: type[ModelT], field: str, value: str) -> ModelT:
    """The record, or a 404 naming what was looked for."""
    try:
        return model._default_manager.get(**{field: value})
    except ObjectDoesNotExist:
        raise not_found(model, field, value) from None


DETAIL_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy"})
WRITE_ACTIONS = frozenset({"create", "update", "partial_update"})


class PreconditionFailed(APIException):
    status_code = 412
    default_detail = "The record changed since you read it."

    def __init__(self, etag: str, detail: str | None = None) -> None:
        super().__init__(
            detail
            or "The record changed since you read it (its ETag is no longer the one you sent in "
            "If-Match): read it again, reapply your change, and send the new ETag."
        )
        self.etag = etag


def etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 If-Match: "*" or a list of entity tags, compared strongly (weak tags never
    match)."""
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or etag in tags


def require_body(request: Request) -> None:
    # DRF reads an empty body as an empty object; a write needs one sent.
    if request.stream is None:
        raise ParseError("The request body is empty; send a JSON object.")


class RecordViewSet(viewsets.ModelViewSet[Any]):
    """A collection: list and detail for everyone; create, replace, update and delete for
    users with the model's permission. Writes go through events/services.py; a detail
    carries a strong ETag, and a write with a stale `If-Match` changes nothing (412)."""

    lookup_field = "slug"
    # What a slug can be (Django's slug converter), so that a path segment that cannot name a
    # record (a NUL, which PostgreSQL refuses in a query) is a 404 before any query runs.
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    extra_query_parameters: dict[str | None, tuple[str, ...]] = {"history": ("page", "page_size")}
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    list_serializer_class: type[drf_serializers.BaseSerializer[Any]]
    detail_serializer_class: type[drf_serializers.BaseSerializer[Any]]
    write_serializer_class: type[drf_serializers.BaseSerializer[Any]]

    @property
    def is_detail(self) -> bool:
        return self.action in DETAIL_ACTIONS

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Every action's parameters are checked before it runs: a list's 304 (answered before
        # the list is filtered) and a create (which filters nothing) included. A method with no
        # action here (OPTIONS, or PUT on a list) is left to its 405 or its description.
        if self.action is not None:
            StrictFilterBackend().check_parameters(request, self)

    def get_serializer_class(self) -> type[drf_serializers.BaseSerializer[Any]]:
        if self.action in WRITE_ACTIONS:
            return self.write_serializer_class
        return self.detail_serializer_class if self.is_detail else self.list_serializer_class

    def get_object(self) -> Any:
        try:
            return super().get_object()
        except Http404:
            value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
            raise not_found(self.get_queryset().model, self.lookup_field, value) from None

    def links(self) -> fast.Links:
        return fast.Links(self.request.build_absolute_uri(api_root_path()))

    def detail_data(self, instance: Model) -> Any:
        """The record as its detail shows it (a collection may build it on the fast path)."""
        return self.detail_serializer_class(instance, context=self.get_serializer_context()).data

    @staticmethod
    def etag_of(data: Any) -> str:
        """A strong validator for a detail representation: the hash of its body."""
        return f'"{digest(dumps(data))}"'

    def etag(self, instance: Model) -> str:
        return self.etag_of(self.detail_data(instance))

    def detail_response(self, instance: Model, status: int = 200) -> Response:
        """The answer to a write: the record read back as GET shows it, with everything the
        write changed. Called inside the write's transaction, so that a failure to read it
        (the connection lost) rolls the write back: a 2xx means committed, a 5xx not (but
        for a connection lost during COMMIT itself: README, Reliability)."""
        data = self.detail_data(self.get_queryset().get(pk=instance.pk))
        response = Response(data, status=status)
        response["ETag"] = self.etag_of(data)
        if status == 201:
            response["Location"] = str(data["url"])
        return response

    def locked_object(self) -> Any:
        """The record, locked until the transaction ends, after checking `If-Match`.

        The row lock (SELECT ... FOR UPDATE on PostgreSQL; SQLite's writers take the database
        lock when their transaction begins) makes the check and the write one step: a second
        writer holding the same ETag waits, then finds the ETag changed.
        """
        instance = self.get_object()
        type(instance)._default_manager.select_for_update().filter(pk=instance.pk).exists()
        instance = self.get_object()  # as it is now that nobody else can change it
        expected = self.request.headers.get("If-Match")
        if expected is not None:
            current = self.etag(instance)
            if not etag_matches(expected, current):
                raise PreconditionFailed(current)
        unwanted = self.request.headers.get("If-None-Match")
        if unwanted is not None:
            # RFC 9110 13.1.2: a write "only if the record is not this one" (or, with "*", only
            # if there is none), and there is: 412, nothing written.
            current = self.etag(instance)
            # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" names "x" too.
            tags = [tag.strip().removeprefix("W/") for tag in unwanted.split(",")]
            if "*" in tags or current in tags:
                raise PreconditionFailed(
                    current,
                    'The record exists and matches If-None-Match ("*" matches any record): '
                    "nothing was written.",
                )
        return instance

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.versioned(
            request, lambda: super(RecordViewSet, self).list(request, *args, **kwargs)
        )

    def versioned(self, request: Request, answer: Any) -> Response:
        """Answer a read that depends only on the data version: 304 when the client's ETag is
        current (no list query runs), else the answer with that ETag, from the response cache
        when this version's answer was rendered before."""
        self.data_version = data_version()
        etag = list_etag(request, self.data_version)
        condition = if_none_match(request, etag)
        if condition == "match":
            return Response(status=304, headers={"ETag": etag})
        with caching.at_version(self.data_version):
            response: Response = cached_response(request, self.data_version, answer)
        if condition == "any" and response.status_code == 200:
            return Response(status=304, headers={"ETag": etag})
        response["ETag"] = etag
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def answer() -> Response:
            data = self.detail_data(self.get_object())
            response = Response(data)
            response["ETag"] = self.etag_of(data)
            return response

        return cached_response(request, data_version, answer)

    def list_base(self, page: fast.ListPage) -> QuerySet[Any]:
        """The queryset a fast list is filtered from: get_queryset() selecting the page's
        columns (`ListPage.values`, filters applying to it as to the model's queryset).

        A collection's own list (no path argument narrows it) starts from the same queryset
        every time: it is built once per view and database and cloned, as DRF clones a view's
        `queryset` (building it cost a tariff-measure list 14% of its instructions). A nested
        list (a country's events) is built from its path each time."""
        queryset = self.get_queryset()
        if self.kwargs:
            return page.values(queryset)
        key = (type(self), queryset.db)
        built = _list_bases.get(key)
        if built is None:
            built = _list_bases.setdefault(key, page.values(queryset))
        return built.all()

    def fast_list(self, request: Request, page: fast.ListPage) -> Response:
        """The list from plain rows (events/fast.py): filtered and paginated as usual, with
        the page's rows built without serializers (on PostgreSQL, with the related lists of
        each row read by the page query itself)."""

        def answer() -> Response:
            queryset = self.filter_queryset(self.list_base(page))
            rows = self.paginate_queryset(queryset) or []
            # The page's related rows come from the database its rows came from (a replica).
            with connections[queryset.db].cursor() as cursor:
                built = page.rows(cursor, rows, self.links())
            return self.get_paginated_response(built)

        return self.versioned(request, answer)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_body(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            return self.detail_response(serializer.save(), status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_body(request)
        with transaction.atomic():
            instance = self.locked_object()
            serializer = self.get_serializer(
                instance, data=request.data, partial=kwargs.get("partial", False)
            )
            serializer.is_valid(raise_exception=True)
            serializer.save()
            return self.detail_response(instance)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            services.delete_record(self.locked_object())
        return Response(status=204)

    @extend_schema(
        summary="List the changes to a record",
        description="Each change, newest first: when, by whom, what kind (created, updated, "
        "deleted) and the fields that changed with their old and new values. Nested records "
        "(an event's participations and related events, a record's citations) appear as "
        "changes of the field that holds them. A deleted record's history stays readable.",
        responses={200: HistoryEntrySerializer(many=True)},
    )
    # The history is paginated but takes no filter (and the schema lists none).
    @action(
        detail=True,
        url_path="history",
        filter_backends=[],
        pagination_class=PageNumberOnlyPagination,
    )
    def history(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        StrictFilterBackend().check_parameters(request, self)
        value = self.kwargs[self.lookup_field]
        if self.lookup_field == "iso2":
            value = value.upper()
        entries = history.entries_of(self.get_queryset().model, self.lookup_field, value)
        if entries is None:
            raise not_found(self.get_queryset().model, self.lookup_field, value)
        page = self.paginate_queryset(entries)  # type: ignore[arg-type]
        return self.get_paginated_response(page)


# --- exports ----------------------------------------------------------------------------------

EXPORT_RENDERERS = [NDJSONRenderer, CSVRenderer]
EXPORT_FORMATS = [renderer.format for renderer in EXPORT_RENDERERS]


def export_schema(collection: str) -> Any:
    return extend_schema(
        summary=f"Export {collection}",
        description=f"Every {collection[:-1].replace('-', ' ')} the list's filters select "
        "(all of them without a filter), in the list's order, streamed as one file: no "
        "pagination. NDJSON (one record a line) or CSV, each record in the shape a write takes "
        "(README: Importing and exporting), so an export can be imported with "
        "`manage.py import_data`. Answered as a download (`Content-Disposition`).",
        filters=True,
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=EXPORT_FORMATS,
                description="`ndjson` (the default) or `csv`; or ask with `Accept: "
                "application/x-ndjson` or `Accept: text/csv`.",
            )
        ],
        responses={
            (200, NDJSONRenderer.media_type): OpenApiTypes.STR,
            (200, CSVRenderer.media_type): OpenApiTypes.STR,
        },
    )


class ExportMixin:
    """The `export` action's format: `?format=` names one of EXPORT_FORMATS (another value is a
    400 naming the parameter, not DRF's 404), else `Accept` chooses, NDJSON by default."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        exporting = list(getattr(self, "renderer_classes", ())) == EXPORT_RENDERERS
        if exporting and request.method == "OPTIONS":
            return JSONRenderer(), JSONRenderer.media_type  # the endpoint's description
        if exporting:
            values = request.query_params.getlist("format")
            if len(values) > 1:
                raise given_more_than_once(["format"])
            if any(value not in EXPORT_FORMATS for value in values):
                raise ValidationError({"format": [f"Give one of: {', '.join(EXPORT_FORMATS)}."]})
        return super().perform_content_negotiation(request, force)  # type: ignore[misc]

    def export_response(self, collection: str, queryset: QuerySet[Any]) -> Any:
        """The export, with a list's ETag (the data version and the request): a client that
        sends it back in If-None-Match gets a 304 until the next write, before any row is read.
        The version is read before the rows, so a write while the file streams gives the next
        request another ETag."""
        request: Request = self.request  # type: ignore[attr-defined]
        etag = list_etag(request, data_version())
        if if_none_match(request, etag) is not None:  # named, or "*": there is a file to match
            # A plain response: the export renderers write no bodies of their own (they stream).
            not_modified = HttpResponse(status=304, headers={"ETag": etag})
            del not_modified["Content-Type"]  # no body
            return not_modified
        response = exports.response(
            RESOURCES[collection], queryset, request.accepted_renderer.format
        )
        response["ETag"] = etag
        return response


# --- events -----------------------------------------------------------------------------------


def cameo_label_subquery() -> Subquery:
    return Subquery(CameoCode.objects.filter(code=OuterRef("cameo_code")).values("label")[:1])


# Built once, cloned per request (as DRF clones a view's `queryset`): building the subquery
# cost each list 0.1 ms.
_EVENT_LIST = Event.objects.annotate(cameo_label=cameo_label_subquery())


def event_list_queryset() -> QuerySet[Event]:
    # The rows' columns and what they embed are read by events/fast.py: on PostgreSQL by the
    # page query itself, elsewhere three queries for the whole page (countries, topics,
    # participations with participants), never per row.
    # The CAMEO label is a subquery of the rows' own query: no query of its own.
    return _EVENT_LIST.all()


STATS_GROUPS = ["month", "event_type", "topic", "country"]


@extend_schema_view(
    list=extend_schema(
        summary="List events",
        description="Diplomatic events, newest first, with their participants, topics and "
        "countries in compact form. Every filter below combines with AND.",
    ),
    retrieve=extend_schema(
        summary="Get an event",
        description="One event with everything: participations with roles, statements, "
        "related events, tariff measures, and the citations behind each fact.",
    ),
)
class EventViewSet(ExportMixin, RecordViewSet):
    queryset = Event.objects.all()  # the model, for the schema; get_queryset() tunes it
    filterset_class = EventFilter
    list_serializer_class = serializers.EventListSerializer
    detail_serializer_class = serializers.EventDetailSerializer
    write_serializer_class = serializers.EventWriteSerializer
    filtered_actions = ("list", "stats", "export")
    extra_query_parameters = {"stats": ("group_by",), "history": ("page", "page_size")}
    # Stats have an order of their own (below): `ordering` would do nothing, so it is refused.
    refused_query_parameters = {"stats": ("ordering",)}

    def get_queryset(self) -> QuerySet[Event]:
        # A detail is built by events/fast.py from the slug (one query on PostgreSQL, 9 on
        # SQLite, whatever the event); a list's rows too (the page's related lists read by the
        # page query on PostgreSQL, three more queries on SQLite).
        return event_list_queryset()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.fast_list(request, fast.EVENT_PAGE)

    def detail_data(self, instance: Model) -> Any:
        with read_connection(Event).cursor() as cursor:
            return fast.event_detail(cursor, instance.slug, self.links())  # type: ignore[attr-defined]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        StrictFilterBackend().check_parameters(request, self)

        def answer() -> Response:
            with read_connection(Event).cursor() as cursor:
                data = fast.event_detail(cursor, self.kwargs["slug"], self.links())
            if data is None:
                raise not_found(Event, "slug", self.kwargs["slug"])
            response = Response(data)
            response["ETag"] = self.etag_of(data)
            return response

        return cached_response(request, data_version, answer)

    @extend_schema(
        summary="Count events by month, type, topic or country",
        description="Takes every event filter but `ordering`. Answers one row per group. "
        "Order: by `key` (chronological) for `month`; by `count`, highest first, then `key` for "
        "the others. An event filed under several topics or involving several countries counts "
        "once in each. "
        "For `month`, an event known only to the year is counted under the year alone "
        "(`2021`).",
        parameters=[
            OpenApiParameter(
                "group_by",
                OpenApiTypes.STR,
                enum=STATS_GROUPS,
                required=True,
                description="What to group by.",
            )
        ],
        responses={200: serializers.StatsItemSerializer(many=True)},
    )
    @action(detail=False, url_path="stats", pagination_class=None)
    def stats(self, request: Request) -> Response:
        return self.versioned(request, lambda: Response(self.stats_rows(request)))

    @export_schema("events")
    @action(
        detail=False,
        url_path="export",
        pagination_class=None,
        renderer_classes=EXPORT_RENDERERS,
    )
    def export(self, request: Request) -> Any:
        # Streamed in chunks (events/exports.py): the records' relations are prefetched per
        # chunk, one query each, never per record.
        return self.export_response("events", self.filter_queryset(self.get_queryset()))

    def stats_rows(self, request: Request) -> Rows:
        """The groups for this request, computed once per data version and cached."""
        key = f"stats:{self.data_version}:{digest(request.get_full_path().encode())}"
        rows = cache.get(key)
        if rows is None:
            rows = self.compute_stats(request)
            cache.set(key, rows, COUNT_TTL)
        rows_: Rows = rows
        return rows_

    def compute_stats(self, request: Request) -> Rows:
        group_by = request.query_params.get("group_by")
        if group_by not in STATS_GROUPS:
            message = f"Required: one of {', '.join(STATS_GROUPS)}."
            if group_by is not None:
                message = f"{group_by!r} is not a grouping. {message}"
            raise ValidationError({"group_by": [message]})
        events = self.filter_queryset(self.get_queryset()).order_by()
        rows = {
            "month": _stats_by_month,
            "event_type": _stats_by_type,
            "topic": _stats_by_topic,
            "country": _stats_by_country,
        }[group_by](events)
        if group_by != "month":
            rows.sort(key=lambda row: (-row["count"], row["key"]))
        return rows


def _stats_by_month(events: QuerySet[Event]) -> list[dict[str, Any]]:
    by_year = (
        events.filter(date_precision="year")
        .annotate(year=ExtractYear("start_date"))
        .values("year")
        .annotate(count=Count("pk"))
    )
    by_month = (
        events.exclude(date_precision="year")
        .annotate(month=TruncMonth("start_date"))
        .values("month")
        .annotate(count=Count("pk"))
    )
    rows = [
        {
            "key": str(row["year"]),
            "label": f"{row['year']} (month not known)",
            "count": row["count"],
        }
        for row in by_year
    ] + [
        {
            "key": row["month"].strftime("%Y-%m"),
            "label": row["month"].strftime("%B %Y"),
            "count": row["count"],
        }
        for row in by_month
    ]
    return sorted(rows, key=lambda row: row["key"])


def _stats_by_type(events: QuerySet[Event]) -> list[dict[str, Any]]:
    labels = dict(EventType.choices)
    return [
        {
            "key": row["event_type"],
            "label": labels.get(row["event_type"], row["event_type"]),
            "count": row["count"],
        }
        for row in events.values("event_type").annotate(count=Count("pk"))
    ]


def _stats_by_topic(events: QuerySet[Event]) -> list[dict[str, Any]]:
    rows = (
        Event.topics.through.objects.filter(event__in=events)
        .values("topic__slug", "topic__name")
        .annotate(count=Count("event_id"))
    )
    return [{"key": r["topic__slug"], "label": r["topic__name"], "count": r["count"]} for r in rows]


def _stats_by_country(events: QuerySet[Event]) -> list[dict[str, Any]]:
    rows = (
        Event.countries.through.objects.filter(event__in=events)
        .values("country_id", "country__name")
        .annotate(count=Count("event_id"))
    )
    return [
        {"key": r["country_id"], "label": r["country__name"], "count": r["count"]} for r in rows
    ]


@extend_schema_view(
    list=extend_schema(
        summary="List a participant's events",
        description="The events the participant took part in, in any role. Takes every event "
        "filter.",
        parameters=[
            OpenApiParameter(
                "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Participant slug."
            )
        ],
    )
)
class ParticipantEventsView(EventViewSet):
    def get_queryset(self) -> QuerySet[Event]:
        participant = get_or_404(Participant, "slug", self.kwargs["slug"])
        took_part = Participation.objects.filter(event=OuterRef("pk"), participant=participant)
        return event_list_queryset().filter(Exists(took_part))


@extend_schema_view(
    list=extend_schema(
        summary="List a topic's events",
        description="The events filed under the topic or any topic below it. Takes every "
        "event filter.",
        parameters=[
            OpenApiParameter(
                "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Topic slug."
            )
        ],
    )
)
class TopicEventsView(EventViewSet):
    def get_queryset(self) -> QuerySet[Event]:
        topic = get_or_404(Topic, "slug", self.kwargs["slug"])
        ids = topic_and_descendants([topic])
        through = Event.topics.through.objects.filter(topic_id__in=ids)
        return event_list_queryset().filter(pk__in=through.values("event_id"))


@extend_schema_view(
    list=extend_schema(
        summary="List a country's events",
        description="The events the country was involved in. Takes every event filter.",
        parameters=[
            OpenApiParameter(
                "iso2",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="ISO 3166-1 alpha-2 code, any case.",
            )
        ],
    )
)
class CountryEventsView(EventViewSet):
    def get_queryset(self) -> QuerySet[Event]:
        country = get_or_404(Country, "iso2", self.kwargs["iso2"].upper())
        involved = Event.countries.through.objects.filter(event=OuterRef("pk"), country=country)
        return event_list_queryset().filter(Exists(involved))


# --- participants -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List participants", description="People and organizations."),
    retrieve=extend_schema(
        summary="Get a participant",
        description="One participant with members (for an organization) and citations.",
    ),
)
class ParticipantViewSet(RecordViewSet):
    queryset = Participant.objects.all()  # the model, for the schema; get_queryset() tunes it
    filterset_class = ParticipantFilter
    list_serializer_class = serializers.ParticipantListSerializer
    detail_serializer_class = serializers.ParticipantDetailSerializer
    write_serializer_class = serializers.ParticipantWriteSerializer

    def get_queryset(self) -> QuerySet[Participant]:
        # The affiliation joins in the same query; no per-row lookup.
        queryset = Participant.objects.select_related("affiliation")
        if self.is_detail:
            return queryset.select_related("country").prefetch_related(
                Prefetch("members", queryset=Participant.objects.order_by("name")), citations()
            )
        return queryset


# --- countries --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List countries", description="Countries, by name."),
    retrieve=extend_schema(
        summary="Get a country",
        description="One country by ISO 3166-1 alpha-2 code (any case), with links to its "
        "events and tariff measures.",
        parameters=[
            OpenApiParameter(
                "iso2",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="ISO 3166-1 alpha-2 code, any case.",
            )
        ],
    ),
)
class CountryViewSet(RecordViewSet):
    queryset = Country.objects.all()  # the model, for the schema; get_queryset() tunes it
    filterset_class = CountryFilterSet
    lookup_field = "iso2"
    lookup_value_regex = "[A-Za-z]{2}"
    list_serializer_class = serializers.CountryListSerializer
    detail_serializer_class = serializers.CountryDetailSerializer
    write_serializer_class = serializers.CountryWriteSerializer

    def get_queryset(self) -> QuerySet[Country]:
        if self.is_detail:
            return Country.objects.prefetch_related(citations())
        return Country.objects.all()

    def get_object(self) -> Country:
        self.kwargs["iso2"] = self.kwargs["iso2"].upper()
        country: Country = super().get_object()
        return country


# --- topics -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List topics",
        description="The topic tree, flattened; `parent` gives each topic's place.",
    ),
    retrieve=extend_schema(
        summary="Get a topic", description="One topic with its parent, children and citations."
    ),
)
class TopicViewSet(RecordViewSet):
    queryset = Topic.objects.all()  # the model, for the schema; get_queryset() tunes it
    filterset_class = TopicFilter
    list_serializer_class = serializers.TopicListSerializer
    detail_serializer_class = serializers.TopicDetailSerializer
    write_serializer_class = serializers.TopicWriteSerializer

    def get_queryset(self) -> QuerySet[Topic]:
        queryset = Topic.objects.select_related("parent")
        if self.is_detail:
            return queryset.prefetch_related(
                Prefetch("children", queryset=Topic.objects.order_by("slug")), citations()
            )
        return queryset


# --- tariff measures --------------------------------------------------------------------------


def tariff_measure_list_queryset() -> QuerySet[TariffMeasure]:
    # Rows and their target countries are read by events/fast.py (one query for the page).
    return TariffMeasure.objects.all()


@extend_schema_view(
    list=extend_schema(
        summary="List tariff measures",
        description="Tariff measures, most recently announced first. A measure with no target "
        "countries applies to every country.",
    ),
    retrieve=extend_schema(
        summary="Get a tariff measure",
        description="One measure with its countries, the events that announced and discussed "
        "it, and citations.",
    ),
)
class TariffMeasureViewSet(ExportMixin, RecordViewSet):
    queryset = TariffMeasure.objects.all()  # the model, for the schema; get_queryset() tunes it
    filterset_class = TariffMeasureFilter
    list_serializer_class = serializers.TariffMeasureListSerializer
    detail_serializer_class = serializers.TariffMeasureDetailSerializer
    write_serializer_class = serializers.TariffMeasureWriteSerializer
    filtered_actions = ("list", "export")

    @export_schema("tariff-measures")
    @action(
        detail=False,
        url_path="export",
        pagination_class=None,
        renderer_classes=EXPORT_RENDERERS,
    )
    def export(self, request: Request) -> Any:
        return self.export_response("tariff-measures", self.filter_queryset(self.get_queryset()))

    def get_queryset(self) -> QuerySet[TariffMeasure]:
        if self.is_detail:
            return TariffMeasure.objects.select_related(
                "imposing_country", "announced_in"
            ).prefetch_related(
                Prefetch("target_countries", queryset=Country.objects.order_by("iso2")),
                Prefetch("discussed_in", queryset=Event.objects.order_by("start_date", "slug")),
                citations(),
            )
        return tariff_measure_list_queryset()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.fast_list(request, fast.MEASURE_PAGE)


@extend_schema_view(
    list=extend_schema(
        summary="List the tariff measures a country imposes",
        description="Takes every tariff-measure filter.",
        parameters=[
            OpenApiParameter(
                "iso2",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="ISO 3166-1 alpha-2 code, any case.",
            )
        ],
    )
)
class CountryImposedMeasuresView(TariffMeasureViewSet):
    def get_queryset(self) -> QuerySet[TariffMeasure]:
        country = get_or_404(Country, "iso2", self.kwargs["iso2"].upper())
        return tariff_measure_list_queryset().filter(imposing_country=country)


@extend_schema_view(
    list=extend_schema(
        summary="List the tariff measures that apply to a country",
        description="Measures targeting the country and measures on every country. Takes "
        "every tariff-measure filter.",
        parameters=[
            OpenApiParameter(
                "iso2",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="ISO 3166-1 alpha-2 code, any case.",
            )
        ],
    )
)
class CountryApplicableMeasuresView(TariffMeasureViewSet):
    def get_queryset(self) -> QuerySet[TariffMeasure]:
        country = get_or_404(Country, "iso2", self.kwargs["iso2"].upper())
        measures = tariff_measure_list_queryset()
        return TariffMeasureFilter().filter_target_country(measures, "target_country", [country])


# --- statements and sources -------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List statements", description="What participants said, verbatim."),
    retrieve=extend_schema(
        summary="Get a statement", description="One statement with its citations."
    ),
)
class StatementViewSet(RecordViewSet):
    queryset = Statement.objects.all()  # the model, for the schema; get_queryset() tunes it
    filterset_class = StatementFilter
    list_serializer_class = serializers.StatementListSerializer
    detail_serializer_class = serializers.StatementDetailSerializer
    write_serializer_class = serializers.StatementWriteSerializer

    def get_queryset(self) -> QuerySet[Statement]:
        queryset = Statement.objects.select_related("event", "speaker")
        if self.is_detail:
            return queryset.prefetch_related(citations())
        return queryset


@extend_schema_view(
    list=extend_schema(summary="List sources", description="The documents facts are cited from."),
    retrieve=extend_schema(
        summary="Get a source",
        description="One source with its full text (or, for a report whose text is not held, "
        "the research notes on it) and every fact it supports.",
    ),
)
class SourceViewSet(RecordViewSet):
    queryset = Source.objects.all()  # the model, for the schema; get_queryset() tunes it
    filterset_class = SourceFilter
    list_serializer_class = serializers.SourceListSerializer
    detail_serializer_class = serializers.SourceDetailSerializer
    write_serializer_class = serializers.SourceWriteSerializer

    def get_queryset(self) -> QuerySet[Source]:
        if self.is_detail:
            # Each citation's record, in the same query as the citation.
            targets = Citation.objects.select_related(
                *Citation.TARGETS,
                "participation__event",
                "participation__participant",
                "event_relation__from_event",
                "event_relation__to_event",
                "statement__speaker",
            ).order_by("key")
            return Source.objects.prefetch_related(Prefetch("citations", queryset=targets))
        return Source.objects.all()


# --- root and health --------------------------------------------------------------------------

COLLECTIONS = {
    "events": "event-list",
    "participants": "participant-list",
    "countries": "country-list",
    "topics": "topic-list",
    "tariff-measures": "tariffmeasure-list",
    "statements": "statement-list",
    "sources": "source-list",
}


# The rest of what a client finds from the root: the change feed, the vocabularies, the schema
# and the documentation pages.
OTHER_RESOURCES = {
    "changes": "changes",
    "vocabularies": "vocabularies",
    "schema": "schema",
    "docs": "swagger-ui",
    "redoc": "redoc",
}


class ApiRootView(APIView):
    permission_classes = [AllowAny]  # read-only: GET is all it answers

    @extend_schema(
        summary="List the resources",
        description="Links to every collection, the change feed, the controlled vocabularies, "
        "the OpenAPI schema and the documentation.",
        tags=["service"],
        responses={
            200: inline_serializer(
                "ApiRoot",
                {name: drf_serializers.URLField() for name in [*COLLECTIONS, *OTHER_RESOURCES]},
            )
        },
    )
    def get(self, request: Request) -> Response:
        StrictFilterBackend().check_parameters(request, self)
        links = {
            name: reverse(f"api:{view}", request=request) for name, view in COLLECTIONS.items()
        }
        for name, view in OTHER_RESOURCES.items():
            links[name] = reverse(f"api:{view}", request=request)
        return Response(links)


class VocabulariesView(APIView):
    permission_classes = [AllowAny]  # read-only: GET is all it answers

    @extend_schema(
        summary="List the controlled vocabularies",
        description="Every controlled value set: event types (with the CAMEO event code "
        "usually given to each), participation roles, measure types and statuses, date "
        "precisions, statement kinds, relation types, participant kinds and source body "
        "kinds. Each value with its label and a description of when it applies.",
        tags=["service"],
        responses={200: serializers.VocabulariesSerializer},
    )
    def get(self, request: Request) -> Response:
        StrictFilterBackend().check_parameters(request, self)
        return Response(vocabularies.vocabularies())


def probe(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A health check answers GET and HEAD (OPTIONS lists them); any other method is a 405
    problem, before any CSRF check (a probe holds no session to protect)."""

    @csrf_exempt
    @functools.wraps(view)
    def answer(request: HttpRequest) -> HttpResponse:
        allow = {"Allow": "GET, HEAD, OPTIONS"}
        if request.method == "OPTIONS":
            listed = HttpResponse(status=204, headers=allow)
            del listed["Content-Type"]  # no body
            return listed
        if request.method not in ("GET", "HEAD"):
            return problem_response(405, f'Method "{request.method}" not allowed.', allow)
        return view(request)

    return answer


@probe
def site_root(request: HttpRequest) -> HttpResponse:
    """`/`: to the API root (a read; any other method is a 405, as on the probes)."""
    return HttpResponseRedirect(reverse("api:root"))


@probe
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up. Touches nothing else, the database included."""
    return JsonResponse({"status": "ok"})


@probe
def readyz(request: HttpRequest) -> HttpResponse:
    """The service can answer: its database is reachable."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        drop_broken_connections()
        return problem_response(
            503, "The database is not reachable.", {"Retry-After": str(DATABASE_RETRY_AFTER)}
        )
    return JsonResponse({"status": "ok", "database": "ok"})


@csrf_exempt  # nothing is published here, so there is nothing to protect: a 404 for any method
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other URL under /api/: problem details, also with DEBUG on (where handler404 is not)."""
    return problem_response(404, f"Nothing is published at {request.path}.")


# --- change feed ------------------------------------------------------------------------------

CHANGES_PAGE_SIZE = 100
CHANGES_MAX_PAGE_SIZE = 1000


class ChangeFeedView(APIView):
    """`GET /api/v1/changes/`: every creation, update and deletion across the collections."""

    permission_classes = [AllowAny]  # read-only: GET is all it answers
    extra_query_parameters = {None: ("since", "after", "page_size")}

    @extend_schema(
        summary="List changes, oldest first, for syncing",
        description="Every creation, update and deletion of a collection record, in the order "
        "they were committed. A deletion is a tombstone (`kind` deleted, `url` null) carrying "
        "the collection and the record's key. To mirror the data: read from the start (or "
        "`since` a time), fetch the `url` of each created or updated record, drop each deleted "
        "one, and follow `next` (it carries `after`, the id of the last change listed) until "
        "`has_more` is false; later, call `next` again to get what changed since. A record "
        "may appear more than once; its latest state is what its `url` returns.",
        tags=["changes"],
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description="Only changes at or after this time (ISO 8601; UTC without offset).",
            ),
            OpenApiParameter(
                "after",
                OpenApiTypes.INT,
                description="Only changes after this one (the `id` of the last change you read).",
            ),
            OpenApiParameter(
                "page_size",
                OpenApiTypes.INT,
                description=f"Changes per page, 1 to {CHANGES_MAX_PAGE_SIZE} "
                f"(default {CHANGES_PAGE_SIZE}).",
            ),
        ],
        responses={200: serializers.ChangePageSerializer},
    )
    def get(self, request: Request) -> Response:
        StrictFilterBackend().check_parameters(request, self)
        params = request.query_params
        changes = Change.objects.select_related("user").order_by("id")
        errors: dict[str, list[str]] = {}
        if "since" in params:
            # The parsing of `updated_since`: impossible dates and offsets are a 400, and an
            # offset PostgreSQL would refuse reaches it as UTC.
            try:
                since = UTCDateTimeField().clean(params["since"])
            except DjangoValidationError:
                errors["since"] = [literals.DATETIME_FORMAT]
            else:
                changes = changes.filter(at__gte=since)
        after = _whole_number(params, "after", 0, (0, None), errors)
        size = _whole_number(
            params, "page_size", CHANGES_PAGE_SIZE, (1, CHANGES_MAX_PAGE_SIZE), errors
        )
        if errors:
            raise ValidationError(errors)
        rows = list(changes.filter(id__gt=after)[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
        last = rows[-1].id if rows else after
        query = params.copy()
        query["after"] = str(last)
        return Response(
            {
                "has_more": has_more,
                "next": request.build_absolute_uri(f"{request.path}?{query.urlencode()}"),
                "results": serializers.ChangeSerializer(
                    rows, many=True, context={"request": request}
                ).data,
            }
        )


def _whole_number(
    params: Any,
    name: str,
    default: int,
    bounds: tuple[int, int | None],
    errors: dict[str, list[str]],
) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    value = whole_number(raw, *bounds)
    if value is None:
        errors[name] = [number_error(raw, *bounds)]
        return default
    return value


# --- authentication ---------------------------------------------------------------------------


@extend_schema_view(
    post=extend_schema(
        summary="Get your API token",
        description="Exchange a username and password for the user's token (created on first "
        "use). Send it on writes as `Authorization: Token <key>`. Strictly rate-limited.",
        tags=["auth"],
        auth=[],
    )
)
class TokenView(ObtainAuthToken):
    throttle_classes = [AuthRateThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


def throttled_login(view: Any) -> Any:
    """A login view that answers 429 (with Retry-After) once a client has tried too often."""

    def login(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            throttle = AuthRateThrottle()
            if not throttle.allow_request(request, None):
                wait = max(1, math.ceil(throttle.wait() or 1))
                response = HttpResponse(
                    f"Too many login attempts: try again in {wait} seconds.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return login
