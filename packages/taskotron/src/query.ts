/**
 * MongoDB-style queries over the normalised message, as python-mongoquery evaluated Taskotron's
 * trigger rules: equality (an array field matches when it contains the value), `$eq`, `$ne`,
 * `$in`, `$nin`, `$regex` (`'/pattern/flags'` or a bare pattern, searched anywhere in the
 * string), `$exists`, and `$not`, `$and`, `$or`, `$nor` at the top or on a field. Field names
 * may be dotted paths (`_msg.instance`).
 */

export type Query = Record<string, unknown>;

/** A query that cannot be evaluated: `path` names the key, as `when.tag.$regex`. */
export class QueryError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'QueryError';
  }
}

const LOGICAL = new Set(['$and', '$or', '$nor']);
const FIELD_OPS = new Set([
  '$eq',
  '$ne',
  '$in',
  '$nin',
  '$regex',
  '$options',
  '$exists',
  '$not',
  ...LOGICAL,
]);
const REGEX_FORM = /^\/(.*)\/([a-z]*)$/s;
const JS_FLAGS = /^[imsu]*$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isOperatorObject = (v: unknown): v is Record<string, unknown> =>
  isObject(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));

const BACKREF = /\(\?P=(\w+)\)/y;

/**
 * A pattern written for Python's `re` (python-mongoquery's `$regex`) in JavaScript's syntax.
 * JavaScript reads `\A` and `\Z` as the letters A and Z, so a rule anchored with them would
 * silently never match: they become "no character before" and "no character after". Python's
 * named groups `(?P<name>...)` and `(?P=name)` become `(?<name>...)` and `\k<name>`, and a `]`
 * that opens a class (`[]a]`, a literal `]` in Python, an empty class in JavaScript) is escaped.
 * Some syntax `new RegExp` refuses (such as `(?i)`). Left as JavaScript reads them, as no
 * shipped or Fedora rule relies on the difference: `$` (Python's also matches before a final
 * newline), `{,n}` (Python's `{0,n}`) and `\w` (Python 3's is Unicode).
 */
export function fromPythonRegex(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[++i] ?? '';
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') out += '(?![\\s\\S])';
      else out += c + next;
    } else if (inClass) {
      inClass = c !== ']';
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') {
        out += '\\]';
        i++;
      }
    } else if (source.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else {
      BACKREF.lastIndex = i;
      const backref = BACKREF.exec(source);
      if (backref) {
        out += `\\k<${backref[1]!}>`;
        i += backref[0].length - 1;
      } else out += c;
    }
  }
  return out;
}

/** `'/re/flags'` (the trigger rules' form) or a bare pattern, with `$options` flags. */
export function toRegExp(value: unknown, options: unknown, path: string): RegExp {
  if (value instanceof RegExp) return value;
  if (typeof value !== 'string') throw new QueryError(path, 'needs a string such as /pattern/');
  if (options !== undefined && typeof options !== 'string')
    throw new QueryError(path, '$options must be a string of flags');
  const form = REGEX_FORM.exec(value);
  const [source, flags] = form ? [form[1]!, form[2]! + (options ?? '')] : [value, options ?? ''];
  if (!JS_FLAGS.test(flags))
    throw new QueryError(path, `unsupported regex flags ${JSON.stringify(flags)} (i, m, s, u)`);
  try {
    return new RegExp(fromPythonRegex(source), [...new Set(flags)].join(''));
  } catch (err) {
    throw new QueryError(path, `invalid regex ${JSON.stringify(value)}: ${(err as Error).message}`);
  }
}

/**
 * The value at a dotted path; undefined when any step is missing. Own properties only. A step
 * that is a number indexes a list (`builds.0.nvr`); any other step on a list is taken in each of
 * its elements, and the values found make a list (`builds.nvr`: every build's nvr), as MongoDB
 * and python-mongoquery read paths through arrays.
 */
export function fieldValue(data: unknown, path: string): unknown {
  return extract(data, path.split('.'));
}

const INDEX = /^(0|[1-9][0-9]*)$/;

function extract(here: unknown, steps: readonly string[]): unknown {
  if (steps.length === 0) return here;
  const [step, ...rest] = steps as [string, ...string[]];
  if (Array.isArray(here)) {
    if (INDEX.test(step))
      return Object.hasOwn(here, step) ? extract(here[Number(step)], rest) : undefined;
    const found = here.flatMap((element) => {
      const value = extract(element, steps);
      return value === undefined ? [] : Array.isArray(value) ? value : [value];
    });
    return found.length ? found : undefined;
  }
  if (!isObject(here) || !Object.hasOwn(here, step)) return undefined;
  return extract(here[step], rest);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

/** Mongo's equality: a missing field equals null; an array field matches if it holds the value. */
function equals(value: unknown, wanted: unknown): boolean {
  if (wanted === null && value === undefined) return true;
  if (deepEqual(value, wanted)) return true;
  return Array.isArray(value) && value.some((v) => deepEqual(v, wanted));
}

function listOf(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new QueryError(path, 'needs a list');
  return v;
}

function regexMatches(value: unknown, re: RegExp): boolean {
  if (typeof value === 'string') return re.test(value);
  return Array.isArray(value) && value.some((v) => typeof v === 'string' && re.test(v));
}

/** Whether the field's value meets `{$op: ...}` conditions (all of them). */
function meets(
  value: unknown,
  cond: Record<string, unknown>,
  path: string,
  thorough: boolean,
): boolean {
  let ok = true;
  for (const [op, arg] of Object.entries(cond)) {
    const at = `${path}.${op}`;
    if (!FIELD_OPS.has(op)) throw new QueryError(at, 'unknown operator');
    ok = fieldOp(op, value, arg, cond, at, thorough) && ok;
    if (!ok && !thorough) return false;
  }
  return ok;
}

function fieldOp(
  op: string,
  value: unknown,
  arg: unknown,
  cond: Record<string, unknown>,
  at: string,
  thorough: boolean,
): boolean {
  switch (op) {
    case '$eq':
      return equals(value, arg);
    case '$ne':
      return !equals(value, arg);
    case '$in':
      return listOf(arg, at).some((w) => equals(value, w));
    case '$nin':
      return !listOf(arg, at).some((w) => equals(value, w));
    case '$regex':
      return regexMatches(value, toRegExp(arg, cond.$options, at));
    case '$options':
      if (cond.$regex === undefined) throw new QueryError(at, 'only goes with $regex');
      return true;
    case '$exists':
      if (typeof arg !== 'boolean') throw new QueryError(at, 'needs true or false');
      return (value !== undefined) === arg;
    case '$not':
      if (isOperatorObject(arg)) return !meets(value, arg, at, thorough);
      if (typeof arg === 'string' && REGEX_FORM.test(arg))
        return !regexMatches(value, toRegExp(arg, undefined, at));
      throw new QueryError(at, 'needs operators such as {$regex: ...} or a /regex/');
    default:
      return logical(
        op,
        listOf(arg, at),
        (c, i) => fieldCondition(value, c, `${at}[${i}]`, thorough),
        at,
        thorough,
      );
  }
}

/** A field's condition: operators, or a value to equal. */
function fieldCondition(value: unknown, cond: unknown, path: string, thorough: boolean): boolean {
  if (isObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'))) {
    if (!isOperatorObject(cond)) throw new QueryError(path, 'mixes operators and field names');
    return meets(value, cond, path, thorough);
  }
  return equals(value, cond);
}

function logical(
  op: string,
  parts: unknown[],
  each: (part: unknown, i: number) => boolean,
  at: string,
  thorough: boolean,
): boolean {
  if (parts.length === 0) throw new QueryError(at, 'needs a non-empty list');
  const results = thorough ? parts.map(each) : null;
  const any = () => (results ? results.some(Boolean) : parts.some(each));
  if (op === '$and') return results ? results.every(Boolean) : parts.every(each);
  return op === '$or' ? any() : !any();
}

/**
 * Whether `data` matches `query`; throws QueryError for a part that cannot be evaluated. Fields
 * are tried in order and the first that fails decides; `thorough` evaluates every part, to find
 * a bad one even where another decides (queryProblem).
 */
export function matches(query: unknown, data: unknown, path = 'when', thorough = false): boolean {
  if (!isObject(query)) throw new QueryError(path, 'needs a mapping of fields to conditions');
  let ok = true;
  for (const [key, cond] of Object.entries(query)) {
    const at = `${path}.${key}`;
    const each = (q: unknown, i: number) => matches(q, data, `${at}[${i}]`, thorough);
    if (LOGICAL.has(key)) ok = logical(key, listOf(cond, at), each, at, thorough) && ok;
    // python-mongoquery took `$not` anywhere: at the top it holds a query, and negates it.
    else if (key === '$not') ok = !matches(cond, data, at, thorough) && ok;
    else if (key.startsWith('$')) throw new QueryError(at, 'unknown top-level operator');
    else ok = fieldCondition(fieldValue(data, key), cond, at, thorough) && ok;
    if (!ok && !thorough) return false;
  }
  return ok;
}

/** The first problem of a query, found by evaluating all of it on an empty message; null when sound. */
export function queryProblem(query: unknown, path = 'when'): QueryError | null {
  try {
    matches(query, {}, path, true);
    return null;
  } catch (err) {
    if (err instanceof QueryError) return err;
    throw err;
  }
}
