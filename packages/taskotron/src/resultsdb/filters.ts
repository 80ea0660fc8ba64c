import { unstorableText } from '@loopabull/core/cli';
import { representable, storedTime, utcTime } from './api.js';
import { pythonRepr, pythonTuple } from './python-text.js';

/** What GET /results and /results/latest select (all given conditions hold). */
export interface ResultFilter {
  outcomes?: string[];
  testcases?: string[];
  /** `*` wildcards. */
  testcasesLike?: string[];
  groups?: string[];
  /** Stored-time bounds, inclusive. */
  since?: { start: string; end?: string };
  /** Data key -> any of these values; `like` ones take `*` wildcards. */
  data: Array<{ key: string; values: string[]; like: boolean }>;
}

export interface Paging {
  page: number;
  limit: number;
}

/** How results are listed: `_sort` of GET /results, `_distinct_on` of /results/latest. */
export interface ResultView {
  /** By submit_time (then id): `desc` unless `_sort=asc:submit_time`. */
  order: 'asc' | 'desc';
  /** Data keys that, with the testcase, make "latest" one result per combination (bodhi#2425). */
  distinctOn: string[];
}

export const PAGING = {
  defaultLimit: 20,
  /** What the taskotron page reads of a job's results at once. */
  maxLimit: 1000,
  /**
   * The API's largest page. ResultsDB has none, but one request for every result of a store of
   * millions would take the server's memory with it; no client asks for pages this large (a
   * client asking for 5000 and reading one page gets them all), and a larger `limit` gets this
   * many with a `next` link.
   */
  apiMaxLimit: 50_000,
  maxPage: 1_000_000,
  maxValues: 100,
} as const;

/**
 * Parameters that select no results. `callback` (JSONP) and `_` (jQuery's cache-buster) are
 * ignored, as ResultsDB ignores them.
 */
const CONTROL = new Set(['page', 'limit', '_sort', '_distinct_on', 'callback', '_']);
/** Parameters of GET /results and /results/latest that are no data filter; each given once. */
const KNOWN = new Set([...CONTROL, 'outcome', 'testcases', 'testcases:like', 'groups', 'since']);

type Parsed =
  | { ok: true; filter: ResultFilter; paging: Paging; view: ResultView }
  | { ok: false; message: string };

/**
 * The query as one string per parameter. A parameter of `known` given more than once is refused;
 * another one's values are joined with commas, as ResultsDB flattens repeated data keys
 * (`item=a&item=b` is `item=a,b`), or it is dropped when `others` is `ignore`.
 */
function readQuery(
  query: Record<string, unknown>,
  known: ReadonlySet<string>,
  others: 'merge' | 'ignore',
): Record<string, string> | string {
  // No prototype: `__proto__` is a data key like any other, not a way to drop the filter.
  const one: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, raw] of Object.entries(query)) {
    if (!known.has(key) && others === 'ignore') continue;
    // A data key is compared with stored keys: PostgreSQL fails on U+0000 in it (a 500).
    const inKey = unstorableText(key);
    if (inKey) return `parameter ${JSON.stringify(key)}: its name ${inKey}`;
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    if (values.length > 1 && known.has(key)) return `${key} given more than once`;
    if (!values.every((v): v is string => typeof v === 'string')) return `${key} is not text`;
    const inValue = values.map(unstorableText).find(Boolean);
    if (inValue) return `${key}: ${inValue}`;
    one[key] = values.join(',');
  }
  return one;
}

/**
 * `_sort` and `_distinct_on`. ResultsDB sorts by submit_time only, and any other `_sort`
 * (`desc:id`, `ASC:submit_time`) is newest first, as its `select_results` falls back: a client
 * that sent one gets the results there, not a 400.
 */
function parseView(one: Record<string, string>): ResultView | string {
  const order = SORT.exec(one._sort ?? '')?.[1] === 'asc' ? 'asc' : 'desc';
  const distinctOn = list(one._distinct_on ?? '');
  if (distinctOn.length > PAGING.maxValues) return `_distinct_on: at most ${PAGING.maxValues} keys`;
  const bad = distinctOn.find((k) => k.includes(':'));
  if (bad !== undefined) return `_distinct_on: ${bad} is not a data key`;
  return { order, distinctOn };
}

const SORT = /^(asc|desc):submit_time$/;

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Python's int() of a parameter (reqparse's `type=int`): text that is none is a 400 there too. */
function integer(raw: string | undefined, name: string, fallback: number): number | string {
  if (raw === undefined || raw === '') return fallback;
  // Any number of digits, as int() reads them: one too large is refused or capped by its bound
  // (parsePaging), not called no whole number.
  return /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : `${name} must be a whole number`;
}

/**
 * `page` (from 0) and `limit` (20; over `apiMaxLimit`, that): a negative page is page 0, as
 * ResultsDB takes it; a limit under 1 is refused.
 */
function parsePaging(one: Record<string, string>): Paging | string {
  const page = integer(one.page, 'page', 0);
  const limit = integer(one.limit, 'limit', PAGING.defaultLimit);
  if (typeof page === 'string') return page;
  if (typeof limit === 'string') return limit;
  if (limit < 1) return 'limit must be at least 1';
  if (page > PAGING.maxPage) return `page must be at most ${PAGING.maxPage}`;
  return { page: Math.max(page, 0), limit: Math.min(limit, PAGING.apiMaxLimit) };
}

/** A comma-separated list of at most `PAGING.maxValues` values, or the 400 naming `key`. */
function values(key: string, value: string, split = list): string[] | string {
  const all = split(value);
  return all.length > PAGING.maxValues ? `${key}: at most ${PAGING.maxValues} values` : all;
}

/**
 * One time of `since`, as ResultsDB's iso8601.parse_date reads it: `YYYY[-MM[-DD]]` or
 * `YYYYMMDD`, then `[T ]HH[:MM[:SS[.ffffff]]]`, then `Z` or `±HH[:MM]` (none: UTC). Its
 * `,` before a fraction cannot come: `since` is split at commas first, in ResultsDB too.
 */
const ISO8601 =
  /^(\d{4})(?:(?:-(\d{1,2})|(\d{2})(?!$))(?:(?:-(\d{1,2})|(\d{2}))(?:[T ](\d{2})(?::?(\d{2}))?(?::?(\d{1,2})(?:\.(\d+))?)?(Z|([+-])(\d{2}):?(\d{2})?)?)?)?)?$/;

/** A `since` time as a stored one, or why it is none (null: it is no ISO 8601 time). */
export type QueryTime = { ok: true; value: string } | { ok: false; why: string | null };

/**
 * A `since` time as a stored one (UTC). An offset is converted to UTC: ResultsDB dropped it
 * without converting, so `10:00+02:00` was 10:00 UTC there and is 08:00 UTC here. One of 24 h
 * or more is refused, as Python's `timezone` refuses it (iso8601's ParseError; its minutes may be
 * 60 or more, as `timedelta` adds them: `+01:75` is 2 h 15 min).
 */
export function parseQueryTime(text: string): QueryTime {
  const none = { ok: false, why: null } as const;
  const m = ISO8601.exec(text);
  if (!m) return none;
  const n = (i: number) => Number(m[i] ?? 0);
  const d = utcTime(n(1), Number(m[2] ?? m[3] ?? 1), Number(m[4] ?? m[5] ?? 1), n(6), n(7), n(8));
  if (!d) return none;
  const minutes = n(12) * 60 + n(13);
  if (minutes >= 24 * 60)
    return {
      ok: false,
      why: `${JSON.stringify(text)} has the UTC offset ${m[10]!}, and Python's datetime takes only offsets strictly between -24:00 and +24:00`,
    };
  const utc = new Date(d.getTime() - (m[11] === '-' ? -minutes : minutes) * 60_000);
  if (!representable(utc)) return none;
  return {
    ok: true,
    value: `${storedTime(utc).slice(0, 19)}.${(m[9] ?? '').slice(0, 6).padEnd(6, '0')}`,
  };
}

/** ResultsDB's 400 for a `since` that is not `start[,end]` of ISO 8601 times. */
const SINCE_FORM = "'since' parameter not in ISO8601 format";

/**
 * `since=start[,end]`. Each part must be a time: as in ResultsDB, whose `iso8601.parse_date`
 * fails on an empty part, `since=,2016-08-16` is a 400, not the results from 2016-08-16 on, the
 * opposite of what it asks for, and so is `since=`, not every result. A part refused for a
 * reason of its own (an offset of 24 h) is named with it after ResultsDB's words.
 */
function parseSince(value: string): NonNullable<ResultFilter['since']> | string {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length > 2) return SINCE_FORM;
  const times: string[] = [];
  for (const part of parts) {
    const t = parseQueryTime(part);
    if (!t.ok) return t.why === null ? SINCE_FORM : `${SINCE_FORM}: ${t.why}`;
    times.push(t.value);
  }
  const [start, end] = times;
  return { start: start!, ...(end ? { end } : {}) };
}

/**
 * ResultsDB's query string: `page` (from 0), `limit`, `outcome`, `testcases`, `testcases:like`
 * (together: results of either), `groups`, `since=start[,end]`, `_sort`, `_distinct_on`, and any
 * other key as a data filter (`item=a,b`, `key:like=x*`; a repeated one is one list).
 * Each known one given once; a repeated one is a 400 naming it. With `outcomes`, an `outcome`
 * not among them is a 400, as in ResultsDB.
 */
export function parseResultQuery(
  query: Record<string, unknown>,
  outcomes?: readonly string[],
): Parsed {
  const filter: ResultFilter = { data: [] };
  const one = readQuery(query, KNOWN, 'merge');
  if (typeof one === 'string') return { ok: false, message: one };
  const paging = parsePaging(one);
  if (typeof paging === 'string') return { ok: false, message: paging };
  const view = parseView(one);
  if (typeof view === 'string') return { ok: false, message: view };
  for (const [key, value] of Object.entries(one)) {
    if (CONTROL.has(key)) continue;
    if (key === 'since') {
      const since = parseSince(value);
      if (typeof since === 'string') return { ok: false, message: since };
      filter.since = since;
      continue;
    }
    // A data filter's values are ResultsDB's `value.split(',')`: neither trimmed nor dropped
    // when empty, so `item=` selects the results whose item is empty (none, as a rule), never
    // every result: a client whose item came out empty must not read another item's results.
    const data = !KNOWN.has(key);
    // `outcome` too is split as given: ResultsDB 2.0 checked each part, trimmed, so an empty
    // one (`outcome=`, `outcome=PASSED,`) is a 400 there, not "every outcome".
    const given = values(key, value, data || key === 'outcome' ? (v) => v.split(',') : list);
    if (typeof given === 'string') return { ok: false, message: given };
    // An empty list filters nothing (and `in ()` is no SQL).
    if (!given.length) continue;
    if (key === 'outcome') {
      filter.outcomes = given.map((v) => v.trim().toUpperCase());
      // ResultsDB refuses an outcome it does not know (`outcome 'X' not one of ...`).
      const unknown = filter.outcomes.find((o) => outcomes && !outcomes.includes(o));
      if (outcomes && unknown !== undefined)
        return {
          ok: false,
          message: `outcome ${pythonRepr(unknown)} not one of ${pythonTuple(outcomes)}`,
        };
    } else if (key === 'testcases') filter.testcases = given;
    else if (key === 'testcases:like') filter.testcasesLike = given;
    else if (key === 'groups') filter.groups = given;
    else {
      const like = key.endsWith(':like');
      const dataKey = like ? key.slice(0, -5) : key;
      if (!dataKey || dataKey.includes(':'))
        return { ok: false, message: `${key} is not a data key filter` };
      filter.data.push({ key: dataKey, values: given, like });
    }
  }
  return { ok: true, filter, paging, view };
}

/**
 * ResultsDB's 400 for `_distinct_on` with nothing else to select by: "latest" would then take
 * every stored result apart by those keys.
 */
export const DISTINCT_ON_ALONE = "Please, provide at least one filter beside '_distinct_on'";

/**
 * Whether the filter selects by more than the outcome, as ResultsDB asks of `_distinct_on`
 * (testcases, groups, since or data): "latest" ignores the outcome.
 */
export const selectsBeyondOutcome = (f: ResultFilter): boolean =>
  Boolean(f.testcases || f.testcasesLike || f.groups || f.since || f.data.length);

/** What GET /groups selects: uuids, and descriptions equal to or (else) like any given. */
export interface GroupFilter {
  uuids?: string[];
  descriptions?: string[];
  /** `*` wildcards. */
  descriptionsLike?: string[];
}

/** What GET /testcases selects: names equal to or (else) like any given. */
export interface TestcaseFilter {
  names?: string[];
  /** `*` wildcards. */
  namesLike?: string[];
}

type ListQuery<F> = { ok: true; filter: F; paging: Paging } | { ok: false; message: string };

/**
 * `page`, `limit` and the lists of the keys of `lists`, each split by its function; other
 * parameters are ignored, as ResultsDB does.
 */
function parseListQuery<K extends string>(
  query: Record<string, unknown>,
  lists: Record<K, (value: string) => string[]>,
): ListQuery<Partial<Record<K, string[]>>> {
  const one = readQuery(query, new Set(['page', 'limit', ...Object.keys(lists)]), 'ignore');
  if (typeof one === 'string') return { ok: false, message: one };
  const paging = parsePaging(one);
  if (typeof paging === 'string') return { ok: false, message: paging };
  const filter: Partial<Record<K, string[]>> = {};
  for (const [key, split] of Object.entries(lists) as Array<[K, (value: string) => string[]]>) {
    const given = one[key] === undefined ? [] : values(key, one[key], split);
    if (typeof given === 'string') return { ok: false, message: given };
    if (given.length) filter[key] = given;
  }
  return { ok: true, filter, paging };
}

/** Blank entries skipped, the others as given: ResultsDB compares descriptions untrimmed. */
const untrimmed = (v: string) => v.split(',').filter((s) => s.trim());

/**
 * ResultsDB's `uuid.split(',')`: each part as given, neither trimmed nor dropped, as uuids are
 * stored (`?uuid=%20g` is the group `" g"`); an empty value is no filter (`if args['uuid']`).
 */
const asGiven = (v: string) => (v === '' ? [] : v.split(','));

/**
 * GET /groups: `uuid` (any of a comma list), and `description` (equal to any of a comma list)
 * or, only without it, `description:like` (`*` wildcards), as ResultsDB reads them.
 */
export function parseGroupQuery(query: Record<string, unknown>): ListQuery<GroupFilter> {
  const q = parseListQuery(query, {
    uuid: asGiven,
    description: untrimmed,
    'description:like': untrimmed,
  });
  if (!q.ok) return q;
  const { uuid, description, 'description:like': like } = q.filter;
  const byDescription = query.description
    ? { descriptions: description }
    : { descriptionsLike: like };
  return { ok: true, paging: q.paging, filter: drop({ uuids: uuid, ...byDescription }) };
}

/** GET /testcases: `name` (equal to any of a comma list) or, only without it, `name:like`. */
export function parseTestcaseQuery(query: Record<string, unknown>): ListQuery<TestcaseFilter> {
  const q = parseListQuery(query, { name: list, 'name:like': list });
  if (!q.ok) return q;
  const { name, 'name:like': like } = q.filter;
  const byName = query.name ? { names: name } : { namesLike: like };
  return { ok: true, paging: q.paging, filter: drop(byName) };
}

/** The object without its undefined fields, so that filters compare and print plainly. */
const drop = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** `*` wildcards as SQL LIKE, with LIKE's own characters escaped (escape character `\`). */
export const likePattern = (glob: string): string =>
  glob.replace(/[\\%_]/g, '\\$&').replace(/\*/g, '%');
