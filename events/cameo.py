"""Reading the CAMEO event codebook as GDELT publishes it (`CAMEO.eventcodes.txt`).

The file is tab-separated, `CAMEOEVENTCODE<TAB>EVENTDESCRIPTION`, with a header line, CRLF line
endings, and faults real copies carry. Each is repaired when the repair is certain, and reported
either way; a line that cannot be repaired is an error, so that no wrong label is ever stored
silently:
- the header line, blank lines, CRLF endings and trailing whitespace: dropped, silently;
- the quad classes `1`-`4` ("Verbal Cooperation", ...): not event codes, skipped (counted);
- a second code run into a description (`...engagement106:[-5.0] Demand withdrawal`): split
  into two codes, the Goldstein score dropped (a repair, reported);
- text that was decoded with the wrong character set (`Meet at a ÒhirdÓlocation`): an error;
  the original characters are lost, so nothing can restore them;
- a code that does not have the codebook's structure (root 01-20, two to four digits): an error;
- a code listed twice: the same label again is reported and ignored, a different one an error.
"""

import re
from dataclasses import dataclass, field

from .models import CAMEO_PATTERN

HEADER = ("CAMEOEVENTCODE", "EVENTDESCRIPTION")
QUAD_CLASSES = frozenset({"1", "2", "3", "4"})
# `<label><code>:[<Goldstein score>] <label>`: a line of the GDELT Goldstein file run in.
RUN_IN = re.compile(
    r"^(?P<label>.*[^\d\s])\s*(?P<code>\d{2,4}):\[-?\d+(?:\.\d+)?\]\s*(?P<extra>.+)$"
)
# Latin-1 Supplement letters and symbols, and U+FFFD: in an English codebook they are what
# UTF-8 or Mac Roman text decoded with the wrong character set looks like ("Ò", "Ã©").
MISDECODED = re.compile("[\u0080-\u00ff\ufffd]")
MAX_LABEL = 200


@dataclass
class Codebook:
    codes: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # "line N: message"
    repairs: list[str] = field(default_factory=list)
    quad_classes: int = 0


def parse(data: bytes) -> Codebook:
    """The codes and labels of a codebook file, with what was repaired and what is wrong."""
    book = Codebook()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        at = data[: error.start].count(b"\n") + 1
        book.errors.append(f"line {at}: not UTF-8 text (byte {error.start}).")
        return book
    first_line = True
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if first_line:
            first_line = False
            if tuple(part.strip().upper() for part in line.split("\t")) == HEADER:
                continue
        code, tab, label = line.partition("\t")
        code, label = code.strip(), label.strip()
        if not tab or not label:
            book.errors.append(f"line {number}: expected CODE<TAB>DESCRIPTION, got {line!r}.")
            continue
        if code in QUAD_CLASSES:
            book.quad_classes += 1
            continue
        entries = [(code, label)]
        run_in = RUN_IN.match(label)
        if run_in:
            entries = [(code, run_in["label"]), (run_in["code"], run_in["extra"].strip())]
            book.repairs.append(
                f"line {number}: code {run_in['code']} ({run_in['extra'].strip()!r}) was run "
                f"into the description of {code}; split into two codes."
            )
        for entry_code, entry_label in entries:
            _add(book, number, entry_code, entry_label)
    return book


def _add(book: Codebook, number: int, code: str, label: str) -> None:
    if not re.match(CAMEO_PATTERN, code):
        book.errors.append(
            f"line {number}: {code!r} is not a CAMEO event code (01 to 20, then up to two digits)."
        )
    elif MISDECODED.search(label):
        book.errors.append(
            f"line {number}: the description of {code} ({label!r}) was decoded with the wrong "
            "character set; correct the line (the lost characters cannot be recovered)."
        )
    elif len(label) > MAX_LABEL:
        book.errors.append(f"line {number}: the description of {code} is over {MAX_LABEL} chars.")
    elif code in book.codes and book.codes[code] != label:
        book.errors.append(
            f"line {number}: {code} is listed again with another description ({label!r}, "
            f"first {book.codes[code]!r})."
        )
    elif code in book.codes:
        book.repairs.append(f"line {number}: {code} is listed twice; the repeat is ignored.")
    else:
        book.codes[code] = label
