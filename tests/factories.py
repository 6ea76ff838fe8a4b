"""factory_boy factories: valid records by default, so a test states only what it varies."""

import datetime
import string
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from events import models


def _letters(n: int, width: int) -> str:
    """The n-th combination of upper-case letters of the given width (AA, AB, ...)."""
    out = ""
    for _ in range(width):
        n, r = divmod(n, 26)
        out = string.ascii_uppercase[r] + out
    return out


ARTICLE_COUNTRIES = {"US", "PK", "UA", "CD", "AF"}
# Two-letter codes from ZZ down, skipping the article's countries.
FREE_CODES = [
    code
    for code in (_letters(n, 2) for n in reversed(range(26 * 26)))
    if code not in ARTICLE_COUNTRIES
]


class CountryFactory(DjangoModelFactory[models.Country]):
    class Meta:
        model = models.Country
        django_get_or_create = ("iso2",)

    iso2 = factory.Sequence(lambda n: FREE_CODES[n % len(FREE_CODES)])
    # No real alpha-3 code ends in Q after its alpha-2 code, so these never clash.
    iso3 = factory.LazyAttribute(lambda country: f"{country.iso2}Q")
    name = factory.LazyAttribute(lambda country: f"Country {country.iso2}")


class SourceFactory(DjangoModelFactory[models.Source]):
    class Meta:
        model = models.Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Report {n}")
    publisher = "Example Wire"
    published_on = datetime.date(2025, 4, 7)
    published_precision = models.DatePrecision.DAY
    body = "Officials met on Monday 7 April 2025 to discuss tariffs and minerals."


class TopicFactory(DjangoModelFactory[models.Topic]):
    class Meta:
        model = models.Topic

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Topic {n}")


class ParticipantFactory(DjangoModelFactory[models.Participant]):
    class Meta:
        model = models.Participant

    kind = models.ParticipantKind.PERSON
    slug = factory.Sequence(lambda n: f"participant-{n}")
    name = factory.Sequence(lambda n: f"Participant {n}")
    country = factory.SubFactory(CountryFactory)


class OrganizationFactory(ParticipantFactory):
    kind = models.ParticipantKind.ORGANIZATION


class EventFactory(DjangoModelFactory[models.Event]):
    class Meta:
        model = models.Event

    slug = factory.Sequence(lambda n: f"event-{n}")
    title = factory.Sequence(lambda n: f"Event {n}")
    event_type = models.EventType.MEETING
    cameo_code = "040"
    start_date = datetime.date(2025, 4, 7)
    date_precision = models.DatePrecision.DAY


class EventRelationFactory(DjangoModelFactory[models.EventRelation]):
    class Meta:
        model = models.EventRelation

    from_event = factory.SubFactory(EventFactory)
    to_event = factory.SubFactory(EventFactory)
    relation_type = models.RelationType.CONTEXT_FOR


class ParticipationFactory(DjangoModelFactory[models.Participation]):
    class Meta:
        model = models.Participation

    event = factory.SubFactory(EventFactory)
    participant = factory.SubFactory(ParticipantFactory)
    role = models.ParticipationRole.COUNTERPART


class StatementFactory(DjangoModelFactory[models.Statement]):
    class Meta:
        model = models.Statement

    slug = factory.Sequence(lambda n: f"statement-{n}")
    event = factory.SubFactory(EventFactory)
    speaker = factory.SubFactory(ParticipantFactory)
    text = "We discussed tariffs."
    kind = models.StatementKind.QUOTE
    stated_on = datetime.date(2025, 4, 7)


class TariffMeasureFactory(DjangoModelFactory[models.TariffMeasure]):
    class Meta:
        model = models.TariffMeasure

    slug = factory.Sequence(lambda n: f"measure-{n}")
    title = factory.Sequence(lambda n: f"Measure {n}")
    imposing_country = factory.SubFactory(CountryFactory)
    measure_type = models.MeasureType.RECIPROCAL
    rate = Decimal("25")
    announced_on = datetime.date(2025, 4, 2)
    effective_on = datetime.date(2025, 4, 9)
    status = models.MeasureStatus.IN_FORCE


class CitationFactory(DjangoModelFactory[models.Citation]):
    class Meta:
        model = models.Citation

    source = factory.SubFactory(SourceFactory)
    excerpt = "discuss tariffs"
    event = factory.SubFactory(EventFactory)
