import { parseSubmitTime } from './api.js';

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

export const PAGING = { defaultLimit: 20, maxLimit: 1000, maxValues: 100 } as const;
const CONTROL = new Set(['page', 'limit', '_sort', '_distinct_on', 'callback']);

type Parsed =
  | { ok: true; filter: ResultFilter; paging: Paging; view: ResultView }
  | { ok: false; message: string };

const SORT = /^(asc|desc):submit_time$/;

/** `_sort` and `_distinct_on`; ResultsDB sorts by submit_time only, and so do we. */
function parseView(one: Record<string, string>): ResultView | string {
  const sort = one._sort ?? '';
  const order = sort === '' ? 'desc' : SORT.exec(sort)?.[1];
  if (order !== 'asc' && order !== 'desc')
    return `_sort must be asc:submit_time or desc:submit_time, not ${JSON.stringify(sort)}`;
  const distinctOn = list(one._distinct_on ?? '');
  if (distinctOn.length > PAGING.maxValues) return `_distinct_on: at most ${PAGING.maxValues} keys`;
  const bad = distinctOn.find((k) => k.includes(':'));
  if (bad !== undefined) return `_distinct_on: ${bad} is not a data key`;
  return { order, distinctOn };
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function count(
  raw: string | undefined,
  name: string,
  fallback: number,
  max: number,
): number | string {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) return `${name} must be a whole number`;
  const n = Number(raw);
  return n > max ? `${name} must be at most ${max}` : n;
}

/**
 * ResultsDB's query string: `page` (from 0), `limit`, `outcome`, `testcases`, `testcases:like`,
 * `groups`, `since=start[,end]`, `_sort`, `_distinct_on`, and any other key as a data filter
 * (`item=a,b`, `key:like=x*`).
 * Each given once; a repeated one is a 400 naming it.
 */
export function parseResultQuery(query: Record<string, unknown>): Parsed {
  const filter: ResultFilter = { data: [] };
  const one: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (typeof value !== 'string') return { ok: false, message: `${key} given more than once` };
    one[key] = value;
  }
  const page = count(one.page, 'page', 0, 1_000_000);
  const limit = count(one.limit, 'limit', PAGING.defaultLimit, PAGING.maxLimit);
  if (typeof page === 'string') return { ok: false, message: page };
  if (typeof limit === 'string') return { ok: false, message: limit };
  if (limit === 0) return { ok: false, message: 'limit must be at least 1' };
  const view = parseView(one);
  if (typeof view === 'string') return { ok: false, message: view };
  for (const [key, value] of Object.entries(one)) {
    if (CONTROL.has(key) || value === '') continue;
    const values = list(value);
    if (values.length > PAGING.maxValues)
      return { ok: false, message: `${key}: at most ${PAGING.maxValues} values` };
    if (key === 'outcome') filter.outcomes = values.map((v) => v.toUpperCase());
    else if (key === 'testcases') filter.testcases = values;
    else if (key === 'testcases:like') filter.testcasesLike = values;
    else if (key === 'groups') filter.groups = values;
    else if (key === 'since') {
      const [start, end, extra] = values.map((v) => parseSubmitTime(v, new Date()));
      if (!start?.ok || (end && !end.ok) || extra)
        return { ok: false, message: 'since must be start[,end] times' };
      filter.since = { start: start.value, ...(end?.ok ? { end: end.value } : {}) };
    } else {
      const like = key.endsWith(':like');
      const dataKey = like ? key.slice(0, -5) : key;
      if (!dataKey || dataKey.includes(':'))
        return { ok: false, message: `${key} is not a data key filter` };
      filter.data.push({ key: dataKey, values, like });
    }
  }
  return { ok: true, filter, paging: { page, limit }, view };
}

/** `*` wildcards as SQL LIKE, with LIKE's own characters escaped (escape character `\`). */
export const likePattern = (glob: string): string =>
  glob.replace(/[\\%_]/g, '\\$&').replace(/\*/g, '%');
