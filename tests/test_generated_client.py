"""A Python client generated from the committed openapi.yaml (openapi-python-client) works
against a live server: filters, paging, a tariff measure, and a write with an editor's token.

What the generator makes of the schema is what client developers get, so a schema that stops
generation, or types a field wrongly, fails here.
"""

import datetime
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from .conftest import make_user

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "policyapi_client"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated from openapi.yaml into a temporary directory."""
    work = tmp_path_factory.mktemp("client")
    config = work / "config.yml"
    # No formatting hooks: the generated code is imported, not read, and needs no ruff run.
    config.write_text("post_hooks: []\n")
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--meta", "none"]
    result = subprocess.run(
        [
            *command,
            *("--path", str(ROOT / "openapi.yaml"), "--config", str(config)),
            *("--output-path", str(work / PACKAGE), "--fail-on-warning"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(work))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def api(module: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_it_lists_events_by_country_and_topic_page_by_page(
    generated: ModuleType, live_server: Any
) -> None:
    client = generated.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    events_list = api("events.events_list")
    slugs: list[str] = []
    page_number = 1
    while True:
        page = events_list.sync(
            client=client, country=["PK"], topic=["trade"], page=page_number, page_size=1
        )
        assert isinstance(page, model("PaginatedEventListList"))
        assert len(page.results) == 1
        event = page.results[0]
        assert "PK" in event.countries
        assert isinstance(event.start_date, datetime.date)
        assert isinstance(event.event_type, model("EventTypeEnum"))
        slugs.append(event.slug)
        if page.next_ is None:
            break
        assert f"page={page_number + 1}" in page.next_
        page_number += 1
    # The same events as the JSON API gives in one page, in the same order.
    expected = Client().get("/api/v1/events/?country=PK&topic=trade&page_size=100").json()
    assert slugs == [row["slug"] for row in expected["results"]]
    assert len(slugs) == page.count >= 2


def test_it_reads_a_tariff_measure(generated: ModuleType, live_server: Any) -> None:
    client = generated.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    measure = api("tariff_measures.tariff_measures_retrieve").sync(
        "us-reciprocal-tariff-pakistan-29-percent-2025", client=client
    )
    assert isinstance(measure, model("TariffMeasureDetail"))
    assert (measure.imposing_country.iso2, [c.iso2 for c in measure.target_countries]) == (
        "US",
        ["PK"],
    )
    assert measure.rate == 29.0
    assert measure.measure_type == model("MeasureTypeEnum").RECIPROCAL
    assert measure.effective_on == datetime.date(2025, 4, 9)
    assert measure.citations


def test_it_creates_an_event_with_an_editors_token(generated: ModuleType, live_server: Any) -> None:
    token = Token.objects.create(user=make_user("ed", editor=True))
    client = generated.AuthenticatedClient(
        base_url=live_server.url, token=token.key, prefix="Token", raise_on_unexpected_status=True
    )
    body = model("EventWriteRequest")(
        slug="dar-rubio-follow-up-call",
        title="Dar and Rubio follow up by phone",
        event_type=model("EventTypeEnum").PHONE_CALL,
        cameo_code="040",
        start_date=datetime.date(2025, 4, 20),
        countries=["US", "PK"],
        topics=["tariffs"],
    )
    response = api("events.events_create").sync_detailed(client=client, body=body)
    assert response.status_code == 201
    created = response.parsed
    assert isinstance(created, model("EventDetail"))
    assert (created.slug, created.start_date) == (
        "dar-rubio-follow-up-call",
        datetime.date(2025, 4, 20),
    )
    assert sorted(c.iso2 for c in created.countries) == ["PK", "US"]
    # The record is there for everyone, through the same client.
    anonymous = generated.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    read = api("events.events_retrieve").sync("dar-rubio-follow-up-call", client=anonymous)
    assert read.title == "Dar and Rubio follow up by phone"


def test_it_gets_a_problem_for_a_write_without_a_token(
    generated: ModuleType, live_server: Any
) -> None:
    client = generated.Client(base_url=live_server.url)
    body = model("TopicWriteRequest")(slug="sanctions", name="Sanctions")
    response = api("topics.topics_create").sync_detailed(client=client, body=body)
    assert response.status_code == 401
    assert isinstance(response.parsed, model("Problem"))
    assert response.parsed.status == 401
