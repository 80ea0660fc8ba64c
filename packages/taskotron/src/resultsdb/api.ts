import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { numberLiterals, pythonStr } from './python-text.js';
import { SIZES } from './tables.js';
import { pathValue, queryValue } from './werkzeug.js';

/** A result as the store keeps it; `serializeResult` gives ResultsDB's JSON. */
export interface StoredResult {
  id: number;
  testcase: { name: string; ref_url: string | null };
  groups: string[];
  outcome: string;
  note: string | null;
  ref_url: string | null;
  submit_time: string;
  data: Record<string, string[]>;
}

/** Absent fields of the testcase and groups keep what is stored; null clears it (ResultsDB's `get`). */
export interface NewResult {
  outcome: string;
  testcase: { name: string; ref_url?: string | null };
  groups: Array<{ uuid: string; description?: string | null; ref_url?: string | null }>;
  note: string | null;
  ref_url: string | null;
  submit_time: string;
  data: Array<[string, string]>;
}

type Answer<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * A testcase name or group uuid, taken as sent: ResultsDB trims neither (a testcase `' a '` is its
 * own), and refuses only an empty one.
 */
const name = z.string().min(1).max(SIZES.name);
const url = z.string().max(SIZES.text).nullish();
/** A data value as sent; ResultsDB stores Python's `str()` of it (`pythonStr`). */
const scalar = z.union([z.string().max(SIZES.value), z.number(), z.boolean()]);
/**
 * A result's `note` or `ref_url`: text, or a number or boolean that ResultsDB 2.0 stored as its
 * text (Flask-RESTful's default argument type, `unicode(value)`), as for data values.
 */
const textField = (field: string) =>
  z
    .union([z.string().max(SIZES.text), z.number(), z.boolean()], {
      error: `${field} must be a string, number or boolean`,
    })
    .nullish();

/**
 * Other keys of a group or testcase object are ignored, as ResultsDB reads only the ones it
 * knows: an object taken from a GET (with `href`, `results`) can be sent back.
 */
const groupObject = z.object({
  // null is none, as absent: ResultsDB's Group(uuid=None) makes a new one.
  uuid: name.nullish(),
  description: z.string().max(SIZES.text).nullish(),
  ref_url: url,
});
const testcaseObject = z.object({ name, ref_url: url });
/**
 * POST /groups: a uuid that is empty or null is none, and the group gets a new one, as
 * ResultsDB's `if body.uuid` reads them.
 */
const newGroupObject = groupObject.extend({ uuid: z.string().max(SIZES.name).nullish() });

const postSchema = z.looseObject({
  outcome: z.string({
    error: (issue) =>
      issue.input === undefined ? 'outcome is required' : 'outcome must be a string',
  }),
  testcase: z.union([name, testcaseObject], {
    error: 'testcase must be a name or {name, ref_url}',
  }),
  groups: z
    .array(
      z.union([name, groupObject], {
        error: 'a group must be a uuid or {uuid, description, ref_url}',
      }),
      { error: 'groups must be a list of uuids or {uuid, description, ref_url}' },
    )
    // Its own message: the list's above would call a list that is too long no list.
    .max(100, { error: 'a result is in at most 100 groups' })
    .nullish(),
  note: textField('note'),
  ref_url: textField('ref_url'),
  data: z
    .record(
      z
        .string()
        .min(1, { error: 'a key must not be empty' })
        .max(SIZES.name, { error: `a key has at most ${SIZES.name} characters` }),
      z.union([scalar, z.array(scalar).max(1000)], {
        error: 'a data value must be a string, number or boolean, or a list of them',
      }),
      { error: 'data must map keys to a string or a list of strings' },
    )
    .nullish(),
  submit_time: z.union([z.number(), z.string()]).nullish(),
});

export const NUL_REFUSED = 'must not contain a NUL character (U+0000)';

/**
 * The 400 naming the first string holding U+0000 (`data.item.1: ...`; `data: keys ...` for a
 * key of a nested object), or null. PostgreSQL cannot store that character in text (ResultsDB answered 500 there); it is
 * refused on every dialect so that the API answers the same on each.
 */
function nulRefused(fields: Record<string, unknown>, at: string[] = []): string | null {
  for (const [key, value] of Object.entries(fields)) {
    const path = [...at, key];
    if (key.includes('\0')) return `${at.join('.')}: keys ${NUL_REFUSED}`;
    if (typeof value === 'string' && value.includes('\0'))
      return `${path.join('.')}: ${NUL_REFUSED}`;
    if (value !== null && typeof value === 'object') {
      const found = nulRefused(value as Record<string, unknown>, path);
      if (found) return found;
    }
  }
  return null;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `YYYY-MM-DDTHH:MM:SS.ffffff` of a Date, in UTC, as the store keeps times: the year always four
 * digits, so that times sort as text. Only for `representable` dates.
 */
export const storedTime = (d: Date): string =>
  `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:` +
  `${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds() * 1000, 6)}`;

/** Years 0001 to 9999: what Python's datetime (so ResultsDB) holds and `storedTime` writes. */
export const representable = (d: Date): boolean =>
  !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999;

/**
 * The UTC time of these fields, or null when they name none (February 30, hour 24). Not
 * `Date.UTC`, which reads the years 0 to 99 as 1900 to 1999.
 */
export function utcTime(
  year: number,
  month: number,
  day: number,
  hours = 0,
  minutes = 0,
  seconds = 0,
): Date | null {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hours, minutes, seconds, 0);
  const same =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hours &&
    d.getUTCMinutes() === minutes &&
    d.getUTCSeconds() === seconds;
  return same ? d : null;
}

/** Python's isoformat of a naive datetime: the fraction only when it is not zero. */
export const isoformat = (stored: string): string => stored.replace(/\.0{6}$/, '');

/** `Z`, or an offset as Python's `%z` reads it (`+02:00`, `+0200`), or ResultsDB's literal `+00`. */
const TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]00|([+-])(\d{2}):?(\d{2}))?$/;
/** A string of ms since the epoch, as Python's `int()` reads one. */
const MILLISECONDS = /^\s*[+-]?\d{1,16}\s*$/;
const YEARS = 'between the years 0001 and 9999';

const fromMilliseconds = (value: number | string): Answer<string> => {
  const d = new Date(Number(value));
  return representable(d)
    ? { ok: true, value: storedTime(d) }
    : {
        ok: false,
        message: `submit_time ${JSON.stringify(value)} is not a time in ms since the epoch ${YEARS}`,
      };
};

/**
 * ResultsDB's submit_time: ms since the epoch (a number, or a string of one), or
 * `YYYY-MM-DDTHH:MM:SS[.ffffff]` in UTC, or with `Z`, `+00` or an offset (`+02:00`, `+0200`:
 * converted to UTC).
 */
export function parseSubmitTime(
  value: number | string | null | undefined,
  now: Date,
): Answer<string> {
  if (value === null || value === undefined) return { ok: true, value: storedTime(now) };
  if (typeof value === 'number' || MILLISECONDS.test(value)) return fromMilliseconds(value);
  const m = TIME.exec(value);
  const d = m && utcTime(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const offset = m?.[9] ? (m[9] === '-' ? -1 : 1) * (+m[10]! * 60 + +m[11]!) : 0;
  if (!m || !d || +(m[10] ?? 0) > 23 || +(m[11] ?? 0) > 59)
    return {
      ok: false,
      message: `submit_time ${JSON.stringify(value)} is not YYYY-MM-DDTHH:MM:SS[.ffffff]`,
    };
  const utc = new Date(d.getTime() - offset * 60_000);
  if (!representable(d) || !representable(utc))
    return { ok: false, message: `submit_time ${JSON.stringify(value)} is not ${YEARS}` };
  return { ok: true, value: `${storedTime(utc).slice(0, 19)}.${(m[7] ?? '').padEnd(6, '0')}` };
}

/**
 * The issue that says what is wrong: of a union none of whose options took the value, the first
 * problem of an option of the value's type (`data.k: Too big: ...` for a string too long), with
 * its whole path; null when the value has none of the options' types, and then the union's own
 * message says what it takes (`data.k: a data value must be ...`), not zod's "Invalid input".
 */
function telling(issue: z.core.$ZodIssue, at: PropertyKey[]): z.core.$ZodIssue | null {
  const path = [...at, ...issue.path];
  if (issue.code === 'invalid_type') return null;
  // A bad key: what is wrong with it, at the record (the key may be long), not the record's
  // own message about the values.
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0];
    return inner ? { ...inner, path: path.slice(0, -1) } : null;
  }
  if (issue.code !== 'invalid_union') return { ...issue, path };
  for (const option of issue.errors)
    for (const inner of option) {
      const found = telling(inner, path);
      if (found) return found;
    }
  return null;
}

/** The first problem zod found, as ResultsDB words its 400s: `key: problem`. */
function problem(error: z.ZodError): { ok: false; message: string } {
  const i = telling(error.issues[0]!, []) ?? error.issues[0]!;
  const at = i.path.join('.');
  return {
    ok: false,
    message: at && !i.message.startsWith(String(i.path[0])) ? `${at}: ${i.message}` : i.message,
  };
}

/**
 * A POST /api/v2.0/groups body: `{uuid?, description?, ref_url?}`; no uuid gets a new one. As
 * ResultsDB, an existing group is updated, and only with the fields given and not empty.
 */
export function parseNewGroup(
  body: unknown,
): Answer<{ uuid: string; description?: string; ref_url?: string }> {
  const parsed = newGroupObject.safeParse(body ?? {});
  if (!parsed.success) return problem(parsed.error);
  const nul = nulRefused(parsed.data);
  if (nul) return { ok: false, message: nul };
  const { uuid, description, ref_url } = parsed.data;
  return {
    ok: true,
    value: {
      uuid: uuid || randomUUID(),
      ...(description ? { description } : {}),
      ...(ref_url ? { ref_url } : {}),
    },
  };
}

/**
 * A POST /api/v2.0/testcases body: `{name, ref_url?}`. A ref_url absent or null keeps the stored
 * one, as ResultsDB's `if args['ref_url'] is not None`.
 */
export function parseNewTestcase(body: unknown): Answer<{ name: string; ref_url?: string }> {
  const parsed = testcaseObject.safeParse(body ?? {});
  if (!parsed.success) return problem(parsed.error);
  const nul = nulRefused(parsed.data);
  if (nul) return { ok: false, message: nul };
  const { name, ref_url } = parsed.data;
  return { ok: true, value: { name, ...(ref_url == null ? {} : { ref_url }) } };
}

/** The member `key` of a JSON object or array, if it has one. */
const member = (o: unknown, key: string | number): unknown =>
  typeof o === 'object' && o !== null && Object.hasOwn(o, key)
    ? (o as Record<string, unknown>)[key]
    : undefined;

/**
 * The data as ResultsDB stores it: one row per value, each the text Python's `str()` gives it.
 * A number is written from its literal in `literals` (the body's `data` as `numberLiterals`
 * reads it) when that is given: `1.0` stays `1.0` (Python's float), where JSON.parse's value
 * alone would be the int `1`.
 */
function dataRows(
  data: Record<string, string | number | boolean | Array<string | number | boolean>>,
  literals: unknown,
): Answer<Array<[string, string]>> {
  const rows: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(data)) {
    if (key.includes(':')) return { ok: false, message: `Colon not allowed in key name: ${key}` };
    const given = member(literals, key);
    const list = Array.isArray(value) ? value : [value];
    for (const [i, v] of list.entries())
      rows.push([key, pythonStr(v, Array.isArray(value) ? member(given, i) : given)]);
  }
  return { ok: true, value: rows };
}

/**
 * A POST /api/v2.0/results body checked as ResultsDB checks it; messages as ResultsDB's 400s.
 * `json` is the body's text, where numbers in `data`, `note` and `ref_url` are read from.
 */
export function parseNewResult(
  body: unknown,
  opts: { outcomes: readonly string[]; now: Date; json?: string },
): Answer<NewResult> {
  const parsed = postSchema.safeParse(body);
  if (!parsed.success) return problem(parsed.error);
  const b = parsed.data;
  const nul = nulRefused({
    outcome: b.outcome,
    testcase: b.testcase,
    groups: b.groups,
    note: b.note,
    ref_url: b.ref_url,
    data: b.data,
  });
  if (nul) return { ok: false, message: nul };
  const outcome = b.outcome.trim().toUpperCase();
  if (!opts.outcomes.includes(outcome))
    return { ok: false, message: `outcome must be one of ${opts.outcomes.join(', ')}` };
  // The body is read again only when a number needs its literal.
  const numbers = [b.note, b.ref_url, ...Object.values(b.data ?? {}).flat()].some(
    (v) => typeof v === 'number',
  );
  const literals = opts.json !== undefined && numbers ? numberLiterals(opts.json) : undefined;
  const data = dataRows(b.data ?? {}, member(literals, 'data'));
  if (!data.ok) return data;
  const text = (field: 'note' | 'ref_url') => {
    const v = b[field];
    return v === null || v === undefined ? null : pythonStr(v, member(literals, field));
  };
  const time = parseSubmitTime(b.submit_time, opts.now);
  if (!time.ok) return time;
  // An object's absent ref_url stays absent: the stored one is kept (ResultsDB's tc.get).
  const testcase = typeof b.testcase === 'string' ? { name: b.testcase } : b.testcase;
  const groups = (b.groups ?? []).map((g) =>
    typeof g === 'string' ? { uuid: g } : { ...g, uuid: g.uuid ?? randomUUID() },
  );
  return {
    ok: true,
    value: {
      outcome,
      testcase,
      groups,
      note: text('note'),
      ref_url: text('ref_url'),
      submit_time: time.value,
      data: data.value,
    },
  };
}

/** ResultsDB's result JSON; `base` is `<scheme>://<host>/api/v2.0`. */
export const serializeResult = (r: StoredResult, base: string) => ({
  id: r.id,
  groups: r.groups,
  testcase: serializeTestcase(r.testcase, base),
  submit_time: isoformat(r.submit_time),
  outcome: r.outcome,
  note: r.note,
  ref_url: r.ref_url,
  data: r.data,
  href: `${base}/results/${r.id}`,
});

/** ResultsDB's testcase JSON; its href as `url_for` writes it (`/testcases/a/b` for `a/b`). */
export const serializeTestcase = (t: { name: string; ref_url: string | null }, base: string) => ({
  name: t.name,
  ref_url: t.ref_url,
  href: `${base}/testcases/${pathValue(t.name)}`,
});

/** ResultsDB's group JSON; `resultsCount` is how many results the group holds. */
export const serializeGroup = (
  g: { uuid: string; description: string | null; ref_url: string | null },
  base: string,
  resultsCount: number,
) => ({
  uuid: g.uuid,
  description: g.description,
  ref_url: g.ref_url,
  results: `${base}/results?groups=${queryValue(g.uuid)}`,
  results_count: resultsCount,
  href: `${base}/groups/${pathValue(g.uuid)}`,
});
