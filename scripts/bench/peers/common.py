"""What both peers of `make bench` share: their SQL and the JSON they build from its rows.

Written from the API's contract (openapi.yaml: the bodies, the query parameters, the `next`
and `previous` links) and the database's tables, not from the service's code: nothing here
imports the service (events/, policyapi/), so a peer is an independent implementation of the
same answers. Standard library only; the peers bring the driver (psycopg directly, or through
SQLAlchemy) and orjson.

Every function takes `run(sql, params) -> rows`, a callable that executes one statement with
%s placeholders and returns its rows as tuples, so that one text of SQL serves both peers.
Only what the bench's scenarios ask for is implemented:

- the event list: page numbers (`page`, `page_size`) or keyset pages (`cursor`), filters
  `country`, `topic` (and every topic below it), `event_type`, `date_from`, `date_to`, `q`;
- an event's detail; the tariff-measure list filtered by `target_country`; event stats by month.

Nothing is cached: every request counts its rows and groups its statistics again. Unknown
country codes or topic slugs match nothing here where the service answers 400; values the
bench never sends are not checked beyond what the peers' parsers do.
"""

# ruff: noqa: S608
# (SQL assembled from this module's constant fragments; every value from a request is a
# parameter.)

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

Run = Callable[[str, Sequence[Any]], Sequence[Sequence[Any]]]
Row = dict[str, Any]

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE_DEPTH = 10_000  # results reachable by page number (the schema's `page`)
CURSOR_START = "start"
# The lists' documented default orders: events newest first (date, then slug, both
# descending); tariff measures most recently announced first, unknown dates last.
EVENT_ORDER = "e.start_date DESC, e.slug DESC"
EVENT_CURSOR_KEYS = "-start_date,-slug"
MEASURE_ORDER = "m.announced_on DESC NULLS LAST, m.slug DESC"


class Problem(Exception):
    """An error answer (application/problem+json): status and detail."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    def body(self) -> Row:
        return {"type": "about:blank", "status": self.status, "detail": self.detail}


# --- values as the API writes them --------------------------------------------------------------


def day(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def moment(value: datetime.datetime) -> str:
    """A timestamp in UTC, ISO 8601 with a Z (microseconds when there are any)."""
    text = value.astimezone(datetime.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def link(base: str, collection: str, key: str) -> str:
    return f"{base}{collection}/{key}/"


# --- links: the request's URL with one query parameter replaced or removed ----------------------
# The schema's `next`/`previous` are the request's absolute URL with `page` (or `cursor`) set;
# the service writes the query parameters sorted by name, each value URL-encoded.


def with_param(url: str, name: str, value: str | None) -> str:
    scheme, netloc, path, query, _ = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    if value is None:
        params.pop(name, None)
    else:
        params[name] = [value]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), ""))


# --- cursors ------------------------------------------------------------------------------------
# A cursor is the sort values of a page's last row (JSON list of strings, base64url without
# padding), signed: the token, ".", then base64url(HMAC-SHA256) without padding, keyed by
# SHA-256(salt + "signer" + secret key), the salt naming the list's order. This is the
# signature scheme of Django's Signer, written out so the peers give the service's links.


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _signature(secret: str, order: str, value: str) -> str:
    salt = f"policyapi.cursor:{order}signer"
    key = hashlib.sha256((salt + secret).encode()).digest()
    return _b64(hmac.new(key, value.encode(), hashlib.sha256).digest())


def sign_cursor(secret: str, order: str, values: Sequence[Any]) -> str:
    plain = [
        None if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values
    ]
    token = _b64(json.dumps(plain).encode())
    return f"{token}.{_signature(secret, order, token)}"


def unsign_cursor(secret: str, order: str, signed: str, size: int) -> list[str | None]:
    token, _, signature = signed.rpartition(".")
    if not token or not hmac.compare_digest(signature, _signature(secret, order, token)):
        raise Problem(400, "cursor: not a cursor from a `next` link.")
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise Problem(400, "cursor: not a cursor from a `next` link.") from None
    if not isinstance(values, list) or len(values) != size:
        raise Problem(400, "cursor: not a cursor from a `next` link.")
    return values


# --- the event list's query ---------------------------------------------------------------------


@dataclass
class EventQuery:
    """The event list's (or stats') parameters, parsed by a peer."""

    country: list[str] = field(default_factory=list)
    topic: list[str] = field(default_factory=list)
    event_type: list[str] = field(default_factory=list)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    q: str | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None


def split_values(values: Sequence[str]) -> list[str]:
    """A multi-valued parameter: repeated and comma-separated values."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


EVENT_VECTOR = (
    "to_tsvector('english'::regconfig, ((COALESCE({t}.title, ''::character varying))::text "
    "|| ' '::text) || COALESCE({t}.summary, ''::text))"
)
STATEMENT_VECTOR = "to_tsvector('english'::regconfig, COALESCE(s.text, ''::text))"
TSQUERY = "websearch_to_tsquery('english'::regconfig, %s)"


def event_where(query: EventQuery) -> tuple[list[str], list[Any]]:
    """The conditions on `events_event e` and their parameters, in order."""
    conditions: list[str] = []
    params: list[Any] = []
    if query.date_from is not None:
        # A date known to the month (year) stands for the whole month (year): such an event
        # reaches `date_from` if it ends (or, without an end, starts) in that month or later.
        parts = []
        for precision, earliest in (
            ("day", query.date_from),
            ("month", query.date_from.replace(day=1)),
            ("year", query.date_from.replace(month=1, day=1)),
        ):
            parts.append(
                "(e.date_precision = %s AND (e.end_date >= %s OR "
                "(e.end_date IS NULL AND e.start_date >= %s)))"
            )
            params += [precision, earliest, earliest]
        conditions.append(f"({' OR '.join(parts)})")
    if query.date_to is not None:
        conditions.append("e.start_date <= %s")
        params.append(query.date_to)
    if query.event_type:
        conditions.append("e.event_type = ANY(%s)")
        params.append(query.event_type)
    if query.country:
        conditions.append(
            "EXISTS (SELECT 1 FROM events_event_countries ec "
            "WHERE ec.event_id = e.id AND ec.country_id = ANY(%s))"
        )
        params.append([code.upper() for code in query.country])
    if query.topic:
        conditions.append(
            "EXISTS (SELECT 1 FROM events_event_topics et WHERE et.event_id = e.id AND "
            "et.topic_id IN (WITH RECURSIVE tree(id) AS ("
            "SELECT id FROM events_topic WHERE slug = ANY(%s) "
            "UNION SELECT t.id FROM events_topic t JOIN tree ON t.parent_id = tree.id"
            ") SELECT id FROM tree))"
        )
        params.append(list(query.topic))
    if query.q is not None:
        # Matches in the event's title and summary or in any of its statements, each through
        # the GIN index on the same expression.
        conditions.append(
            f"e.id IN (SELECT x.id FROM events_event x WHERE {EVENT_VECTOR.format(t='x')} @@ "
            f"{TSQUERY} UNION SELECT s.event_id FROM events_statement s "
            f"WHERE {STATEMENT_VECTOR} @@ {TSQUERY})"
        )
        params += [query.q, query.q]
    return conditions, params


def _where(conditions: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


# The page's rows with their countries, topics and participants, in one statement: the page is
# chosen first (LIMIT/OFFSET in a subquery), then each row's lists are gathered.
EVENT_ROW_COLUMNS = (
    "e.id, e.slug, e.title, e.summary, e.event_type, e.cameo_code, "
    "(SELECT k.label FROM events_cameocode k WHERE k.code = e.cameo_code), "
    "e.start_date, e.end_date, e.date_precision, e.location_country_id, e.updated_at, "
    "ARRAY(SELECT ec.country_id FROM events_event_countries ec WHERE ec.event_id = e.id "
    "ORDER BY ec.country_id), "
    "ARRAY(SELECT t.slug FROM events_event_topics et JOIN events_topic t ON t.id = et.topic_id "
    "WHERE et.event_id = e.id ORDER BY t.slug), "
    "ARRAY(SELECT ARRAY[pa.slug, pa.name, p.role] FROM events_participation p "
    "JOIN events_participant pa ON pa.id = p.participant_id WHERE p.event_id = e.id "
    "ORDER BY p.role, pa.slug)"
)


def _event_row(base: str, row: Sequence[Any]) -> Row:
    (
        _,
        slug,
        title,
        summary,
        kind,
        cameo,
        label,
        start,
        end,
        precision,
        location,
        updated,
        countries,
        topics,
        participants,
    ) = row
    return {
        "url": link(base, "events", slug),
        "slug": slug,
        "title": title,
        "summary": summary,
        "event_type": kind,
        "cameo_code": cameo,
        "cameo_label": label,
        "start_date": day(start),
        "end_date": day(end),
        "date_precision": precision,
        "location_country": location,
        "countries": list(countries),
        "topics": list(topics),
        "participants": [{"slug": s, "name": n, "role": r} for s, n, r in participants],
        "updated_at": moment(updated),
    }


def events_list(run: Run, url: str, base: str, query: EventQuery, secret: str) -> Row:
    """GET /api/v1/events/: {count, next, previous, results}."""
    conditions, params = event_where(query)
    (count,) = run(f"SELECT COUNT(*) FROM events_event e{_where(conditions)}", params)[0]
    size = query.page_size
    order, order_params = EVENT_ORDER, []
    if query.q is not None:
        if query.cursor is not None:
            raise Problem(400, "cursor: not with `q` (its order is by relevance).")
        order = f"ts_rank({EVENT_VECTOR.format(t='e')}, {TSQUERY}, 1) DESC, {EVENT_ORDER}"
        order_params = [query.q]

    if query.cursor is not None:
        where, where_params = list(conditions), list(params)
        if query.cursor != CURSOR_START:
            start, slug = unsign_cursor(secret, EVENT_CURSOR_KEYS, query.cursor, 2)
            try:
                after = datetime.date.fromisoformat(str(start))
            except ValueError:
                raise Problem(400, "cursor: not a cursor from a `next` link.") from None
            where.append("(e.start_date, e.slug) < (%s, %s)")
            where_params += [after, slug]
        rows = run(
            f"SELECT {EVENT_ROW_COLUMNS} FROM (SELECT * FROM events_event e{_where(where)} "
            f"ORDER BY {EVENT_ORDER} LIMIT %s) e ORDER BY {EVENT_ORDER}",
            [*where_params, size + 1],
        )
        next_link = None
        if len(rows) > size:
            last = rows[size - 1]
            token = sign_cursor(secret, EVENT_CURSOR_KEYS, [last[7], last[1]])
            next_link = with_param(with_param(url, "page", None), "cursor", token)
        results = [_event_row(base, row) for row in rows[:size]]
        return {"count": count, "next": next_link, "previous": None, "results": results}

    pages = max(1, math.ceil(count / size))
    if (query.page - 1) * size >= MAX_PAGE_DEPTH:
        raise Problem(400, f"page: page numbers reach the first {MAX_PAGE_DEPTH:,} results.")
    if query.page > pages:
        raise Problem(404, f"Page {query.page} does not exist.")
    rows = run(
        f"SELECT {EVENT_ROW_COLUMNS} FROM (SELECT * FROM events_event e{_where(conditions)} "
        f"ORDER BY {order} LIMIT %s OFFSET %s) e ORDER BY {order}",
        [*params, *order_params, size, (query.page - 1) * size, *order_params],
    )
    return {
        "count": count,
        **page_links(url, query.page, pages),
        "results": [_event_row(base, row) for row in rows],
    }


def page_links(url: str, number: int, pages: int) -> Row:
    """`next` and `previous` of page `number` (page 1's link has no `page` at all)."""
    next_link = with_param(url, "page", str(number + 1)) if number < pages else None
    previous = None
    if number > 1:
        previous = with_param(url, "page", None if number == 2 else str(number - 1))
    return {"next": next_link, "previous": previous}


# --- tariff measures ----------------------------------------------------------------------------

MEASURE_ROW_COLUMNS = (
    "m.slug, m.title, m.imposing_country_id, m.measure_type, m.rate, m.status, m.status_as_of, "
    "m.announced_on, m.effective_on, m.suspended_on, m.suspended_until, m.ended_on, "
    "m.updated_at, ARRAY(SELECT tc.country_id FROM events_tariffmeasure_target_countries tc "
    "WHERE tc.tariffmeasure_id = m.id ORDER BY tc.country_id)"
)


def measures_list(
    run: Run, url: str, base: str, target_country: list[str], page: int, page_size: int
) -> Row:
    """GET /api/v1/tariff-measures/ (filter: target_country; a measure with no target
    countries applies to every country and matches any)."""
    conditions: list[str] = []
    params: list[Any] = []
    if target_country:
        conditions.append(
            "(EXISTS (SELECT 1 FROM events_tariffmeasure_target_countries tc WHERE "
            "tc.tariffmeasure_id = m.id AND tc.country_id = ANY(%s)) OR NOT EXISTS (SELECT 1 "
            "FROM events_tariffmeasure_target_countries tc WHERE tc.tariffmeasure_id = m.id))"
        )
        params.append([code.upper() for code in target_country])
    (count,) = run(f"SELECT COUNT(*) FROM events_tariffmeasure m{_where(conditions)}", params)[0]
    pages = max(1, math.ceil(count / page_size))
    if page > pages:
        raise Problem(404, f"Page {page} does not exist.")
    rows = run(
        f"SELECT {MEASURE_ROW_COLUMNS} FROM (SELECT * FROM events_tariffmeasure m"
        f"{_where(conditions)} ORDER BY {MEASURE_ORDER} LIMIT %s OFFSET %s) m "
        f"ORDER BY {MEASURE_ORDER}",
        [*params, page_size, (page - 1) * page_size],
    )
    results = []
    for (
        slug,
        title,
        imposing,
        kind,
        rate,
        status,
        as_of,
        announced,
        effective,
        suspended,
        until,
        ended,
        updated,
        targets,
    ) in rows:
        results.append(
            {
                "url": link(base, "tariff-measures", slug),
                "slug": slug,
                "title": title,
                "imposing_country": imposing,
                "target_countries": list(targets),
                "applies_to_all_countries": not targets,
                "measure_type": kind,
                "rate": float(rate),
                "status": status,
                "status_as_of": day(as_of),
                "announced_on": day(announced),
                "effective_on": day(effective),
                "suspended_on": day(suspended),
                "suspended_until": day(until),
                "ended_on": day(ended),
                "updated_at": moment(updated),
            }
        )
    return {"count": count, **page_links(url, page, pages), "results": results}


# --- stats --------------------------------------------------------------------------------------


def stats_by_month(run: Run, query: EventQuery) -> list[Row]:
    """GET /api/v1/events/stats/?group_by=month: events known only to the year are counted
    under the year ("2019"), the others under their month ("2019-03"), sorted by key."""
    conditions, params = event_where(query)
    rows = run(
        "SELECT e.date_precision = 'year', "
        "CASE WHEN e.date_precision = 'year' THEN date_trunc('year', e.start_date::timestamp) "
        "ELSE date_trunc('month', e.start_date::timestamp) END AS bucket, COUNT(*) "
        f"FROM events_event e{_where(conditions)} GROUP BY 1, 2",
        params,
    )
    out = []
    for yearly, bucket, count in rows:
        if yearly:
            out.append(
                {
                    "key": f"{bucket.year}",
                    "label": f"{bucket.year} (month not known)",
                    "count": count,
                }
            )
        else:
            out.append(
                {"key": bucket.strftime("%Y-%m"), "label": bucket.strftime("%B %Y"), "count": count}
            )
    return sorted(out, key=lambda row: row["key"])


# --- an event's detail ----------------------------------------------------------------------------

SOURCE_COLUMNS = "s.slug, s.title, s.publisher, s.web_url, s.published_on, s.published_precision"


def _source(base: str, row: Sequence[Any]) -> Row:
    slug, title, publisher, web_url, published_on, precision = row
    return {
        "url": link(base, "sources", slug),
        "slug": slug,
        "title": title,
        "publisher": publisher,
        "web_url": web_url,
        "published_on": day(published_on),
        "published_precision": precision,
    }


def _participant(base: str, slug: str, name: str, kind: str) -> Row:
    return {"url": link(base, "participants", slug), "slug": slug, "name": name, "kind": kind}


def _measure_ref(base: str, row: Sequence[Any]) -> Row:
    slug, title, kind, rate, status = row
    return {
        "url": link(base, "tariff-measures", slug),
        "slug": slug,
        "title": title,
        "measure_type": kind,
        "rate": float(rate),
        "status": status,
    }


def event_detail(run: Run, base: str, slug: str) -> Row:
    """GET /api/v1/events/{slug}/ in six statements: the event with its countries and topics,
    participations, statements, relations both ways, measures, and every citation of them."""
    found = run(
        "SELECT e.id, e.slug, e.title, e.summary, e.event_type, e.cameo_code, "
        "(SELECT k.label FROM events_cameocode k WHERE k.code = e.cameo_code), e.start_date, "
        "e.end_date, e.date_precision, e.date_note, e.location_country_id, "
        "(SELECT c.name FROM events_country c WHERE c.iso2 = e.location_country_id), "
        "e.created_at, e.updated_at, "
        "ARRAY(SELECT ARRAY[c.iso2, c.name] FROM events_event_countries ec JOIN events_country c "
        "ON c.iso2 = ec.country_id WHERE ec.event_id = e.id ORDER BY c.iso2), "
        "ARRAY(SELECT ARRAY[t.slug, t.name] FROM events_event_topics et JOIN events_topic t "
        "ON t.id = et.topic_id WHERE et.event_id = e.id ORDER BY t.slug) "
        "FROM events_event e WHERE e.slug = %s",
        [slug],
    )
    if not found:
        raise Problem(404, "No event has this slug.")
    (
        pk,
        slug,
        title,
        summary,
        kind,
        cameo,
        label,
        start,
        end,
        precision,
        note,
        location,
        location_name,
        created,
        updated,
        countries,
        topics,
    ) = found[0]

    participations = run(
        "SELECT p.id, pa.slug, pa.name, pa.kind, p.role, p.country_id, p.note "
        "FROM events_participation p JOIN events_participant pa ON pa.id = p.participant_id "
        "WHERE p.event_id = %s ORDER BY p.role, pa.slug",
        [pk],
    )
    statements = run(
        "SELECT st.id, st.slug, sp.slug, sp.name, sp.kind, st.text, st.kind, st.stated_on, "
        "st.date_precision, st.date_note FROM events_statement st "
        "JOIN events_participant sp ON sp.id = st.speaker_id "
        "WHERE st.event_id = %s ORDER BY st.stated_on NULLS LAST, st.slug",
        [pk],
    )
    # This event's relations to others (outgoing), then others' to it (incoming), each sorted
    # by (from event's slug, relation type, to event's slug).
    relations = run(
        "SELECT r.id, r.from_event_id = %s, r.relation_type, o.slug, o.title, o.event_type, "
        "o.start_date, o.date_precision FROM events_eventrelation r "
        "JOIN events_event f ON f.id = r.from_event_id JOIN events_event t ON t.id = r.to_event_id "
        "JOIN events_event o ON o.id = CASE WHEN r.from_event_id = %s THEN r.to_event_id "
        "ELSE r.from_event_id END WHERE r.from_event_id = %s OR r.to_event_id = %s "
        "ORDER BY r.from_event_id <> %s, f.slug, r.relation_type, t.slug",
        [pk, pk, pk, pk, pk],
    )
    measures = run(
        "SELECT 0, m.slug, m.title, m.measure_type, m.rate, m.status, m.announced_on "
        "FROM events_tariffmeasure m WHERE m.announced_in_id = %s "
        "UNION ALL SELECT 1, m.slug, m.title, m.measure_type, m.rate, m.status, m.announced_on "
        "FROM events_tariffmeasure_discussed_in d JOIN events_tariffmeasure m "
        "ON m.id = d.tariffmeasure_id WHERE d.event_id = %s "
        "ORDER BY 1, 7 DESC NULLS LAST, 2 DESC",
        [pk, pk],
    )
    participation_ids = [row[0] for row in participations]
    statement_ids = [row[0] for row in statements]
    relation_ids = [row[0] for row in relations]
    cited = run(
        "SELECT c.event_id, c.participation_id, c.statement_id, c.event_relation_id, c.excerpt, "
        f"c.field, {SOURCE_COLUMNS} FROM events_citation c JOIN events_source s "
        "ON s.id = c.source_id WHERE c.event_id = %s OR c.participation_id = ANY(%s) "
        "OR c.statement_id = ANY(%s) OR c.event_relation_id = ANY(%s) ORDER BY c.key",
        [pk, participation_ids, statement_ids, relation_ids],
    )
    citations: dict[tuple[str, int], list[Row]] = defaultdict(list)
    for event_id, participation_id, statement_id, relation_id, excerpt, where, *source in cited:
        owner = (
            ("event", event_id)
            if event_id is not None
            else ("participation", participation_id)
            if participation_id is not None
            else ("statement", statement_id)
            if statement_id is not None
            else ("relation", relation_id)
        )
        citations[owner].append(
            {"excerpt": excerpt, "field": where, "source": _source(base, source)}
        )

    return {
        "url": link(base, "events", slug),
        "slug": slug,
        "title": title,
        "summary": summary,
        "event_type": kind,
        "cameo_code": cameo,
        "cameo_label": label,
        "start_date": day(start),
        "end_date": day(end),
        "date_precision": precision,
        "date_note": note,
        "location_country": (
            {"url": link(base, "countries", location), "iso2": location, "name": location_name}
            if location is not None
            else None
        ),
        "countries": [
            {"url": link(base, "countries", iso2), "iso2": iso2, "name": name}
            for iso2, name in countries
        ],
        "topics": [
            {"url": link(base, "topics", t_slug), "slug": t_slug, "name": name}
            for t_slug, name in topics
        ],
        "participations": [
            {
                "participant": _participant(base, p_slug, name, p_kind),
                "role": role,
                "country": country,
                "note": p_note,
                "citations": citations.get(("participation", p_id), []),
            }
            for p_id, p_slug, name, p_kind, role, country, p_note in participations
        ],
        "statements": [
            {
                "url": link(base, "statements", s_slug),
                "slug": s_slug,
                "speaker": _participant(base, sp_slug, sp_name, sp_kind),
                "text": text,
                "kind": s_kind,
                "stated_on": day(stated_on),
                "date_precision": s_precision,
                "date_note": s_note,
                "citations": citations.get(("statement", s_id), []),
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
            ) in statements
        ],
        "related_events": [
            {
                "relation_type": relation_type,
                "direction": "outgoing" if outgoing else "incoming",
                "event": {
                    "url": link(base, "events", o_slug),
                    "slug": o_slug,
                    "title": o_title,
                    "event_type": o_kind,
                    "start_date": day(o_start),
                    "date_precision": o_precision,
                },
                "citations": citations.get(("relation", r_id), []),
            }
            for (
                r_id,
                outgoing,
                relation_type,
                o_slug,
                o_title,
                o_kind,
                o_start,
                o_precision,
            ) in relations
        ],
        "announced_measures": [_measure_ref(base, row[1:6]) for row in measures if row[0] == 0],
        "discussed_measures": [_measure_ref(base, row[1:6]) for row in measures if row[0] == 1],
        "citations": citations.get(("event", pk), []),
        "created_at": moment(created),
        "updated_at": moment(updated),
    }
