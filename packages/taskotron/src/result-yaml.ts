import yaml from 'js-yaml';
import { CHECK_OUTCOMES } from './outcomes.js';
import { PYYAML_SCHEMA } from './pyyaml.js';
import { pythonStr } from './resultsdb/python-text.js';

/** One result a check reported, as ResultYAML (part E.6) describes it. */
export interface CheckResult {
  item: string;
  outcome: string;
  type?: string;
  checkname?: string;
  note?: string;
  /** A path inside the job's artifacts directory. */
  artifact?: string;
  /** Every other key: ResultsDB's `data`, each value a string or a list of strings. */
  keyvals: Record<string, string | string[]>;
}

export interface ParsedResults {
  results: CheckResult[];
  /** What was dropped and why (reserved keys, values that are no string or list). */
  warnings: string[];
}

/** Results that cannot be used: the check is treated as having produced none. */
export class ResultsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultsFormatError';
  }
}

/**
 * Limits on what a check may write, so a hostile or runaway check cannot exhaust the runner.
 * `totalChars` bounds the text of all results together: YAML aliases (`*big`) repeat a value
 * without repeating its text, so a small file could otherwise stand for gigabytes of data.
 */
export const RESULT_LIMITS = {
  bytes: 10 * 1024 * 1024,
  results: 10_000,
  valueChars: 64 * 1024,
  totalChars: 10 * 1024 * 1024,
};

/**
 * The characters of every value a result holds, as ResultsDB would be sent them. A list item
 * counts one more (its separator): a list of empty strings repeated by aliases is no less big.
 */
function charsOf(result: CheckResult): number {
  let n = 0;
  for (const key of NAMED) n += result[key]?.length ?? 0;
  for (const [key, value] of Object.entries(result.keyvals))
    n +=
      key.length +
      (Array.isArray(value) ? value.reduce((s, v) => s + v.length + 1, 0) : value.length);
  return n;
}

/**
 * Adds up results as they are read and throws as soon as they hold more text than
 * RESULT_LIMITS.totalChars, before the next one is built. Text written out in a file of
 * RESULT_LIMITS.bytes never does; only aliases repeating a value can.
 */
export function totalSizeCheck(): (result: CheckResult) => void {
  let total = 0;
  return (result) => {
    total += charsOf(result);
    if (total > RESULT_LIMITS.totalChars)
      throw new ResultsFormatError(
        `the results hold more than ${RESULT_LIMITS.totalChars} characters (YAML aliases repeating values?)`,
      );
  };
}

const NAMED = ['item', 'type', 'checkname', 'note', 'artifact'] as const;
/** Keys that never become data (checkb drops them with a warning). */
export const RESERVED_KEYS = new Set([
  'item',
  'type',
  'outcome',
  'note',
  'results',
  'checkname',
  'artifact',
  '_internal',
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A value as ResultsDB stored it. YAML's booleans and numbers are that text already
 * (PYYAML_SCHEMA); those handed by code are written as Python's str() writes them.
 */
function scalar(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return pythonStr(v);
  if (v instanceof Date) return v.toISOString();
  return null;
}

function dataValue(v: unknown): string | string[] | null {
  const s = scalar(v);
  if (s !== null) return s.length <= RESULT_LIMITS.valueChars ? s : null;
  if (!Array.isArray(v)) return null;
  const list = v.map(scalar);
  return list.every((x): x is string => x !== null && x.length <= RESULT_LIMITS.valueChars)
    ? list
    : null;
}

/**
 * One result mapping made a CheckResult. `where` names it in messages; `defaults` fill keys it
 * does not set (TAP's test line gives an outcome). Outcomes are upper-cased and must be known.
 */
export function checkResult(
  raw: unknown,
  where: string,
  warnings: string[],
  defaults: Partial<CheckResult> = {},
): CheckResult {
  if (!isObject(raw)) throw new ResultsFormatError(`${where}: a result must be a mapping`);
  const result: CheckResult = { item: '', outcome: 'NEEDS_INSPECTION', ...defaults, keyvals: {} };
  for (const key of NAMED) {
    if (raw[key] === undefined || raw[key] === null) continue;
    const value = scalar(raw[key]);
    if (value === null || value.length > RESULT_LIMITS.valueChars)
      throw new ResultsFormatError(`${where}: ${key} must be a string`);
    result[key] = value;
  }
  if (!result.item.trim()) throw new ResultsFormatError(`${where}: item is required`);
  if (raw.outcome !== undefined && raw.outcome !== null) {
    const outcome = scalar(raw.outcome)?.toUpperCase();
    if (!outcome || !(CHECK_OUTCOMES as readonly string[]).includes(outcome))
      throw new ResultsFormatError(
        `${where}: outcome ${JSON.stringify(raw.outcome)} is not one of ${CHECK_OUTCOMES.join(', ')}`,
      );
    result.outcome = outcome;
  }
  const keyvals = new Map<string, string | string[]>();
  for (const [key, value] of Object.entries(raw)) {
    if (RESERVED_KEYS.has(key)) {
      if (!(NAMED as readonly string[]).includes(key) && key !== 'outcome')
        warnings.push(`${where}: reserved key ${key} dropped`);
      continue;
    }
    if (key.includes(':')) {
      warnings.push(
        `${where}: key ${JSON.stringify(key)} dropped: ResultsDB keys may not contain ':'`,
      );
      continue;
    }
    const v = dataValue(value);
    if (v === null) warnings.push(`${where}: ${key} dropped: not a string or a list of strings`);
    else keyvals.set(key, v);
  }
  result.keyvals = Object.fromEntries(keyvals);
  return result;
}

function loadDocuments(text: string, what: string): unknown[] {
  if (Buffer.byteLength(text, 'utf8') > RESULT_LIMITS.bytes)
    throw new ResultsFormatError(`${what} is larger than ${RESULT_LIMITS.bytes} bytes`);
  try {
    return yaml.loadAll(text, null, { schema: PYYAML_SCHEMA });
  } catch (err) {
    const e = err as yaml.YAMLException;
    const line = e.mark ? ` (line ${e.mark.line + 1})` : '';
    throw new ResultsFormatError(`${what} is not YAML${line}: ${e.reason ?? e.message}`);
  }
}

/**
 * ResultYAML, as checkb's import_YAML reads it (with PyYAML: pyyaml.ts): `{results: [...]}`
 * (null or no results: none); several documents (`---`) are read one after the other. Throws
 * ResultsFormatError naming the document, result and key.
 */
export function parseResultYaml(text: string): ParsedResults {
  const docs = loadDocuments(text, 'ResultYAML').filter((d) => d !== null && d !== undefined);
  const warnings: string[] = [];
  const results: CheckResult[] = [];
  const count = totalSizeCheck();
  docs.forEach((doc, d) => {
    const where = docs.length > 1 ? `document ${d + 1}` : 'ResultYAML';
    if (!isObject(doc) || !Object.hasOwn(doc, 'results'))
      throw new ResultsFormatError(`${where}: the root must be a mapping with results`);
    for (const key of Object.keys(doc))
      if (key !== 'results') warnings.push(`${where}: key ${key} ignored`);
    const list = doc.results ?? [];
    if (!Array.isArray(list)) throw new ResultsFormatError(`${where}: results must be a list`);
    if (results.length + list.length > RESULT_LIMITS.results)
      throw new ResultsFormatError(`more than ${RESULT_LIMITS.results} results`);
    list.forEach((raw, i) => {
      const result = checkResult(raw, `${where}: results[${i}]`, warnings);
      count(result);
      results.push(result);
    });
  });
  return { results, warnings };
}

/** Results as ResultYAML writes each one: its keyvals beside the named keys. */
export const plainResults = (results: readonly CheckResult[]): Array<Record<string, unknown>> =>
  results.map(({ keyvals, ...named }) => ({ ...named, ...keyvals }));

/** ResultYAML text of results, as checkb's export_YAML writes it. */
export function exportResultYaml(results: readonly CheckResult[]): string {
  // With the schema it is read with, so that a string such as `yes` or `1.0` is quoted.
  return yaml.dump(
    { results: plainResults(results) },
    { indent: 2, noRefs: true, lineWidth: -1, schema: PYYAML_SCHEMA },
  );
}
