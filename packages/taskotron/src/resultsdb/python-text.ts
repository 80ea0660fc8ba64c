/**
 * The text ResultsDB stores for a data value that is no string (pure). It keeps data as text:
 * `str(value)` of what Python's json module made of the body (resultsdb/controllers/api_v2.py,
 * create_result_any_data). Python reads `1.0` as a float and `1` as an int, which JSON.parse
 * cannot tell apart, so a number's text is taken from its literal in the body where there is one.
 */

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
 * A number that comes without its literal (from code, not a body): an integer JavaScript holds
 * exactly is taken for a Python int, anything else for a float.
 */
const pythonNumberValue = (x: number): string =>
  Number.isSafeInteger(x) ? String(x) : pythonFloat(x);

const NUMBER_LITERAL = String.raw`-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?`;
const NUMBER = new RegExp(`^${NUMBER_LITERAL}$`);

/**
 * What ResultsDB stores for a data value: a string as it is, `True` or `False`, and a number
 * written from `literal`, the text it had in the body, when that is given and reads as it.
 */
export function pythonStr(v: string | number | boolean, literal?: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return typeof literal === 'string' && NUMBER.test(literal) && Number(literal) === v
    ? pythonNumber(literal)
    : pythonNumberValue(v);
}

/** A JSON string (escapes included) or a number literal: strings are matched whole first. */
const TOKEN = new RegExp(String.raw`"(?:[^"\\]|\\.)*"|${NUMBER_LITERAL}`, 'g');

/**
 * The value of a JSON text with each number replaced by the text of its literal, so that a
 * number found in JSON.parse's value can be looked up at the same place; undefined when the
 * text is no JSON.
 */
export function numberLiterals(json: string): unknown {
  try {
    return JSON.parse(json.replace(TOKEN, (t) => (t.startsWith('"') ? t : `"${t}"`)));
  } catch {
    return undefined;
  }
}
