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

/** `%(key)[flags][width][.precision]type`, as Python parses a conversion in a mapping format. */
const SPEC = /%(?:\(([^)]*)\))?([-+ #0]*)(\d+)?(?:\.(\d+))?[hlL]?(.?)/gs;

function pad(text: string, flags: string, width: number | undefined, numeric: boolean): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (numeric && flags.includes('0')) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

function convert(value: PyValue, type: string, flags: string, precision?: number): string {
  if (type === 's' || type === 'r') {
    const text = type === 's' ? pyStr(value) : pyRepr(value);
    return precision === undefined ? text : text.slice(0, precision);
  }
  if (typeof value !== 'number' && typeof value !== 'boolean')
    throw new TemplateError(`%${type} format: a number is required, not ${typeName(value)}`);
  const n = Math.trunc(Number(value));
  let digits = String(Math.abs(n));
  if (precision !== undefined) digits = digits.padStart(precision, '0');
  const sign = n < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  return sign + digits;
}

/**
 * Python's `template % mapping` for the conversions a tac template uses: `%(key)s`, `%(key)r`,
 * `%(key)d`/`i`/`u` with flags, width and precision, and `%%`. Anything else raises what
 * Python would: a missing key, an unsupported character, an incomplete format.
 */
export function pyFormat(template: string, mapping: Readonly<Record<string, PyValue>>): string {
  return template.replace(
    SPEC,
    (whole, key: string | undefined, flags: string, width, precision, type: string, at: number) => {
      if (whole === '%%') return '%';
      if (type === '') throw new TemplateError(`incomplete format at index ${at}`);
      if (type === '%' && key !== undefined) return '%';
      if (!'srdiu'.includes(type))
        throw new TemplateError(
          `unsupported format character ${pyStrRepr(type)} (0x${type.charCodeAt(0).toString(16)}) at index ${at + whole.length - 1}`,
        );
      if (key === undefined)
        throw new TemplateError(
          `%${type} at index ${at} has no (key): a tac template is formatted with a mapping`,
        );
      if (!Object.hasOwn(mapping, key))
        throw new TemplateError(
          `the template uses %(${key})${type}, which is not one of ${Object.keys(mapping).join(', ')}`,
        );
      const text = convert(mapping[key]!, type, flags, precision && Number(precision));
      return pad(text, flags, width && Number(width), !'sr'.includes(type));
    },
  );
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
