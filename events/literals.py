"""What a date, a time or a number looks like when a client sends one: ASCII digits, ISO 8601.

Python's parsers read more than that, and each differently: `int()`, `Decimal()` and
`strptime()` take any Unicode digit (a fullwidth "2025-04-10" is a date to them, an
Arabic-Indic "12" is 12), `Decimal()` takes "1_0" and surrounding spaces, Django's date fields
take "04/10/2025" and "Apr 10 2025" (which read the same digits as a month or a day, by
locale), and its ISO parser falls back to a regular expression that takes "2025-4-1". A
client's value is what a JSON or URL library writes: the forms below, nothing else, on query
parameters and write bodies alike. What they refuse is a 400 that names the parameter or the
field, never a guess.
"""

import re

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# RFC 3339's date-time (ISO 8601's extended form): a date, then T (or a space) and hh:mm with
# optional seconds and fraction, then Z or an offset ±hh:mm, or none (UTC). A query parameter
# may also give the date alone (midnight UTC).
_TIME = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}" + _TIME)
ISO_DATE_OR_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(" + _TIME + ")?")
# A number as JSON writes one (JavaScript's String(1e-7) is "1e-7"), leading zeros allowed.
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")

DATE_FORMAT = "Enter a date as YYYY-MM-DD (ISO 8601, digits 0-9), e.g. 2025-04-07."
NUMBER_FORMAT = "Enter a number in digits 0-9, e.g. 29 or 10.5."
DATETIME_FORMAT = "Enter an ISO 8601 date and time, e.g. 2025-04-07T00:00:00Z."


def is_iso_date(value: str) -> bool:
    return ISO_DATE.fullmatch(value) is not None


def is_number(value: str) -> bool:
    return NUMBER.fullmatch(value) is not None


def is_datetime(value: str, *, date_alone: bool = False) -> bool:
    """A date and time as above (or, with `date_alone`, a date without a time): Python's and
    Django's parsers also read ISO 8601's basic form ("20250407T100000Z"), an hour alone
    ("2025-04-07T10"), "2025-4-7T10:00" and "2025-04-07_10:00:00"."""
    pattern = ISO_DATE_OR_DATETIME if date_alone else ISO_DATETIME
    return pattern.fullmatch(value) is not None
