import { isObject } from '@loopabull/core/cli';
import { isRowId, MAX_ID, unfit } from './limits.js';
import type { ApiTable } from './tables.js';

/*
 * What a PUT or POST body may change, checked before anything touches the database. Keys
 * outside a table's whitelist are ignored, as the original did: its web UI sent whole rows,
 * names and all. Values must also fit their columns on every database (limits.ts).
 */

type Check = (value: unknown) => string | null;

const id: Check = (v) => (isRowId(v) ? null : `must be a positive integer id, at most ${MAX_ID}`);
const optionalId: Check = (v) => (v === null ? null : id(v));
/** A non-empty string that fits a name or text column. */
const filled =
  (column: 'name' | 'text'): Check =>
  (v) =>
    typeof v === 'string' && v.trim() !== '' ? unfit(v, column) : 'must be a non-empty string';
const text = filled('text');
const name = filled('name');
const optionalText: Check = (v) =>
  v === null ? null : typeof v === 'string' ? unfit(v, 'text') : 'must be a string or null';
const port: Check = (v) =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 65535
    ? null
    : 'must be a port number (0 to 65535)';
const flag: Check = (v) =>
  typeof v === 'boolean' || v === 0 || v === 1 ? null : 'must be true or false';

/**
 * Slave names are what `/gettac/<name>` is asked for, lowercased and without the domain: a
 * name with capitals or a dot could never be served.
 */
const SLAVE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const slaveName: Check = (v) =>
  name(v) ??
  (SLAVE_NAME.test(v as string)
    ? null
    : 'must be an unqualified lowercase host name (a-z, 0-9, - and _)');

const SLAVE_FIELDS: Record<string, Check> = {
  distroid: id,
  dcid: id,
  bitsid: id,
  purposeid: id,
  trustid: id,
  envid: id,
  poolid: id,
  basedir: text,
  locked_masterid: optionalId,
  notes: optionalText,
  enabled: flag,
  custom_tplid: optionalId,
};

const MASTER_FIELDS: Record<string, Check> = {
  nickname: name,
  fqdn: text,
  pb_port: port,
  http_port: port,
  poolid: id,
  dcid: id,
  notes: optionalText,
  enabled: flag,
};

/** The original's per-table PUT whitelists. */
const PUT_FIELDS: Record<ApiTable, Record<string, Check>> = {
  slaves: SLAVE_FIELDS,
  masters: MASTER_FIELDS,
  distros: { name },
  datacenters: { name },
  bitlengths: { name },
  speeds: { name },
  purposes: { name },
  trustlevels: { name },
  environments: { name },
  pools: { name },
  tac_templates: {},
};

/** What a POST must and may hold. */
const CREATE_FIELDS = {
  slaves: {
    required: { ...SLAVE_FIELDS, name: slaveName, speedid: id },
    optional: ['locked_masterid', 'notes', 'enabled', 'custom_tplid'],
    defaults: { locked_masterid: null, custom_tplid: null, notes: null, enabled: true },
  },
  masters: {
    required: MASTER_FIELDS,
    optional: ['notes', 'enabled', 'http_port'],
    defaults: { notes: null, enabled: true, http_port: 0 },
  },
} as const;

export type Checked = { ok: true; values: Record<string, unknown> } | { ok: false; error: string };

const normalize = (key: string, value: unknown) =>
  key === 'enabled' ? value === true || value === 1 : value;

function checkFields(body: Record<string, unknown>, fields: Record<string, Check>): string[] {
  const problems: string[] = [];
  for (const [key, check] of Object.entries(fields)) {
    if (!Object.hasOwn(body, key)) continue;
    const problem = check(body[key]);
    if (problem) problems.push(`${key} ${problem}`);
  }
  return problems;
}

/** A PUT body: the whitelisted keys it has, each valid; at least one. */
export function checkUpdate(table: ApiTable, body: unknown): Checked {
  if (!isObject(body)) return { ok: false, error: 'the body must be a JSON object' };
  const fields = PUT_FIELDS[table];
  const keys = Object.keys(fields).filter((k) => Object.hasOwn(body, k));
  if (keys.length === 0) {
    const allowed = Object.keys(fields);
    return {
      ok: false,
      error: allowed.length
        ? `nothing to change: ${table} takes ${allowed.join(', ')}`
        : `${table} cannot be changed through the API`,
    };
  }
  const problems = checkFields(body, fields);
  if (problems.length) return { ok: false, error: problems.join('; ') };
  return { ok: true, values: Object.fromEntries(keys.map((k) => [k, normalize(k, body[k])])) };
}

/** A POST body for a new slave or master: every required key, valid. */
export function checkCreate(table: 'slaves' | 'masters', body: unknown): Checked {
  if (!isObject(body)) return { ok: false, error: 'the body must be a JSON object' };
  const spec = CREATE_FIELDS[table];
  const optional: readonly string[] = spec.optional;
  const values: Record<string, unknown> = { ...spec.defaults };
  const missing = Object.keys(spec.required).filter(
    (k) => !Object.hasOwn(body, k) && !optional.includes(k),
  );
  if (missing.length) return { ok: false, error: `missing ${missing.join(', ')}` };
  const problems = checkFields(body, spec.required);
  if (problems.length) return { ok: false, error: problems.join('; ') };
  for (const k of Object.keys(spec.required))
    if (Object.hasOwn(body, k)) values[k] = normalize(k, body[k]);
  return { ok: true, values };
}

/** A text column that may be empty (a password, a template: the original's `NOT NULL` only). */
const anyText: Check = (v) => (typeof v === 'string' ? unfit(v, 'text') : 'must be a string');

/** The columns of the tables the API cannot create, as a dump holds them. */
const LOAD_FIELDS: Record<string, Record<string, Check>> = {
  tac_templates: { name, template: anyText },
  slave_passwords: { poolid: id, distroid: optionalId, password: anyText },
};

/**
 * Why a row of a dump (`dbload`) is not one the API could hold, or null: slaves and masters as a
 * POST (so `enabled` is true, false, 1 or 0, and a slave's name one `/gettac` can be asked
 * for), the others by their columns, every value within the limits of all three databases.
 */
export function checkLoadRow(
  table: string,
  idColumn: string | undefined,
  row: Record<string, unknown>,
): string | null {
  const problems = idColumn ? checkFields(row, { [idColumn]: id }) : [];
  if (table === 'slaves' || table === 'masters') {
    const checked = checkCreate(table, row);
    if (!checked.ok) problems.push(checked.error);
    if (table === 'slaves') problems.push(...checkFields(row, { current_masterid: optionalId }));
  } else problems.push(...checkFields(row, LOAD_FIELDS[table] ?? { name }));
  return problems.length ? problems.join('; ') : null;
}
