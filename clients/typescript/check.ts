// A TypeScript client of policyapi, as a client developer would write one: types generated from the
// committed openapi.yaml (openapi-typescript, into schema.d.ts) and openapi-fetch to call the API.
// tsc --strict checks every call and every field read against the schema; the checks below check
// the live server's answers against the same types, field by field, and exit 1 on any mismatch.
//
//   npx tsx check.ts http://127.0.0.1:8000      (tests/test_typescript_client.py runs it)
import createClient from "openapi-fetch";

import type { components, paths } from "./schema.d.ts";

type Schemas = components["schemas"];

const baseUrl = process.argv[2] ?? process.env.POLICYAPI_URL ?? "http://127.0.0.1:8000";
const client = createClient<paths>({ baseUrl });

class Mismatch extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Mismatch(message);
}

function equal<T>(actual: T, expected: T, what: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

// Runtime validators. A `Shape<T>` names a validator for every property of T: tsc rejects one
// that misses a property the schema declares (or names one it does not), and `object()` rejects
// an answer with a property the shape does not name, so both sides of the contract are held.
type Validator = (value: unknown, where: string) => void;
type Shape<T> = { [K in keyof T]-?: Validator };

const string: Validator = (value, where) =>
  check(typeof value === "string", `${where}: not a string: ${JSON.stringify(value)}`);
const number: Validator = (value, where) =>
  check(typeof value === "number" && Number.isFinite(value), `${where}: not a number`);
const boolean: Validator = (value, where) => check(typeof value === "boolean", `${where}: not a boolean`);
const pattern =
  (re: RegExp, name: string): Validator =>
  (value, where) =>
    check(typeof value === "string" && re.test(value), `${where}: not ${name}: ${JSON.stringify(value)}`);
const date = pattern(/^\d{4}-\d{2}-\d{2}$/, "an ISO date");
const dateTime = pattern(
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  "an ISO date-time",
);
const uri = pattern(/^https?:\/\/\S+$/, "an absolute URL");
const iso2 = pattern(/^[A-Z]{2}$/, "an ISO alpha-2 code");
const nullable =
  (inner: Validator): Validator =>
  (value, where) => {
    if (value !== null) inner(value, where);
  };
const arrayOf =
  (item: Validator): Validator =>
  (value, where) => {
    check(Array.isArray(value), `${where}: not an array`);
    value.forEach((element, index) => item(element, `${where}[${index}]`));
  };
// The values of a generated enum type, listed once: `satisfies` rejects a value the type lacks,
// and `Exhaustive` one the type has that the list misses.
type Exhaustive<T, List extends readonly T[]> = [Exclude<T, List[number]>] extends [never] ? List : never;
const oneOf =
  <T extends string>(values: readonly T[]): Validator =>
  (value, where) =>
    check(
      typeof value === "string" && (values as readonly string[]).includes(value),
      `${where}: ${JSON.stringify(value)} is none of ${values.join(", ")}`,
    );
function object<T>(shape: Shape<T>): Validator {
  return (value, where) => {
    check(typeof value === "object" && value !== null && !Array.isArray(value), `${where}: not an object`);
    const record = value as Record<string, unknown>;
    const extra = Object.keys(record).filter((key) => !(key in shape));
    check(extra.length === 0, `${where}: properties the schema does not declare: ${extra.join(", ")}`);
    for (const [key, validate] of Object.entries(shape) as [string, Validator][]) {
      check(key in record, `${where}: no ${key}`);
      validate(record[key], `${where}.${key}`);
    }
  };
}
function validate<T>(value: unknown, validator: Validator, where: string): T {
  validator(value, where);
  return value as T;
}

const EVENT_TYPES = [
  "phone_call",
  "meeting",
  "visit",
  "statement",
  "policy_announcement",
  "negotiation",
  "agreement",
  "sanction",
  "arrest",
  "attack",
  "military_operation",
  "protest",
] as const satisfies readonly Schemas["EventTypeEnum"][];
const eventType = oneOf<Schemas["EventTypeEnum"]>(
  EVENT_TYPES satisfies Exhaustive<Schemas["EventTypeEnum"], typeof EVENT_TYPES>,
);
const PRECISIONS = ["day", "month", "year"] as const satisfies readonly Schemas["DatePrecisionEnum"][];
const precision = oneOf<Schemas["DatePrecisionEnum"]>(
  PRECISIONS satisfies Exhaustive<Schemas["DatePrecisionEnum"], typeof PRECISIONS>,
);
const MEASURE_TYPES = [
  "baseline",
  "reciprocal",
  "retaliatory",
  "sectoral",
] as const satisfies readonly Schemas["MeasureTypeEnum"][];
const measureType = oneOf<Schemas["MeasureTypeEnum"]>(
  MEASURE_TYPES satisfies Exhaustive<Schemas["MeasureTypeEnum"], typeof MEASURE_TYPES>,
);
const STATUSES = [
  "announced",
  "in_force",
  "suspended",
  "withdrawn",
] as const satisfies readonly Schemas["MeasureStatusEnum"][];
const measureStatus = oneOf<Schemas["MeasureStatusEnum"]>(
  STATUSES satisfies Exhaustive<Schemas["MeasureStatusEnum"], typeof STATUSES>,
);
// Nested records are checked for their shape where the checks below read them; the rest of a
// nested value is checked for its kind only.
const anyObject: Validator = (value, where) =>
  check(typeof value === "object" && value !== null && !Array.isArray(value), `${where}: not an object`);

const eventList = object<Schemas["EventList"]>({
  url: uri,
  slug: string,
  title: string,
  summary: string,
  event_type: eventType,
  cameo_code: string,
  cameo_label: nullable(string),
  start_date: date,
  end_date: nullable(date),
  date_precision: precision,
  location_country: nullable(iso2),
  countries: arrayOf(iso2),
  topics: arrayOf(string),
  participants: arrayOf(anyObject),
  updated_at: dateTime,
});
const paginatedEvents = object<Schemas["PaginatedEventListList"]>({
  count: number,
  next: nullable(uri),
  previous: nullable(uri),
  results: arrayOf(eventList),
});
const countryRef = object<Schemas["CountryRef"]>({ url: uri, iso2, name: string });
const sourceRef = object<Schemas["SourceRef"]>({
  url: uri,
  slug: string,
  title: string,
  publisher: string,
  web_url: (value, where) => (value === "" ? undefined : uri(value, where)),
  published_on: nullable(date),
  published_precision: oneOf<Schemas["DatePrecisionEnum"] | Schemas["BlankEnum"]>([...PRECISIONS, ""]),
});
const citation = object<Schemas["Citation"]>({ excerpt: string, field: string, source: sourceRef });
const tariffMeasureRef = object<Schemas["TariffMeasureRef"]>({
  url: uri,
  slug: string,
  title: string,
  measure_type: measureType,
  rate: number,
  status: measureStatus,
});
const eventDetail = object<Schemas["EventDetail"]>({
  url: uri,
  slug: string,
  title: string,
  summary: string,
  event_type: eventType,
  cameo_code: string,
  cameo_label: nullable(string),
  start_date: date,
  end_date: nullable(date),
  date_precision: precision,
  date_note: string,
  location_country: nullable(countryRef),
  countries: arrayOf(countryRef),
  topics: arrayOf(anyObject),
  participations: arrayOf(anyObject),
  statements: arrayOf(anyObject),
  related_events: arrayOf(anyObject),
  announced_measures: arrayOf(tariffMeasureRef),
  discussed_measures: arrayOf(tariffMeasureRef),
  citations: arrayOf(citation),
  created_at: dateTime,
  updated_at: dateTime,
});
const tariffMeasureList = object<Schemas["TariffMeasureList"]>({
  url: uri,
  slug: string,
  title: string,
  imposing_country: iso2,
  target_countries: arrayOf(iso2),
  applies_to_all_countries: boolean,
  measure_type: measureType,
  rate: number,
  status: measureStatus,
  status_as_of: nullable(date),
  announced_on: nullable(date),
  effective_on: nullable(date),
  suspended_on: nullable(date),
  suspended_until: nullable(date),
  ended_on: nullable(date),
  updated_at: dateTime,
});
const paginatedMeasures = object<Schemas["PaginatedTariffMeasureListList"]>({
  count: number,
  next: nullable(uri),
  previous: nullable(uri),
  results: arrayOf(tariffMeasureList),
});
const statsItem = object<Schemas["StatsItem"]>({ key: string, label: string, count: number });

// openapi-fetch answers { data, error, response }: `data` typed by the 2xx response, `error` by the
// others. Anything but the expected status is a failure, reported with the problem body.
function ok<T>(result: { data?: T; error?: unknown; response: Response }, status: number, what: string): T {
  check(
    result.response.status === status && result.data !== undefined,
    `${what}: HTTP ${result.response.status} ${JSON.stringify(result.error ?? null)}`,
  );
  return result.data;
}

async function eventsOfPakistanPageByPage(): Promise<Schemas["EventList"][]> {
  const pageSize = 1; // one event a page, so that the article's Pakistan events span several pages
  const gathered: Schemas["EventList"][] = [];
  let page: number | undefined = 1;
  let count: number | undefined;
  let pages = 0;
  while (page !== undefined) {
    const query = { country: ["PK"], page_size: pageSize, page };
    const data = ok(await client.GET("/api/v1/events/", { params: { query } }), 200, `events page ${page}`);
    const body = validate<Schemas["PaginatedEventListList"]>(data, paginatedEvents, `events page ${page}`);
    count ??= body.count;
    equal(body.count, count, `the count on page ${page}`);
    check(body.results.length <= pageSize, `page ${page}: ${body.results.length} rows`);
    for (const event of body.results) {
      check(event.countries.includes("PK"), `${event.slug}: PK not among ${event.countries.join(", ")}`);
      gathered.push(event);
    }
    pages += 1;
    // Follow `next` as given: the same path and filters, the following page.
    if (body.next === null) {
      page = undefined;
    } else {
      const next = new URL(body.next);
      equal(next.origin + next.pathname, new URL("/api/v1/events/", baseUrl).href, "next's path");
      equal(next.searchParams.getAll("country"), ["PK"], "next's country");
      equal(next.searchParams.get("page_size"), String(pageSize), "next's page_size");
      equal(next.searchParams.get("page"), String(page + 1), "next's page");
      page += 1;
    }
  }
  check(count !== undefined && pages >= 3, `expected several pages, got ${pages}`);
  equal(gathered.length, count, "events gathered across pages, against count");
  equal(new Set(gathered.map((event) => event.slug)).size, gathered.length, "distinct slugs");
  console.log(`events?country=PK: ${count} events over ${pages} pages`);
  return gathered;
}

async function oneEvent(slug: string): Promise<void> {
  const data = ok(
    await client.GET("/api/v1/events/{slug}/", { params: { path: { slug } } }),
    200,
    `event ${slug}`,
  );
  const event = validate<Schemas["EventDetail"]>(data, eventDetail, `event ${slug}`);
  equal(event.slug, slug, "the detail's slug");
  check(
    event.countries.some((country) => country.iso2 === "PK"),
    `${slug}: no PK among its countries`,
  );
  check(event.citations.length > 0, `${slug}: no citation`);
  for (const { excerpt, source } of event.citations) {
    check(excerpt.length > 0, `${slug}: an empty excerpt from ${source.slug}`);
  }
  console.log(`events/${slug}/: ${event.title} (${event.citations.length} citations)`);
}

async function measuresInForce(on: string): Promise<string[]> {
  const query = { target_country: ["PK"], effective_on: on, ordering: ["-rate" as const] };
  const where = `measures on ${on}`;
  const data = ok(await client.GET("/api/v1/tariff-measures/", { params: { query } }), 200, where);
  const body = validate<Schemas["PaginatedTariffMeasureListList"]>(data, paginatedMeasures, where);
  equal(body.count, body.results.length, `measures on ${on}: count`);
  for (const measure of body.results) {
    const { effective_on: effective, ended_on: ended } = measure;
    check(effective !== null && effective <= on, `${measure.slug}: not yet in effect on ${on}`);
    check(ended === null || ended > on, `${measure.slug}: ended by ${on}`);
    check(
      measure.applies_to_all_countries || measure.target_countries.includes("PK"),
      `${measure.slug}: does not apply to PK`,
    );
  }
  const slugs = body.results.map((measure) => `${measure.slug} (${measure.rate}%)`);
  console.log(`tariff-measures?target_country=PK&effective_on=${on}: ${slugs.join(", ")}`);
  return body.results.map((measure) => measure.slug);
}

async function statsByCountry(pakistanEvents: number): Promise<void> {
  const query = { group_by: "country" as const, country: ["PK"] };
  const data = ok(await client.GET("/api/v1/events/stats/", { params: { query } }), 200, "stats");
  const rows = validate<Schemas["StatsItem"][]>(data, arrayOf(statsItem), "stats");
  const pakistan = rows.find((row) => row.key === "PK");
  check(pakistan !== undefined, "stats: no PK row");
  // Every event with PK counts once under PK: the list's count.
  equal(pakistan.count, pakistanEvents, "stats: PK's count against the list's");
  const counts = rows.map((row) => row.count);
  equal(counts, [...counts].sort((a, b) => b - a), "stats: highest count first");
  const summary = rows.map((row) => `${row.key} ${row.count}`).join(", ");
  console.log(`events/stats?group_by=country&country=PK: ${summary}`);
}

try {
  const events = await eventsOfPakistanPageByPage();
  const first = events[0];
  check(first !== undefined, "no Pakistan event");
  await oneEvent(first.slug);
  // The article's measures on Pakistan: the 29% reciprocal tariff took effect on 9 April 2025 and
  // was suspended on the 10th; the 10% baseline stayed in force.
  equal(
    await measuresInForce("2025-04-09"),
    ["us-reciprocal-tariff-pakistan-29-percent-2025", "us-baseline-tariff-10-percent-2025"],
    "measures in force on 2025-04-09",
  );
  equal(
    await measuresInForce("2025-04-10"),
    ["us-baseline-tariff-10-percent-2025"],
    "measures in force on 2025-04-10",
  );
  await statsByCountry(events.length);
  console.log("ok");
} catch (error) {
  console.error(error instanceof Mismatch ? `mismatch: ${error.message}` : error);
  process.exitCode = 1;
}
