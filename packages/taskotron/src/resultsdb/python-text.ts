/**
 * The text ResultsDB stores for a data value that is no string (pure). It keeps data as text:
 * `str(value)` of what Python's json module made of the body (resultsdb/controllers/api_v2.py,
 * create_result_any_data). Python reads `1.0` as a float and `1` as an int, which JSON.parse
 * cannot tell apart, so a number's text is taken from its literal in the body where there is one.
 */

import { numberLiteral, pythonFloat, pythonNumber } from '@loopabull/core/cli';

/**
 * A number that comes without its literal (from code, not a body): an integer JavaScript holds
 * exactly is taken for a Python int, anything else for a float.
 */
const pythonNumberValue = (x: number): string =>
  Number.isSafeInteger(x) ? String(x) : pythonFloat(x);

/**
 * What ResultsDB stores for a data value: a string as it is, `True` or `False`, and a number
 * written from `literal`, the text it had in the body, when that is given and reads as it.
 */
export function pythonStr(v: string | number | boolean, literal?: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  const written = numberLiteral(v, literal);
  return written === undefined ? pythonNumberValue(v) : pythonNumber(written);
}

const REPR_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * Python 3's `repr()` of a str, as ResultsDB's `%r` writes it in its messages: single quotes
 * unless the text has a `'` and no `"`; a backslash, the quote, tab, newline and carriage return
 * escaped, and the characters Python does not print (controls, format characters, separators
 * other than the space) as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
 */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (REPR_ESCAPES[c]) out += REPR_ESCAPES[c];
    else if (c === quote) out += `\\${c}`;
    else if (c !== ' ' && /[\p{C}\p{Z}]/u.test(c))
      out +=
        code < 0x100
          ? `\\x${code.toString(16).padStart(2, '0')}`
          : code < 0x10000
            ? `\\u${code.toString(16).padStart(4, '0')}`
            : `\\U${code.toString(16).padStart(8, '0')}`;
    else out += c;
  }
  return out + quote;
}

/** Python's `repr()` of a tuple of str (`('PASSED', 'INFO')`, `('A',)`). */
export const pythonTuple = (items: readonly string[]): string =>
  `(${items.map(pythonRepr).join(', ')}${items.length === 1 ? ',' : ''})`;

/** Python's `repr()` of a list of str (`['a:b']`). */
export const pythonList = (items: readonly string[]): string =>
  `[${items.map(pythonRepr).join(', ')}]`;
