"""The fast path (events/fast.py) answers exactly what the DRF serializers would.

Event lists and details and tariff-measure lists are built from plain rows, without
serializers, for speed; the serializers stay the definition of the representation (the OpenAPI
schema is generated from them). Here both build every record of the article and of a synthetic
data set (events.synthetic: every relation, nested citations, measures on every country; plus
undated statements and measures), and the two JSON documents must be equal, key order included.
The builders are compiled from the serializers (events/shapes.py): a field added to a serializer
is built on the fast path too, or compiling its shape fails naming the field.
"""

from pathlib import Path

import pytest
from django.db import connection
from django.test import RequestFactory
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request

from events import cameo, fast, serializers, shapes
from events.models import CameoCode, Event, TariffMeasure
from events.renderers import JSONRenderer
from events.synthetic import generate
from events.views import event_list_queryset

from . import factories as f

BASE = "http://testserver/api/v1/"
CAMEO_SAMPLE = Path(__file__).resolve().parent.parent / "fixtures/cameo/CAMEO.eventcodes.sample.txt"


@pytest.fixture
def context() -> dict[str, Request]:
    return {"request": Request(RequestFactory().get("/api/v1/events/"))}


@pytest.fixture(params=["article", "synthetic"])
def data(request: pytest.FixtureRequest, db: None) -> None:
    # The codebook sample, less one code the article uses: most events get a CAMEO label, the
    # Kabul airport attack (1831) none.
    book = cameo.parse(CAMEO_SAMPLE.read_bytes())
    CameoCode.objects.bulk_create(
        CameoCode(code=code, label=label) for code, label in book.codes.items() if code != "1831"
    )
    if request.param == "article":
        request.getfixturevalue("article")
    else:
        generate(events=60, seed=7)
        # What the generator never makes: unknown dates, which sort last in every embedded list.
        event = Event.objects.order_by("id").first()
        assert event is not None
        for n in range(2):
            f.StatementFactory.create(slug=f"undated-{n}", event=event, stated_on=None)
            measure = f.TariffMeasureFactory.create(
                slug=f"unannounced-{n}", announced_on=None, effective_on=None, announced_in=event
            )
            measure.discussed_in.add(event)


def json(data: object) -> str:
    return JSONRenderer().render(data).decode()


@pytest.mark.usefixtures("data")
def test_event_rows_match_the_list_serializer(context: dict[str, Request]) -> None:
    events = event_list_queryset()  # the list's own queryset: it annotates the CAMEO label
    rows = list(fast.EVENT_PAGE.values(events))  # as the list view selects them
    assert rows
    with connection.cursor() as cursor:
        built = fast.event_rows(cursor, rows, fast.Links(BASE))
    expected = serializers.EventListSerializer(events, many=True, context=context).data
    assert json(built) == json(expected)


@pytest.mark.usefixtures("data")
def test_event_details_match_the_detail_serializer(context: dict[str, Request]) -> None:
    for event in Event.objects.all():
        with connection.cursor() as cursor:
            built = fast.event_detail(cursor, event.slug, fast.Links(BASE))
        expected = serializers.EventDetailSerializer(event, context=context).data
        assert json(built) == json(expected), event.slug


@pytest.mark.usefixtures("data")
def test_measure_rows_match_the_list_serializer(context: dict[str, Request]) -> None:
    measures = TariffMeasure.objects.all()
    rows = list(fast.MEASURE_PAGE.values(measures))
    assert rows
    with connection.cursor() as cursor:
        built = fast.measure_rows(cursor, rows, fast.Links(BASE))
    expected = serializers.TariffMeasureListSerializer(measures, many=True, context=context).data
    assert json(built) == json(expected)


def test_an_unknown_slug_has_no_detail(db: None) -> None:
    with connection.cursor() as cursor:
        assert fast.event_detail(cursor, "no-such-event", fast.Links(BASE)) is None


class ExtendedEventListSerializer(serializers.EventListSerializer):
    """The list row with fields added: a text, a timestamp, a record through a foreign key."""

    location = serializers.CountryRefSerializer(source="location_country", allow_null=True)

    class Meta(serializers.EventListSerializer.Meta):
        fields = [
            *serializers.EventListSerializer.Meta.fields,
            "date_note",
            "created_at",
            "location",
        ]


@pytest.mark.usefixtures("article")
def test_a_field_added_to_a_serializer_is_built_on_the_fast_path(
    context: dict[str, Request],
) -> None:
    spec = shapes.SPECS[serializers.EventListSerializer]
    shape = shapes.compile_shape(ExtendedEventListSerializer, spec)
    assert {"date_note", "created_at", "location_country__iso2", "location_country__name"} <= set(
        shape.columns
    )
    events = event_list_queryset()
    with connection.cursor() as cursor:
        built = shape.page(cursor, list(events.values(*shape.columns)), BASE)
    expected = ExtendedEventListSerializer(events, many=True, context=context).data
    assert json(built) == json(expected)
    assert any(row["location"] is None for row in built)  # the article has unlocated events
    assert any(row["location"] is not None for row in built)


def test_a_field_the_fast_path_cannot_build_fails_naming_it() -> None:
    class WithMethod(serializers.EventListSerializer):
        shout = drf_serializers.SerializerMethodField()

        class Meta(serializers.EventListSerializer.Meta):
            fields = [*serializers.EventListSerializer.Meta.fields, "shout"]

    with pytest.raises(shapes.ShapeError, match=r"WithMethod\.shout"):
        shapes.compile_shape(WithMethod, shapes.SPECS[serializers.EventListSerializer])

    class WithList(serializers.CountryListSerializer):
        events = serializers.EventRefSerializer(many=True)

        class Meta(serializers.CountryListSerializer.Meta):
            fields = [*serializers.CountryListSerializer.Meta.fields, "events"]

    with pytest.raises(shapes.ShapeError, match=r"WithList\.events.*order"):
        shapes.compile_shape(WithList, shapes.Spec())


def test_the_list_rows_read_the_columns_their_serializers_name() -> None:
    assert fast.EVENT_COLUMNS[:3] == ("slug", "title", "summary")
    assert "location_country_id" in fast.EVENT_COLUMNS  # the field's source
    assert "cameo_label" in fast.EVENT_COLUMNS  # declared in events/fast.py, annotated
    assert "imposing_country_id" in fast.MEASURE_COLUMNS
