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
# A number as JSON writes one (JavaScript's String(1e-7) is "1e-7"), leading zeros allowed.
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")

DATE_FORMAT = "Enter a date as YYYY-MM-DD (ISO 8601, digits 0-9), e.g. 2025-04-07."
NUMBER_FORMAT = "Enter a number in digits 0-9, e.g. 29 or 10.5."
DATETIME_FORMAT = "Enter an ISO 8601 date and time, e.g. 2025-04-07T00:00:00Z."


def is_iso_date(value: str) -> bool:
    return ISO_DATE.fullmatch(value) is not None


def is_number(value: str) -> bool:
    return NUMBER.fullmatch(value) is not None


def is_plain_datetime(value: str) -> bool:
    """ASCII, printable, with nothing around it: what ISO 8601 parsing may then be given."""
    return value.isascii() and value.isprintable() and value == value.strip() and value != ""
