"""The fast path (events/fast.py) answers exactly what the DRF serializers would.

Event lists and details and tariff-measure lists are built from plain rows, without
serializers, for speed; the serializers stay the definition of the representation (the OpenAPI
schema is generated from them). Here both build every record of the article and of a synthetic
data set (events.synthetic: every relation, nested citations, measures on every country; plus
undated statements and measures), and the two JSON documents must be equal, key order included.
"""

from pathlib import Path

import pytest
from django.db import connection
from django.test import RequestFactory
from rest_framework.request import Request

from events import cameo, fast, serializers
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
    rows = list(events.values(*fast.EVENT_COLUMNS))
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
    rows = list(measures.values(*fast.MEASURE_COLUMNS))
    assert rows
    with connection.cursor() as cursor:
        built = fast.measure_rows(cursor, rows, fast.Links(BASE))
    expected = serializers.TariffMeasureListSerializer(measures, many=True, context=context).data
    assert json(built) == json(expected)


def test_an_unknown_slug_has_no_detail(db: None) -> None:
    with connection.cursor() as cursor:
        assert fast.event_detail(cursor, "no-such-event", fast.Links(BASE)) is None
