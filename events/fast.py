"""The read path's fast lane: list rows and event details built from plain SQL rows.

DRF's nested serializers cost more than the queries they wait on. These builders produce
exactly what the documented serializers describe (events/serializers/read.py, and
`tests/test_fast_path.py` compares the two on the article and on synthetic data), from a few
queries run on any DB-API cursor, so the benchmark's baselines (scripts/bench/) can run the
very same SQL outside Django. This module imports nothing from Django.

Each builder takes the page's rows (or ids) and a `Links` that turns slugs into absolute URLs.
"""

import base64
import binascii
import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

Row = dict[str, Any]

EVENT_COLUMNS = (
    "id",
    "slug",
    "title",
    "summary",
    "event_type",
    "cameo_code",
    "cameo_label",  # annotated by events.views.event_list_queryset(), in the same query
    "start_date",
    "end_date",
    "date_precision",
    "location_country_id",
    "updated_at",
)
MEASURE_COLUMNS = (
    "id",
    "slug",
    "title",
    "imposing_country_id",
    "measure_type",
    "rate",
    "status",
    "status_as_of",
    "announced_on",
    "effective_on",
    "suspended_on",
    "suspended_until",
    "ended_on",
    "updated_at",
)


class Links:
    """Absolute URLs of the API's records, from the API's base URL (`http://host/api/v1/`)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, collection: str, key: str) -> str:
        return f"{self.base}{collection}/{key}/"


def date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def timestamp(value: datetime.datetime) -> str:
    """As DRF writes a UTC datetime: ISO 8601 with a Z."""
    text = value.astimezone(datetime.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def rate(value: Any) -> float:
    return float(value)


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _grouped(cursor: Any, sql: str, ids: Sequence[int]) -> dict[int, list[tuple[Any, ...]]]:
    """Rows of `sql` (whose first column is the owner's id) grouped by owner, in query order."""
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    if ids:
        cursor.execute(sql.format(ids=_placeholders(ids)), list(ids))
        for row in cursor.fetchall():
            grouped[row[0]].append(row[1:])
    return grouped


# --- event lists --------------------------------------------------------------------------------


def event_rows(cursor: Any, events: Sequence[Row], links: Links) -> list[Row]:
    """List rows (EventListSerializer) for events given as dicts of EVENT_COLUMNS.

    Three queries for the whole page: countries, topics, participations with participants.
    """
    ids = [event["id"] for event in events]
    countries = _grouped(
        cursor,
        "SELECT event_id, country_id FROM events_event_countries "
        "WHERE event_id IN ({ids}) ORDER BY event_id, country_id",
        ids,
    )
    topics = _grouped(
        cursor,
        "SELECT et.event_id, t.slug FROM events_event_topics et "
        "JOIN events_topic t ON t.id = et.topic_id "
        "WHERE et.event_id IN ({ids}) ORDER BY et.event_id, t.slug",
        ids,
    )
    participants = _grouped(
        cursor,
        "SELECT p.event_id, pa.slug, pa.name, p.role FROM events_participation p "
        "JOIN events_participant pa ON pa.id = p.participant_id "
        "WHERE p.event_id IN ({ids}) ORDER BY p.event_id, p.role, pa.slug",
        ids,
    )
    return [
        {
            "url": links("events", event["slug"]),
            "slug": event["slug"],
            "title": event["title"],
            "summary": event["summary"],
            "event_type": event["event_type"],
            "cameo_code": event["cameo_code"],
            "cameo_label": event["cameo_label"],
            "start_date": date(event["start_date"]),
            "end_date": date(event["end_date"]),
            "date_precision": event["date_precision"],
            "location_country": event["location_country_id"],
            "countries": [code for (code,) in countries[event["id"]]],
            "topics": [slug for (slug,) in topics[event["id"]]],
            "participants": [
                {"slug": slug, "name": name, "role": role}
                for slug, name, role in participants[event["id"]]
            ],
            "updated_at": timestamp(event["updated_at"]),
        }
        for event in events
    ]


# --- tariff-measure lists -------------------------------------------------------------------------


def measure_rows(cursor: Any, measures: Sequence[Row], links: Links) -> list[Row]:
    """List rows (TariffMeasureListSerializer) for measures given as dicts of MEASURE_COLUMNS."""
    targets = _grouped(
        cursor,
        "SELECT tariffmeasure_id, country_id FROM events_tariffmeasure_target_countries "
        "WHERE tariffmeasure_id IN ({ids}) ORDER BY tariffmeasure_id, country_id",
        [measure["id"] for measure in measures],
    )
    rows = []
    for measure in measures:
        codes = [code for (code,) in targets[measure["id"]]]
        rows.append(
            {
                "url": links("tariff-measures", measure["slug"]),
                "slug": measure["slug"],
                "title": measure["title"],
                "imposing_country": measure["imposing_country_id"],
                "target_countries": codes,
                "applies_to_all_countries": not codes,
                "measure_type": measure["measure_type"],
                "rate": rate(measure["rate"]),
                "status": measure["status"],
                "status_as_of": date(measure["status_as_of"]),
                "announced_on": date(measure["announced_on"]),
                "effective_on": date(measure["effective_on"]),
                "suspended_on": date(measure["suspended_on"]),
                "suspended_until": date(measure["suspended_until"]),
                "ended_on": date(measure["ended_on"]),
                "updated_at": timestamp(measure["updated_at"]),
            }
        )
    return rows


# --- an event's detail ----------------------------------------------------------------------------

SOURCE_REF = "s.slug, s.title, s.publisher, s.web_url, s.published_on, s.published_precision"


def _source_ref(
    links: Links,
    slug: str,
    title: str,
    publisher: str,
    web_url: str,
    published_on: datetime.date | None,
    precision: str,
) -> Row:
    return {
        "url": links("sources", slug),
        "slug": slug,
        "title": title,
        "publisher": publisher,
        "web_url": web_url,
        "published_on": date(published_on),
        "published_precision": precision,
    }


def _citations(cursor: Any, column: str, ids: Sequence[int], links: Links) -> dict[int, list[Row]]:
    rows = _grouped(
        cursor,
        f"SELECT c.{column}, c.excerpt, c.field, {SOURCE_REF} FROM events_citation c "
        "JOIN events_source s ON s.id = c.source_id "
        f"WHERE c.{column} IN ({{ids}}) ORDER BY c.{column}, c.key",
        ids,
    )
    return {
        owner: [
            {"excerpt": excerpt, "field": field, "source": _source_ref(links, *source)}
            for excerpt, field, *source in items
        ]
        for owner, items in rows.items()
    }


def _event_ref(
    links: Links, slug: str, title: str, event_type: str, start_date: datetime.date, precision: str
) -> Row:
    return {
        "url": links("events", slug),
        "slug": slug,
        "title": title,
        "event_type": event_type,
        "start_date": date(start_date),
        "date_precision": precision,
    }


def _participant_ref(links: Links, slug: str, name: str, kind: str) -> Row:
    return {"url": links("participants", slug), "slug": slug, "name": name, "kind": kind}


def event_detail(cursor: Any, slug: str, links: Links) -> Row | None:
    """An event's detail (EventDetailSerializer), or None when no event has the slug."""
    cursor.execute(
        "SELECT e.id, e.slug, e.title, e.summary, e.event_type, e.cameo_code, k.label, "
        "e.start_date, e.end_date, e.date_precision, e.date_note, e.location_country_id, c.name, "
        "e.created_at, e.updated_at FROM events_event e "
        "LEFT JOIN events_country c ON c.iso2 = e.location_country_id "
        "LEFT JOIN events_cameocode k ON k.code = e.cameo_code WHERE e.slug = %s",
        [slug],
    )
    found = cursor.fetchone()
    if found is None:
        return None
    (
        pk,
        slug,
        title,
        summary,
        event_type,
        cameo,
        cameo_label,
        start,
        end,
        precision,
        note,
        location,
        location_name,
        created,
        updated,
    ) = found
    ids = [pk]

    cursor.execute(
        "SELECT c.iso2, c.name FROM events_event_countries ec "
        "JOIN events_country c ON c.iso2 = ec.country_id WHERE ec.event_id = %s ORDER BY c.iso2",
        ids,
    )
    countries = [
        {"url": links("countries", iso2), "iso2": iso2, "name": name}
        for iso2, name in cursor.fetchall()
    ]
    cursor.execute(
        "SELECT t.slug, t.name FROM events_event_topics et "
        "JOIN events_topic t ON t.id = et.topic_id WHERE et.event_id = %s ORDER BY t.slug",
        ids,
    )
    topics = [{"url": links("topics", s), "slug": s, "name": n} for s, n in cursor.fetchall()]

    cursor.execute(
        "SELECT p.id, pa.slug, pa.name, pa.kind, p.role, p.country_id, p.note "
        "FROM events_participation p JOIN events_participant pa ON pa.id = p.participant_id "
        "WHERE p.event_id = %s ORDER BY p.role, pa.slug",
        ids,
    )
    participation_rows = cursor.fetchall()
    participation_citations = _citations(
        cursor, "participation_id", [row[0] for row in participation_rows], links
    )
    participations = [
        {
            "participant": _participant_ref(links, p_slug, name, kind),
            "role": role,
            "country": country,
            "note": p_note,
            "citations": participation_citations.get(p_id, []),
        }
        for p_id, p_slug, name, kind, role, country, p_note in participation_rows
    ]

    cursor.execute(
        "SELECT st.id, st.slug, sp.slug, sp.name, sp.kind, st.text, st.kind, st.stated_on, "
        "st.date_precision, st.date_note FROM events_statement st "
        "JOIN events_participant sp ON sp.id = st.speaker_id "
        "WHERE st.event_id = %s ORDER BY st.stated_on NULLS LAST, st.slug",
        ids,
    )
    statement_rows = cursor.fetchall()
    statement_citations = _citations(
        cursor, "statement_id", [row[0] for row in statement_rows], links
    )
    statements = [
        {
            "url": links("statements", s_slug),
            "slug": s_slug,
            "speaker": _participant_ref(links, sp_slug, sp_name, sp_kind),
            "text": text,
            "kind": s_kind,
            "stated_on": date(stated_on),
            "date_precision": s_precision,
            "date_note": s_note,
            "citations": statement_citations.get(s_id, []),
        }
        for (
            s_id,
            s_slug,
            sp_slug,
            sp_name,
            sp_kind,
            text,
            s_kind,
            stated_on,
            s_precision,
            s_note,
        ) in statement_rows
    ]

    # Outgoing relations (this event is <type> the other), then incoming ones: the order the
    # serializer lists them in (relations_from, then relations_to, each by the model's order).
    relations = []
    for direction, here, there in (
        ("outgoing", "from_event_id", "to_event_id"),
        ("incoming", "to_event_id", "from_event_id"),
    ):
        cursor.execute(
            f"SELECT r.id, r.relation_type, o.slug, o.title, o.event_type, o.start_date, "
            f"o.date_precision FROM events_eventrelation r "
            f"JOIN events_event o ON o.id = r.{there} "
            f"JOIN events_event f ON f.id = r.from_event_id "
            f"JOIN events_event t ON t.id = r.to_event_id "
            f"WHERE r.{here} = %s ORDER BY f.slug, r.relation_type, t.slug",
            ids,
        )
        rows = cursor.fetchall()
        cited = _citations(cursor, "event_relation_id", [row[0] for row in rows], links)
        relations += [
            {
                "relation_type": relation_type,
                "direction": direction,
                "event": _event_ref(links, *other),
                "citations": cited.get(r_id, []),
            }
            for r_id, relation_type, *other in rows
        ]

    measure_ref = "m.slug, m.title, m.measure_type, m.rate, m.status"
    measure_order = "ORDER BY m.announced_on DESC NULLS LAST, m.slug DESC"  # as TariffMeasure's
    cursor.execute(
        f"SELECT {measure_ref} FROM events_tariffmeasure m WHERE m.announced_in_id = %s "
        f"{measure_order}",
        ids,
    )
    announced = [_measure_ref(links, *row) for row in cursor.fetchall()]
    cursor.execute(
        f"SELECT {measure_ref} FROM events_tariffmeasure_discussed_in d "
        "JOIN events_tariffmeasure m ON m.id = d.tariffmeasure_id WHERE d.event_id = %s "
        f"{measure_order}",
        ids,
    )
    discussed = [_measure_ref(links, *row) for row in cursor.fetchall()]

    return {
        "url": links("events", slug),
        "slug": slug,
        "title": title,
        "summary": summary,
        "event_type": event_type,
        "cameo_code": cameo,
        "cameo_label": cameo_label,
        "start_date": date(start),
        "end_date": date(end),
        "date_precision": precision,
        "date_note": note,
        "location_country": (
            {"url": links("countries", location), "iso2": location, "name": location_name}
            if location is not None
            else None
        ),
        "countries": countries,
        "topics": topics,
        "participations": participations,
        "statements": statements,
        "related_events": relations,
        "announced_measures": announced,
        "discussed_measures": discussed,
        "citations": _citations(cursor, "event_id", ids, links).get(pk, []),
        "created_at": timestamp(created),
        "updated_at": timestamp(updated),
    }


def _measure_ref(
    links: Links, slug: str, title: str, measure_type: str, value: Any, status: str
) -> Row:
    return {
        "url": links("tariff-measures", slug),
        "slug": slug,
        "title": title,
        "measure_type": measure_type,
        "rate": rate(value),
        "status": status,
    }


def as_dicts(cursor: Any, columns: Iterable[str]) -> list[Row]:
    """The cursor's remaining rows as dicts of the given column names."""
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- cursors ------------------------------------------------------------------------------------


def encode_cursor(values: Sequence[Any]) -> str:
    """A cursor: the sort values of a page's last row, as an opaque URL-safe token."""
    plain = [
        None if v is None else v.isoformat() if isinstance(v, datetime.date) else str(v)
        for v in values
    ]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(token: str, fields: Sequence[str]) -> list[str | None]:
    """The sort values a cursor holds, as text or None (ValueError if it is not one of ours)."""
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as error:
        raise ValueError("it cannot be decoded") from error
    if (
        not isinstance(values, list)
        or len(values) != len(fields)
        or not all(v is None or isinstance(v, str) for v in values)
    ):
        raise ValueError(f"it does not hold the {len(fields)} sort values of this list")
    return values
