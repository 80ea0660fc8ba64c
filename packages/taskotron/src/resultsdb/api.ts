import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { member, numberLiterals, unstorableText } from '@loopabull/core/cli';
import { pythonList, pythonStr, pythonTuple } from './python-text.js';
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
/** A name that may be empty: a result's testcase, whose empty name ResultsDB refuses in its own words. */
const maybeEmptyName = z.string().max(SIZES.name);
/**
 * A string of at most `max` characters, or a number or boolean, which ResultsDB stores as
 * Python's `str()` of it (`pythonStr`): a data value, or a text field (`textField`).
 */
const scalar = (max: number, params?: { error: string }) =>
  z.union([z.string().max(max), z.number(), z.boolean()], params);
const dataValue = scalar(SIZES.value);
/**
 * A result's `note` or `ref_url`, a group's `description` or `ref_url`, a testcase's `ref_url`:
 * text, or a number or boolean that ResultsDB 2.0 stored as its text (Flask-RESTful's default
 * argument type, `unicode(value)`), as for data values (`textOf`).
 */
const textField = (field: string) =>
  scalar(SIZES.text, { error: `${field} must be a string, number or boolean` }).nullish();

/**
 * A group's uuid: `text`, or a number or boolean, which ResultsDB 2.0's parser made its text in
 * POST /groups (`unicode(value)`, `uuidText`). A result's group objects take it the same way, so
 * that one object names one group on both routes (ResultsDB handed the number to the database
 * there: a 500 on PostgreSQL).
 */
const uuidField = (text: z.ZodString) =>
  z.union([text, z.number(), z.boolean()], { error: 'uuid must be a string, number or boolean' });

/**
 * Other keys of a group or testcase object are ignored, as ResultsDB reads only the ones it
 * knows: an object taken from a GET (with `href`, `results`) can be sent back.
 */
const groupObject = z.object({
  // null is none, as absent: ResultsDB's Group(uuid=None) makes a new one.
  uuid: uuidField(name).nullish(),
  description: textField('description'),
  ref_url: textField('ref_url'),
});
/** A testcase's name, said missing or empty in words rather than as zod's types. */
const testcaseName = z
  .string({ error: (issue) => (issue.input === undefined ? 'missing' : undefined) })
  .min(1, { error: 'must not be empty' })
  .max(SIZES.name);
const testcaseObject = z.object({ name: testcaseName, ref_url: textField('ref_url') });
/**
 * A result's testcase: a name, or an object; one whose name is empty or absent is refused after
 * the outcome and the data keys are checked, with ResultsDB's words (`parseNewResult`).
 */
const resultTestcase = z.union(
  [maybeEmptyName, testcaseObject.extend({ name: maybeEmptyName.optional() })],
  { error: 'testcase must be a name or {name, ref_url}' },
);
/**
 * POST /groups: a uuid that is empty or null is none, and the group gets a new one, as
 * ResultsDB's `if body.uuid` reads them.
 */
const newGroupObject = groupObject.extend({
  uuid: uuidField(z.string().max(SIZES.name)).nullish(),
});

const postSchema = z.looseObject({
  outcome: z.string({
    error: (issue) =>
      issue.input === undefined ? 'outcome is required' : 'outcome must be a string',
  }),
  testcase: resultTestcase,
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
  data: z.preprocess(
    // ResultsDB 2.0's parser took `dict(value)` of data: `[]` and `""` are no data there.
    (v) => (v === '' || (Array.isArray(v) && v.length === 0) ? null : v),
    z
      .record(
        z
          .string()
          .min(1, { error: 'a key must not be empty' })
          .max(SIZES.name, { error: `a key has at most ${SIZES.name} characters` }),
        z.union([dataValue, z.array(dataValue).max(1000)], {
          error: 'a data value must be a string, number or boolean, or a list of them',
        }),
        { error: 'data must map keys to a string or a list of strings' },
      )
      .nullish(),
  ),
  submit_time: z.union([z.number(), z.string()]).nullish(),
});

/**
 * The 400 naming the first string that cannot be stored (`data.item.1: ...`; `data: keys ...`
 * for a key of a nested object), or null. PostgreSQL cannot store U+0000 in text (ResultsDB
 * answered 500 there); a lone surrogate is no character of UTF-8, which every dialect would
 * store as U+FFFD, so that two names sent apart became one (ResultsDB: 500, Python refusing to
 * encode it). Both are refused on every dialect so that the API answers the same on each.
 */
function unstorableAt(fields: Record<string, unknown>, at: string[] = []): string | null {
  for (const [key, value] of Object.entries(fields)) {
    const path = [...at, key];
    const inKey = unstorableText(key);
    if (inKey) return `${at.join('.')}: keys ${inKey}`;
    const inValue = typeof value === 'string' ? unstorableText(value) : null;
    if (inValue) return `${path.join('.')}: ${inValue}`;
    if (value !== null && typeof value === 'object') {
      const found = unstorableAt(value as Record<string, unknown>, path);
      if (found) return found;
    }
  }
  return null;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `YYYY-MM-DDTHH:MM:SS.ffffff` of a Date, in UTC, as the store keeps times: the year always four
 * digits, so that times sort as text. `microseconds` (0 to 999) are those within its millisecond,
 * which a Date does not hold. Only for `representable` dates.
 */
export const storedTime = (d: Date, microseconds = 0): string =>
  `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:` +
  `${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds() * 1000 + microseconds, 6)}`;

/** How far past its millisecond's edges a reading may fall before the clock is set again, in µs. */
const EDGE_US = 50;

/**
 * A clock of microseconds since the epoch that stays the wall clock's to the millisecond
 * (`wall`, Date.now) and takes the microseconds within it from the monotonic clock (`mono`,
 * performance.now, in ms since `origin`). When the two part by more than a reading at a
 * millisecond's edge (the wall clock slewed by NTP, or set on a VM's resume), it is set again at
 * the next tick of the wall clock, waiting for it (under a millisecond): set at whatever point
 * of a millisecond, it read up to a millisecond behind, so that most readings fell before the
 * wall clock's millisecond and were its start (`.415000`, as a millisecond clock).
 */
export function microsecondClock(
  wall: () => number = Date.now,
  mono: () => number = () => performance.now(),
  origin: number = performance.timeOrigin,
): () => number {
  let offset = origin;
  return () => {
    const ms = wall();
    const us = Math.floor((offset + mono()) * 1000);
    const start = ms * 1000;
    if (us >= start - EDGE_US && us < start + 1000 + EDGE_US)
      return Math.min(Math.max(us, start), start + 999);
    let tick = wall();
    while (tick === ms) tick = wall();
    offset = tick - mono();
    return tick * 1000;
  };
}

const clock = microsecondClock();

/** Now as the store keeps it, to the microsecond, as ResultsDB's `datetime.utcnow()` stamped a result without submit_time. */
export function utcNow(): string {
  const us = clock();
  return storedTime(new Date(Math.floor(us / 1000)), us % 1000);
}

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
 * converted to UTC). None is `now`, a stored time (`utcNow()`).
 */
export function parseSubmitTime(
  value: number | string | null | undefined,
  now: string,
): Answer<string> {
  if (value === null || value === undefined) return { ok: true, value: now };
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
  for (const option of issue.errors) {
    // zod runs a schema's checks even on a value not of its type (`[]` for a name: "expected
    // array to have >=1 items"): those say nothing of the value, nor does an option it is not of.
    const mistyped = option.filter((i) => i.code === 'invalid_type').map((i) => i.path.join('.'));
    if (mistyped.includes('')) continue;
    for (const inner of option) {
      if (mistyped.includes(inner.path.join('.'))) continue;
      const found = telling(inner, path);
      if (found) return found;
    }
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
 * The body's numbers as written (`numberLiterals`), read only when one of `values` is a number:
 * the body is parsed again only then.
 */
const literalsOf = (json: string | undefined, values: unknown[]): unknown =>
  json !== undefined && values.some((v) => typeof v === 'number')
    ? numberLiterals(json)
    : undefined;

/**
 * What ResultsDB 2.0 stored of a `textField`: Python's `str()` of a number or boolean, the number
 * written from `literal`, its text in the body, when that is given (`1.0`, not `1`). null and
 * absent stay so (null clears a stored value, absent keeps it).
 */
const textOf = (
  v: string | number | boolean | null | undefined,
  literal: unknown,
): string | null | undefined => (v === null || v === undefined ? v : pythonStr(v, literal));

/**
 * The uuid ResultsDB 2.0 stored of a `uuidField` (`textOf`: `5`, `1.0`, `False`), refused when
 * the digits of a number are more than a uuid holds (`at` names it).
 */
function uuidText(
  v: string | number | boolean | null | undefined,
  literal: unknown,
  at: string,
): Answer<string | null | undefined> {
  const text = textOf(v, literal);
  return text && text.length > SIZES.name
    ? { ok: false, message: `${at}: a uuid has at most ${SIZES.name} characters` }
    : { ok: true, value: text };
}

/**
 * A POST /api/v2.0/groups body: `{uuid?, description?, ref_url?}`; no uuid gets a new one. As
 * ResultsDB, an existing group is updated, and only with the fields given and not empty (a
 * number or boolean is its text first, so a uuid `0` is the group `0`, and a description `0` or
 * `false` is set). `json` is the body's text.
 */
export function parseNewGroup(
  body: unknown,
  json?: string,
): Answer<{ uuid: string; description?: string; ref_url?: string }> {
  const parsed = newGroupObject.safeParse(body ?? {});
  if (!parsed.success) return problem(parsed.error);
  const unfit = unstorableAt(parsed.data);
  if (unfit) return { ok: false, message: unfit };
  const literals = literalsOf(json, [
    parsed.data.uuid,
    parsed.data.description,
    parsed.data.ref_url,
  ]);
  const uuid = uuidText(parsed.data.uuid, member(literals, 'uuid'), 'uuid');
  if (!uuid.ok) return uuid;
  const description = textOf(parsed.data.description, member(literals, 'description'));
  const ref_url = textOf(parsed.data.ref_url, member(literals, 'ref_url'));
  return {
    ok: true,
    value: {
      uuid: uuid.value || randomUUID(),
      ...(description ? { description } : {}),
      ...(ref_url ? { ref_url } : {}),
    },
  };
}

/**
 * A POST /api/v2.0/testcases body: `{name, ref_url?}`. A ref_url absent or null keeps the stored
 * one, as ResultsDB's `if args['ref_url'] is not None`. `json` is the body's text.
 */
export function parseNewTestcase(
  body: unknown,
  json?: string,
): Answer<{ name: string; ref_url?: string }> {
  const parsed = testcaseObject.safeParse(body ?? {});
  if (!parsed.success) return problem(parsed.error);
  const unfit = unstorableAt(parsed.data);
  if (unfit) return { ok: false, message: unfit };
  const { name } = parsed.data;
  const ref_url = textOf(
    parsed.data.ref_url,
    member(literalsOf(json, [parsed.data.ref_url]), 'ref_url'),
  );
  return { ok: true, value: { name, ...(ref_url == null ? {} : { ref_url }) } };
}

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
  const colons = Object.keys(data).filter((key) => key.includes(':'));
  if (colons.length)
    return { ok: false, message: `Colon not allowed in key name: ${pythonList(colons)}` };
  const rows: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(data)) {
    const given = member(literals, key);
    const list = Array.isArray(value) ? value : [value];
    for (const [i, v] of list.entries())
      rows.push([key, pythonStr(v, Array.isArray(value) ? member(given, i) : given)]);
  }
  return { ok: true, value: rows };
}

/**
 * A POST /api/v2.0/results body checked as ResultsDB checks it; messages as ResultsDB's 400s.
 * `json` is the body's text, where numbers are read from (`textOf`, `dataRows`).
 */
export function parseNewResult(
  body: unknown,
  opts: { outcomes: readonly string[]; now: string; json?: string },
): Answer<NewResult> {
  const parsed = postSchema.safeParse(body);
  if (!parsed.success) return problem(parsed.error);
  const b = parsed.data;
  const unfit = unstorableAt({
    outcome: b.outcome,
    testcase: b.testcase,
    groups: b.groups,
    note: b.note,
    ref_url: b.ref_url,
    data: b.data,
  });
  if (unfit) return { ok: false, message: unfit };
  const outcome = b.outcome.trim().toUpperCase();
  if (!opts.outcomes.includes(outcome))
    return { ok: false, message: `outcome must be one of ${pythonTuple(opts.outcomes)}` };
  const tc = typeof b.testcase === 'string' ? { name: b.testcase } : b.testcase;
  const objects = (b.groups ?? []).map((g) => (typeof g === 'string' ? { uuid: g } : g));
  const literals = literalsOf(opts.json, [
    b.note,
    b.ref_url,
    tc.ref_url,
    ...objects.flatMap((g) => [g.uuid, g.description, g.ref_url]),
    ...Object.values(b.data ?? {}).flat(),
  ]);
  const at = (...path: Array<string | number>) =>
    path.reduce<unknown>((o, key) => member(o, key), literals);
  const data = dataRows(b.data ?? {}, at('data'));
  if (!data.ok) return data;
  // ResultsDB's checks of the name, after those of the outcome and the data keys.
  if (tc.name === '') return { ok: false, message: 'testcase name not set' };
  if (tc.name === undefined) return { ok: false, message: 'testcase.name not set' };
  const time = parseSubmitTime(b.submit_time, opts.now);
  if (!time.ok) return time;
  // An object's absent field stays undefined: the stored one is kept (ResultsDB's tc.get).
  const testcase = { name: tc.name, ref_url: textOf(tc.ref_url, at('testcase', 'ref_url')) };
  const groups: NewResult['groups'] = [];
  for (const [i, g] of objects.entries()) {
    const uuid = uuidText(g.uuid, at('groups', i, 'uuid'), `groups.${i}.uuid`);
    if (!uuid.ok) return uuid;
    groups.push({
      uuid: uuid.value ?? randomUUID(),
      description: textOf(g.description, at('groups', i, 'description')),
      ref_url: textOf(g.ref_url, at('groups', i, 'ref_url')),
    });
  }
  return {
    ok: true,
    value: {
      outcome,
      testcase,
      groups,
      note: textOf(b.note, at('note')) ?? null,
      ref_url: textOf(b.ref_url, at('ref_url')) ?? null,
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
