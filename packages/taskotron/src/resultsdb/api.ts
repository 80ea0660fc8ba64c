import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SIZES } from './tables.js';

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

const name = z.string().trim().min(1).max(SIZES.name);
const url = z.string().max(SIZES.text).nullish();
const scalar = z.union([z.string().max(SIZES.value), z.number(), z.boolean()]).transform(String);

const groupObject = z.strictObject({
  uuid: name.optional(),
  description: z.string().max(SIZES.text).nullish(),
  ref_url: url,
});
const testcaseObject = z.strictObject({ name, ref_url: url });

const postSchema = z.looseObject({
  outcome: z.string({ error: 'outcome is required' }),
  testcase: z.union([name, testcaseObject], {
    error: 'testcase must be a name or {name, ref_url}',
  }),
  groups: z
    .array(z.union([name, groupObject]), {
      error: 'groups must be a list of uuids or {uuid, description, ref_url}',
    })
    .max(100)
    .nullish(),
  note: z.string().max(SIZES.text).nullish(),
  ref_url: url,
  data: z
    .record(z.string().min(1).max(SIZES.name), z.union([scalar, z.array(scalar).max(1000)]), {
      error: 'data must map keys to a string or a list of strings',
    })
    .nullish(),
  submit_time: z.union([z.number(), z.string()]).nullish(),
});

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYY-MM-DDTHH:MM:SS.ffffff` of a Date, in UTC, as the store keeps times. */
export const storedTime = (d: Date): string =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:` +
  `${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds() * 1000, 6)}`;

/** Python's isoformat of a naive datetime: the fraction only when it is not zero. */
export const isoformat = (stored: string): string => stored.replace(/\.0{6}$/, '');

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z?$/;

/** ResultsDB's submit_time: ms since the epoch, or `YYYY-MM-DDTHH:MM:SS[.ffffff][Z]` (UTC). */
export function parseSubmitTime(
  value: number | string | null | undefined,
  now: Date,
): Answer<string> {
  if (value === null || value === undefined) return { ok: true, value: storedTime(now) };
  if (typeof value === 'number') {
    const d = new Date(value);
    return Number.isFinite(value) && !Number.isNaN(d.getTime()) && d.getUTCFullYear() < 10000
      ? { ok: true, value: storedTime(d) }
      : { ok: false, message: `submit_time ${value} is not a time in ms since the epoch` };
  }
  const m = TIME.exec(value);
  const bad = {
    ok: false as const,
    message: `submit_time ${JSON.stringify(value)} is not YYYY-MM-DDTHH:MM:SS[.ffffff]`,
  };
  if (!m) return bad;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  if (storedTime(d).slice(0, 19) !== value.slice(0, 19)) return bad;
  return { ok: true, value: `${value.slice(0, 19)}.${(m[7] ?? '').padEnd(6, '0')}` };
}

/** The first problem zod found, as ResultsDB words its 400s: `key: problem`. */
function problem(error: z.ZodError): { ok: false; message: string } {
  const i = error.issues[0]!;
  const at = i.path.join('.');
  return {
    ok: false,
    message: at && !i.message.startsWith(String(i.path[0])) ? `${at}: ${i.message}` : i.message,
  };
}

/** A POST /api/v2.0/groups body: `{uuid?, description?, ref_url?}`; no uuid gets a new one. */
export function parseNewGroup(
  body: unknown,
): Answer<{ uuid: string; description: string | null; ref_url: string | null }> {
  const parsed = groupObject.safeParse(body ?? {});
  if (!parsed.success) return problem(parsed.error);
  const g = parsed.data;
  return {
    ok: true,
    value: {
      uuid: g.uuid ?? randomUUID(),
      description: g.description ?? null,
      ref_url: g.ref_url ?? null,
    },
  };
}

/** A POST /api/v2.0/testcases body: `{name, ref_url?}`. */
export function parseNewTestcase(body: unknown): Answer<{ name: string; ref_url: string | null }> {
  const parsed = testcaseObject.safeParse(body ?? {});
  if (!parsed.success) return problem(parsed.error);
  return { ok: true, value: { name: parsed.data.name, ref_url: parsed.data.ref_url ?? null } };
}

/** A POST /api/v2.0/results body checked as ResultsDB checks it; messages as ResultsDB's 400s. */
export function parseNewResult(
  body: unknown,
  opts: { outcomes: readonly string[]; now: Date },
): Answer<NewResult> {
  const parsed = postSchema.safeParse(body);
  if (!parsed.success) return problem(parsed.error);
  const b = parsed.data;
  const outcome = b.outcome.toUpperCase();
  if (!opts.outcomes.includes(outcome))
    return { ok: false, message: `outcome must be one of ${opts.outcomes.join(', ')}` };
  const data: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(b.data ?? {})) {
    if (key.includes(':')) return { ok: false, message: `Colon not allowed in key name: ${key}` };
    for (const v of Array.isArray(value) ? value : [value]) data.push([key, v]);
  }
  const time = parseSubmitTime(b.submit_time, opts.now);
  if (!time.ok) return time;
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
      note: b.note ?? null,
      ref_url: b.ref_url ?? null,
      submit_time: time.value,
      data,
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

export const serializeTestcase = (t: { name: string; ref_url: string | null }, base: string) => ({
  name: t.name,
  ref_url: t.ref_url,
  href: `${base}/testcases/${encodeURIComponent(t.name)}`,
});

export const serializeGroup = (
  g: { uuid: string; description: string | null; ref_url: string | null },
  base: string,
) => ({
  uuid: g.uuid,
  description: g.description,
  ref_url: g.ref_url,
  results: `${base}/results?groups=${encodeURIComponent(g.uuid)}`,
  href: `${base}/groups/${encodeURIComponent(g.uuid)}`,
});
