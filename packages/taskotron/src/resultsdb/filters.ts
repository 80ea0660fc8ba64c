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

export const PAGING = { defaultLimit: 20, maxLimit: 1000, maxValues: 100 } as const;
const CONTROL = new Set(['page', 'limit', '_sort', '_distinct_on', 'callback']);

type Parsed = { ok: true; filter: ResultFilter; paging: Paging } | { ok: false; message: string };

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
 * `groups`, `since=start[,end]`, and any other key as a data filter (`item=a,b`, `key:like=x*`).
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
  return { ok: true, filter, paging: { page, limit } };
}

/** `*` wildcards as SQL LIKE, with LIKE's own characters escaped (escape character `\`). */
export const likePattern = (glob: string): string =>
  glob.replace(/[\\%_]/g, '\\$&').replace(/\*/g, '%');
