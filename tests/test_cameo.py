"""The CAMEO event codebook: reading GDELT's file with its faults (events/cameo.py), load_cameo,
and the label every event shows."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from events import cameo
from events.models import CameoCode, Event

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "fixtures" / "cameo" / "CAMEO.eventcodes.sample.txt"
# The full codebook as GDELT publishes it, which `make run` loads; CI's ../shared holds the
# reference copy it was taken from.
FULL = ROOT / "fixtures" / "cameo" / "CAMEO.eventcodes.txt"
REFERENCE = ROOT.parent / "shared" / "reference" / "CAMEO.eventcodes.txt"


def test_it_reads_the_sample_repairing_what_it_can_and_reporting_the_rest() -> None:
    data = SAMPLE.read_bytes()
    assert b"\r\n" in data  # the sample keeps the published file's faults, CRLF included

    book = cameo.parse(data)

    assert "CAMEOEVENTCODE" not in book.codes  # the header
    assert book.quad_classes == 2  # 1 Verbal Cooperation, 4 Material Conflict
    assert book.codes["041"] == "Discuss by telephone"
    assert book.codes["080"] == "Yield, not specified below"  # trailing blank dropped
    assert book.codes["1384"] == "Threaten conventional attack"
    # "...engagement106:[-5.0] Demand withdrawal": two codes run together, split.
    assert book.codes["1056"] == "Demand de-escalation of military engagement"
    assert book.codes["106"] == "Demand withdrawal"
    assert book.repairs == [
        "line 26: code 106 ('Demand withdrawal') was run into the description of 1056; split "
        "into two codes."
    ]
    assert "044" not in book.codes
    assert book.errors == [
        "line 15: the description of 044 ('Meet at a \u00d2hird\u00d3location') was decoded "
        "with the wrong character set; correct the line (the lost characters cannot be "
        "recovered)."
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            b"21\tNot a root\n",
            "line 1: '21' is not a CAMEO event code (01 to 20, then up to two digits).",
        ),
        (
            b"01234\tToo long\n",
            "line 1: '01234' is not a CAMEO event code (01 to 20, then up to two digits).",
        ),
        (b"041\n", "line 1: expected CODE<TAB>DESCRIPTION, got '041'."),
        (
            b"041\tDiscuss\n041\tTalk\n",
            "line 2: 041 is listed again with another description ('Talk', first 'Discuss').",
        ),
        (b"041\tDiscuss \xe9\n", "line 1: not UTF-8 text (byte 12)."),
    ],
)
def test_it_reports_lines_it_cannot_repair(text: bytes, error: str) -> None:
    assert cameo.parse(text).errors == [error]


def test_a_repeated_line_is_ignored_and_reported() -> None:
    book = cameo.parse(b"041\tDiscuss by telephone\n041\tDiscuss by telephone\n")

    assert book.codes == {"041": "Discuss by telephone"}
    assert book.repairs == ["line 2: 041 is listed twice; the repeat is ignored."]


def test_load_cameo_writes_nothing_when_a_line_is_wrong(db: None) -> None:
    with pytest.raises(CommandError) as raised:
        call_command("load_cameo", str(SAMPLE), stdout=io.StringIO(), stderr=io.StringIO())

    assert "1 error(s); nothing was loaded." in str(raised.value)
    assert "line 15: the description of 044" in str(raised.value)
    assert not CameoCode.objects.exists()


def test_load_cameo_skips_invalid_lines_when_told_and_reloads_as_unchanged(db: None) -> None:
    out = io.StringIO()
    call_command("load_cameo", str(SAMPLE), skip_invalid=True, stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("CAMEO codes: 34 created, 0 updated, 0 unchanged")

    out = io.StringIO()
    call_command("load_cameo", str(SAMPLE), skip_invalid=True, stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("CAMEO codes: 0 created, 0 updated, 34 unchanged")


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference copy is in ../shared (CI)")
def test_the_shipped_codebook_is_the_published_file_byte_for_byte() -> None:
    assert FULL.read_bytes() == REFERENCE.read_bytes()


def test_load_cameo_loads_the_full_published_codebook(db: None) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_cameo", str(FULL), skip_invalid=True, stdout=out, stderr=err)

    assert out.getvalue().startswith("CAMEO codes: 310 created")
    assert "(4 quad classes skipped, 1 repaired, 1 invalid line(s) skipped)" in out.getvalue()
    assert CameoCode.objects.get(code="1056").label == "Demand de-escalation of military engagement"
    assert CameoCode.objects.get(code="106").label == "Demand withdrawal"
    assert not CameoCode.objects.filter(code="044").exists()
    assert "skipped: line 76: the description of 044" in err.getvalue()


def test_with_the_shipped_codebook_every_article_event_shows_its_label(
    client: Client, db: None
) -> None:
    # What `make run` loads (Makefile, target data).
    call_command(
        "load_cameo", str(FULL), skip_invalid=True, stdout=io.StringIO(), stderr=io.StringIO()
    )

    rows = client.get("/api/v1/events/?page_size=100").json()["results"]

    assert rows
    assert [row["slug"] for row in rows if not row["cameo_label"]] == []


@pytest.mark.parametrize("code", ["0", "00", "21", "2101", "01234", "4a"])
def test_an_event_code_without_the_codebooks_structure_is_refused(db: None, code: str) -> None:
    event = Event.objects.get(slug="rubio-dar-phone-call-2025-04-07")
    event.cameo_code = code

    with pytest.raises(ValidationError) as raised:
        event.full_clean()

    assert "cameo_code" in raised.value.message_dict


def test_events_show_the_label_of_their_cameo_code(client: Client, db: None) -> None:
    call_command(
        "load_cameo", str(SAMPLE), skip_invalid=True, stdout=io.StringIO(), stderr=io.StringIO()
    )
    CameoCode.objects.filter(code="1831").delete()

    rows = {
        row["slug"]: row for row in client.get("/api/v1/events/?page_size=100").json()["results"]
    }
    detail = client.get("/api/v1/events/rubio-dar-phone-call-2025-04-07/").json()

    assert rows["rubio-dar-phone-call-2025-04-07"]["cameo_label"] == "Discuss by telephone"
    assert rows["kabul-airport-attack-2021-08-26"]["cameo_label"] is None  # not in the codebook
    assert (detail["cameo_code"], detail["cameo_label"]) == ("041", "Discuss by telephone")
