"""manage.py check_index_usage (what `make bench` runs on its large database) on the test
database: it builds every list query as the views do, and each can be served by an index.

On a small table PostgreSQL rightly prefers a sequential scan, so the test turns those off for
its transaction: what remains proves an index exists that serves each filter and cursor page.
It turns sorts off too: the lists that have an index in their order (one country, one topic,
one imposing country) must then be planned with no Sort at all."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from events.synthetic import generate

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL plans")
def test_every_list_query_can_be_served_by_an_index() -> None:
    generate(events=200, seed=1)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    out = io.StringIO()
    call_command("check_index_usage", stdout=out, verbosity=2)  # with every plan
    lines = out.getvalue().splitlines()
    assert lines[-1] == "Every list query is served by an index."
    checked = [line for line in lines if line.startswith(("ok", "FAIL"))]
    assert len(checked) == 29
    assert all(line.startswith("ok  ") for line in checked)
    plans: dict[str, list[str]] = {}  # each case's line, and its plan's lines
    case = ""
    for line in lines[:-1]:
        if line.startswith("ok  "):
            case = line
            plans[case] = []
        elif case:
            plans[case].append(line)
    in_order = {case[6:48].strip(): plan for case, plan in plans.items() if "in order" in case}
    assert sorted(in_order) == [
        "events: country",
        "events: country+date_to",
        "events: country+topic+dates",
        "events: cursor page, country",
        "events: cursor page, topic (a leaf)",
        "events: topic (a leaf)",
        "tariff-measures: imposing_country",
    ]
    for label, plan in in_order.items():
        text = "\n".join(plan)
        assert "Sort" not in text, (label, text)
        if label.startswith("events"):  # from the link table's index, newest first
            assert "_sorted on events_event_" in text, (label, text)
        if "date_to" in label or "dates" in label:  # from that date on, not from the newest
            assert "(start_date <= '2012-12-31'::date))" in text, (label, text)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite answer")
def test_it_asks_for_postgresql() -> None:
    with pytest.raises(CommandError, match="DATABASE_URL"):
        call_command("check_index_usage")
