"""GET /api/v1/tariff-measures/, its filters, and the measures of a country."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from . import factories as f

pytestmark = pytest.mark.usefixtures("article")

BASELINE = "us-baseline-tariff-10-percent-2025"
PAKISTAN = "us-reciprocal-tariff-pakistan-29-percent-2025"


def slugs(client: Client, path: str = "/api/v1/tariff-measures/", **params: Any) -> list[str]:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_it_lists_measures_with_codes_and_dates(client: Client) -> None:
    rows = client.get("/api/v1/tariff-measures/").json()["results"]
    assert rows[0] == {
        "url": f"http://testserver/api/v1/tariff-measures/{PAKISTAN}/",
        "slug": PAKISTAN,
        "title": "U.S. reciprocal tariff of 29% on imports from Pakistan",
        "imposing_country": "US",
        "target_countries": ["PK"],
        "applies_to_all_countries": False,
        "measure_type": "reciprocal",
        "rate": 29.0,
        "status": "suspended",
        "status_as_of": "2025-04-09",
        "announced_on": "2025-04-02",
        "effective_on": "2025-04-09",
        "suspended_on": "2025-04-10",
        "suspended_until": "2025-07-09",
        "ended_on": None,
        "updated_at": "2026-11-27T00:00:00Z",
    }
    assert rows[1]["slug"] == BASELINE
    assert (rows[1]["target_countries"], rows[1]["applies_to_all_countries"]) == ([], True)


def test_it_embeds_countries_events_and_citations_in_the_detail(client: Client) -> None:
    body = client.get(f"/api/v1/tariff-measures/{PAKISTAN}/").json()
    assert body["imposing_country"]["iso2"] == "US"
    assert [c["iso2"] for c in body["target_countries"]] == ["PK"]
    assert body["announced_in"]["slug"] == "us-reciprocal-tariffs-announced-2025-04-02"
    assert [e["slug"] for e in body["discussed_in"]] == [
        "rubio-dar-phone-call-2025-04-07",
        "us-state-department-statement-on-rubio-dar-call",
    ]
    assert body["legal_basis"].startswith("Executive Order 14257")
    fields = {c["field"] for c in body["citations"]}
    assert {"rate", "effective_on", "suspended_on", "suspended_until", "status"} <= fields


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"imposing_country": "us"}, [PAKISTAN, BASELINE]),
        ({"imposing_country": "PK"}, []),
        # The baseline applies to every country, so to Ukraine too.
        ({"target_country": "UA"}, [BASELINE]),
        ({"target_country": "PK"}, [PAKISTAN, BASELINE]),
        # Several countries: a measure targeting any of them, and those on every country.
        ({"target_country": "UA,pk"}, [PAKISTAN, BASELINE]),
        ({"measure_type": "reciprocal"}, [PAKISTAN]),
        ({"measure_type": "baseline,retaliatory"}, [BASELINE]),
        ({"status": "in_force"}, [BASELINE]),
        ({"status": "suspended,withdrawn"}, [PAKISTAN]),
        ({"rate_min": "10", "rate_max": "10"}, [BASELINE]),
        ({"rate_min": "10.001"}, [PAKISTAN]),
        ({"rate_max": "9.999"}, []),
        ({"announced_from": "2025-04-02", "announced_to": "2025-04-02"}, [PAKISTAN, BASELINE]),
        ({"announced_from": "2025-04-03"}, []),
        # In force on a day: the baseline from 5 April; Pakistan's 29% on 9 April only, then
        # suspended until 9 July 2025.
        ({"effective_on": "2025-04-04"}, []),
        ({"effective_on": "2025-04-05"}, [BASELINE]),
        ({"effective_on": "2025-04-09"}, [PAKISTAN, BASELINE]),
        ({"effective_on": "2025-04-10"}, [BASELINE]),
        ({"effective_on": "2025-07-09"}, [BASELINE]),
        ({"effective_on": "2025-07-10"}, [PAKISTAN, BASELINE]),
        ({"q": "baseline"}, [BASELINE]),
        ({"q": "Pakistan"}, [PAKISTAN]),
        ({"target_country": "PK", "effective_on": "2025-04-10"}, [BASELINE]),
    ],
)
def test_it_filters_measures(client: Client, params: dict[str, str], expected: list[str]) -> None:
    assert slugs(client, **params) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"), [("rate", [BASELINE, PAKISTAN]), ("-rate", [PAKISTAN, BASELINE])]
)
def test_it_orders_measures(client: Client, ordering: str, expected: list[str]) -> None:
    assert slugs(client, ordering=ordering) == expected


def test_it_ends_a_measure_on_its_end_date(client: Client) -> None:
    f.TariffMeasureFactory.create(
        slug="ended",
        effective_on=datetime.date(2030, 1, 1),
        ended_on=datetime.date(2030, 1, 31),
        rate=Decimal("5"),
    )
    assert slugs(client, effective_on="2030-01-31", rate_max="5") == ["ended"]
    assert slugs(client, effective_on="2030-02-01", rate_max="5") == []


def test_it_lists_the_measures_a_country_imposes_and_those_applying_to_it(client: Client) -> None:
    assert slugs(client, "/api/v1/countries/us/imposed-tariff-measures/") == [PAKISTAN, BASELINE]
    assert slugs(client, "/api/v1/countries/PK/imposed-tariff-measures/") == []
    assert slugs(client, "/api/v1/countries/PK/applicable-tariff-measures/") == [PAKISTAN, BASELINE]
    assert slugs(client, "/api/v1/countries/UA/applicable-tariff-measures/") == [BASELINE]
    assert slugs(
        client, "/api/v1/countries/PK/applicable-tariff-measures/", effective_on="2025-04-10"
    ) == [BASELINE]
    response = client.get("/api/v1/countries/XX/applicable-tariff-measures/")
    assert (response.status_code, response.json()["detail"]) == (
        404,
        "No country has the iso2 'XX'.",
    )
