/**
 * Numbers of a JSON text as written (pure). JSON.parse reads every number as a JavaScript number;
 * Python's json, which Loopabull 0.0.7 read bodies with and ResultsDB reads its POSTs with, reads
 * a literal with a fraction or an exponent as a float and one without as an int of any size. So
 * `1.0` stays the float `1.0` there and `12345678901234567890` stays exact, where JSON.parse
 * makes the first the integer 1 and rounds the second. What needs the difference keeps the text
 * and finds each number's literal in it (`numberLiterals`).
 */

import { isObject } from './json-object.js';

/**
 * A finite number other than 0 as JavaScript writes it (the shortest digits that read back),
 * split into those digits and `point`, how many of them come before the decimal point
 * (0.0001 is `1` and -3, 1e21 is `1` and 22).
 */
function digitsOf(x: number): { digits: string; point: number } {
  const [, whole = '', fraction = '', exp = '0'] = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(
    String(Math.abs(x)),
  )!;
  const all = whole + fraction;
  const lead = all.length - all.replace(/^0+/, '').length;
  return { digits: all.slice(lead).replace(/0+$/, ''), point: whole.length - lead + Number(exp) };
}

/**
 * Python 3's `str()` of a float: the same shortest digits that read back as JavaScript's, but
 * placed as Python places them: `1.0` (a point always), `1e+16` from 16 digits before the point
 * on, `1e-05` under 0.0001 (two exponent digits at least), `-0.0`, `inf`.
 */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (!Number.isFinite(x)) return `${sign}inf`;
  if (x === 0) return `${sign}0.0`;
  const { digits, point } = digitsOf(x);
  if (point > 16 || point < -3) {
    const exp = point - 1;
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * `str()` of what Python's json reads a JSON number literal as: without a fraction or exponent
 * an int, written digit for digit (`-0` is `0`), else a float (`1E2` is `100.0`,
 * `1e400` is `inf`).
 */
export const pythonNumber = (literal: string): string =>
  /^-?\d+$/.test(literal) ? literal.replace(/^-(?=0$)/, '') : pythonFloat(Number(literal));

/**
 * Python, from 3.11 on, refuses to convert an int of more decimal digits to or from text
 * (`sys.int_info.default_max_str_digits`): json.loads, json.dumps and PyYAML fail on one.
 */
export const PYTHON_MAX_INT_DIGITS = 4300;

const NUMBER_LITERAL = String.raw`-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?`;
const NUMBER = new RegExp(`^${NUMBER_LITERAL}$`);
const NUMBERS = new RegExp(NUMBER_LITERAL, 'g');

/**
 * `literal` when it is a JSON number literal that reads as `value`, else undefined: a number, or
 * null for a literal beyond the float range (`1e400`, which JSON.stringify writes as null).
 */
export function numberLiteral(value: unknown, literal: unknown): string | undefined {
  if (typeof literal !== 'string' || !NUMBER.test(literal)) return undefined;
  const read = Number(literal);
  const same = value === null ? !Number.isFinite(read) : read === value;
  return same ? literal : undefined;
}

/** The index just past the JSON string that opens at `open`; the text's length if it never closes. */
function stringEnd(json: string, open: number): number {
  for (let quote = json.indexOf('"', open + 1); quote >= 0; quote = json.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (json[quote - 1 - backslashes] === '\\') backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
  }
  return json.length;
}

/**
 * The value of a JSON text with each number replaced by the text of its literal, so that a
 * number found in JSON.parse's value can be looked up at the same place (duplicate keys and key
 * order are JSON.parse's own); undefined when the text is no JSON. Strings are skipped with
 * indexOf, not a regular expression, which overflows its stack on a string of a few MB.
 */
export function numberLiterals(json: string): unknown {
  let quoted = '';
  let at = 0;
  while (at < json.length) {
    const open = json.indexOf('"', at);
    const close = open < 0 ? json.length : stringEnd(json, open);
    quoted += json.slice(at, open < 0 ? close : open).replace(NUMBERS, '"$&"');
    if (open >= 0) quoted += json.slice(open, close);
    at = close;
  }
  try {
    return JSON.parse(quoted);
  } catch {
    return undefined;
  }
}

/**
 * Whether a JSON text may hold a number JSON.parse does not give back as Python's json read it:
 * a literal ending in a point and zeros (`1.0`), in an exponent (`1e5`, a float in Python), or in
 * 16 digits or points (past 2^53, or a mantissa so long that its double is a whole number). Any
 * other literal with a fraction is no whole number as a double, so `1.5` and `0.00001` need
 * nothing. One regular expression over the text, no parse: the looper runs it on every message.
 * It looks at the end of each literal, a digit followed by what follows a number in JSON (a
 * delimiter or white space), and only there behind it, which is about a third of JSON.parse's
 * time on a fedora-messaging body that holds no such number. Digits in strings rarely end that
 * way (`"07:00:00.000Z"` does not); when they do, a copy of the text is kept for nothing.
 */
const MAY_LOSE = /\d[\s,\]}](?<=(?:\.0+|\d[eE][+-]?\d+|[\d.]{16})[\s\S])/;

export function mayLoseNumbers(json: string): boolean {
  // A text that is one number has nothing after its last digit.
  const last = json.charCodeAt(json.length - 1);
  return MAY_LOSE.test(last >= 0x30 && last <= 0x39 ? `${json} ` : json);
}

/** The member `key` of a JSON object or array, if it has one. */
export const member = (o: unknown, key: string | number): unknown =>
  typeof o === 'object' && o !== null && Object.hasOwn(o, key)
    ? (o as Record<string, unknown>)[key]
    : undefined;

/**
 * `JSON.stringify(value)` for a value JSON.parse made, but each number written as its literal at
 * the same place in `literals` (`numberLiterals` of the text it came from): `1.0` stays `1.0`.
 */
export function jsonWithLiterals(value: unknown, literals: unknown): string {
  const literal = numberLiteral(value, literals);
  if (literal !== undefined) return literal;
  if (Array.isArray(value))
    return `[${value.map((v, i) => jsonWithLiterals(v, member(literals, i))).join(',')}]`;
  if (isObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${jsonWithLiterals(v, member(literals, k))}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** numberLiterals of a JSON text when its numbers may need them (mayLoseNumbers), else undefined. */
export const keptLiterals = (json: string): unknown =>
  mayLoseNumbers(json) ? numberLiterals(json) : undefined;

/**
 * The text to publish a body read from the JSON `text` with, when its numbers need it
 * (`mayLoseNumbers`): compact as JSON.stringify writes it, each number as `text` has it.
 */
export function bodyText(text: string, value: unknown): string | undefined {
  const literals = keptLiterals(text);
  return literals === undefined ? undefined : jsonWithLiterals(value, literals);
}
