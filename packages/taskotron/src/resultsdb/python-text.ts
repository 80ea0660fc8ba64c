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
