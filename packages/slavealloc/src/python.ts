/**
 * The bits of Python 2 that the original's buildbot.tac went through: `repr()` of a byte string,
 * `%`-formatting with a mapping, and `time.ctime()`. Slaves read the tac with Python, so its
 * bytes must be what Python would have written.
 */

/** A value of the original's `info` dict: strings, ints, or None. */
export type PyValue = string | number | boolean | null;

/** What Python's `%` would have raised; the message says what is wrong in the template. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

const ESCAPED: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\' };

/**
 * Python 2 `repr()` of a str: single quotes unless the text has a `'` and no `"`; backslash,
 * the quote, tab, newline and carriage return escaped; other bytes outside printable ASCII as
 * `\xNN`. Text is a UTF-8 byte string there, so `é` is `'\xc3\xa9'`.
 */
export function pyStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const byte of Buffer.from(text, 'utf8')) {
    const escaped = ESCAPED[byte];
    if (escaped) out += escaped;
    else if (byte === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return out + quote;
}

/** `repr()` of a value the database gives: ints as their digits, NULL as None. */
export function pyRepr(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  return pyStrRepr(value);
}

const pyStr = (value: PyValue): string => (typeof value === 'string' ? value : pyRepr(value));

const typeName = (value: PyValue): string =>
  value === null ? 'NoneType' : typeof value === 'string' ? 'str' : 'int';

interface Spec {
  flags: string;
  width?: number;
  precision?: number;
  type: string;
}

function pad(text: string, spec: Spec, numeric: boolean): string {
  const { flags, width } = spec;
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (numeric && flags.includes('0')) {
    // Zeros go after the sign and a 0x/0X prefix: '%#010x' % 255 is '0x000000ff'.
    const head = /^[-+ ]?(?:0[xX])?/.exec(text)![0];
    return head + text.slice(head.length).padStart(width - head.length, '0');
  }
  return text.padStart(width);
}

const signOf = (negative: boolean, flags: string): string =>
  negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';

/** `%d %i %u %o %x %X` of an int: digits, precision as a minimum count, `#` prefixes. */
function formatInt(n: number, { flags, precision, type }: Spec): string {
  const base = type === 'o' ? 8 : type === 'x' || type === 'X' ? 16 : 10;
  // C's printf, which Python 2 uses: a zero with precision 0 has no digits at all.
  let digits = n === 0 && precision === 0 ? '' : Math.abs(n).toString(base);
  if (type === 'X') digits = digits.toUpperCase();
  if (precision !== undefined) digits = digits.padStart(precision, '0');
  let prefix = '';
  if (flags.includes('#')) {
    if (type === 'o' && !digits.startsWith('0')) prefix = '0';
    else if (type === 'x' || type === 'X') prefix = `0${type}`;
  }
  return signOf(n < 0, flags) + prefix + digits;
}

/** Python's two-digit-at-least exponent: 1e+3 is 1e+03. */
const pyExponent = (text: string): string => text.replace(/e([-+])(\d)$/, 'e$10$2');

/** `%e %E %f %F %g %G` of a number, as C's printf (and so Python 2) writes them. */
function formatFloat(x: number, { flags, precision, type }: Spec): string {
  const alt = flags.includes('#');
  const lower = type.toLowerCase();
  let p = precision ?? 6;
  let body: string;
  const abs = Math.abs(x);
  if (lower === 'f') {
    body = abs.toFixed(p);
    if (alt && p === 0) body += '.';
  } else if (lower === 'e') {
    body = pyExponent(abs.toExponential(p));
    if (alt && p === 0) body = body.replace('e', '.e');
  } else {
    if (p === 0) p = 1;
    const exp = abs === 0 ? 0 : Number(abs.toExponential(p - 1).split('e')[1]);
    if (exp >= -4 && exp < p) body = abs.toFixed(p - 1 - exp);
    else body = pyExponent(abs.toExponential(p - 1));
    const [mantissa, exponent] = body.split('e') as [string, string | undefined];
    let m = mantissa;
    if (!alt && m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    if (alt && !m.includes('.')) m += '.';
    body = exponent === undefined ? m : `${m}e${exponent}`;
  }
  if (type === type.toUpperCase()) body = body.toUpperCase();
  return signOf(x < 0 || Object.is(x, -0), flags) + body;
}

function convert(value: PyValue, spec: Spec): string {
  const { type, precision } = spec;
  if (type === 's' || type === 'r') {
    const text = type === 's' ? pyStr(value) : pyRepr(value);
    return precision === undefined ? text : text.slice(0, precision);
  }
  const number = typeof value === 'number' || typeof value === 'boolean';
  if (type === 'c') {
    if (typeof value === 'string' && Buffer.byteLength(value) === 1) return value;
    if (!number) {
      throw new TemplateError(
        typeof value === 'string' ? '%c requires int or char' : 'an integer is required',
      );
    }
    const n = Math.trunc(Number(value));
    if (n < 0) throw new TemplateError('unsigned byte integer is less than minimum');
    if (n > 255) throw new TemplateError('unsigned byte integer is greater than maximum');
    return String.fromCharCode(n);
  }
  if ('eEfFgG'.includes(type)) {
    if (!number) throw new TemplateError(`float argument required, not ${typeName(value)}`);
    return formatFloat(Number(value), spec);
  }
  if (!number)
    throw new TemplateError(`%${type} format: a number is required, not ${typeName(value)}`);
  return formatInt(Math.trunc(Number(value)), spec);
}

const CONVERSIONS = 'srdiuoxXeEfFgGc';
/** What follows `%` or `%(key)`: flags, width, precision, a length modifier, the type (sticky). */
const SPEC = /([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.?)/sy;
const TYPE_AFTER = /[-+ #0]*\d*(?:\.\d*)?[hlL]?(.?)/sy;

/**
 * Python 2's `template % mapping`, parsed as its string formatting does: `%(key)` (parentheses
 * in a key nest), flags `-+ #0`, width, `.precision`, an ignored `h`/`l`/`L`, then one of
 * `s r d i u o x X e E f F g G c %`. Anything else raises what Python would: a missing key, an
 * unsupported character, an incomplete format or key. A conversion without a key raises too:
 * the tac's header always uses keys first, after which Python has no argument left for it.
 */
export function pyFormat(template: string, mapping: Readonly<Record<string, PyValue>>): string {
  let out = '';
  let i = 0;
  const n = template.length;
  while (i < n) {
    const pct = template.indexOf('%', i);
    if (pct < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, pct);
    i = pct + 1;
    if (template[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    let key: string | undefined;
    if (template[i] === '(') {
      let depth = 1;
      const from = ++i;
      while (i < n && depth > 0) {
        if (template[i] === '(') depth++;
        else if (template[i] === ')') depth--;
        i++;
      }
      if (depth > 0) throw new TemplateError('incomplete format key');
      key = template.slice(from, i - 1);
      if (!Object.hasOwn(mapping, key)) {
        TYPE_AFTER.lastIndex = i;
        const type = TYPE_AFTER.exec(template)![1];
        throw new TemplateError(
          `the template uses %(${key})${type}, which is not one of ${Object.keys(mapping).join(', ')}`,
        );
      }
    }
    SPEC.lastIndex = i;
    const spec = SPEC.exec(template)!;
    const [whole, flags, width, precision, type] = spec as unknown as [
      string,
      string,
      string | undefined,
      string | undefined,
      string,
    ];
    const at = i + whole.length - 1;
    i += whole.length;
    // Python takes an argument for these before it looks at the type; there is none left.
    if (width === '*' || precision === '*' || (key === undefined && type !== '%' && type !== ''))
      throw new TemplateError(
        `not enough arguments for format string: the conversion at index ${pct} has no (key) (a tac template is formatted with a mapping)`,
      );
    if (type === '') throw new TemplateError(`incomplete format at index ${pct}`);
    const parsed: Spec = {
      flags,
      width: width === undefined ? undefined : Number(width),
      precision: precision === undefined ? undefined : Number(precision || 0),
      type,
    };
    if (type === '%') {
      out += pad('%', parsed, false);
      continue;
    }
    if (!CONVERSIONS.includes(type))
      throw new TemplateError(
        `unsupported format character ${pyStrRepr(type)} (0x${type.charCodeAt(0).toString(16)}) at index ${at}`,
      );
    out += pad(convert(mapping[key!]!, parsed), parsed, !'src'.includes(type));
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const two = (n: number) => String(n).padStart(2, '0');

/** `time.ctime()`: local time as `Tue Feb  8 10:11:12 2011` (the day padded with a space). */
export function ctime(date: Date): string {
  const day = String(date.getDate()).padStart(2, ' ');
  const time = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day} ${time} ${date.getFullYear()}`;
}
