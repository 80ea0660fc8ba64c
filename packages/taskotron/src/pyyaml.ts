import yaml from 'js-yaml';
import { PYTHON_MAX_INT_DIGITS, pythonFloat } from '@loopabull/core/cli';
import { pythonStr } from './resultsdb/python-text.js';

/**
 * YAML as libtaskotron read a check's results (pure): PyYAML's `safe_load`, YAML 1.1, with each
 * boolean and number kept as the text ResultsDB stored of it. libtaskotron posted the values as
 * Python's json wrote them, and ResultsDB stored `str()` of what it read back: `1.0` is `1.0` (a
 * float), `yes` is `True`, `0x1F` is `31`, `1:30` is `90`, while `1e3` and `-.5`, which YAML
 * 1.1 does not read as numbers, stay as written. js-yaml's own schema reads YAML 1.2 into
 * JavaScript numbers, where `1.0` is `1`.
 */

// PyYAML's implicit resolvers (resolver.py).
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** A YAML 1.1 number's sign and the rest, underscores dropped (PyYAML's constructors). */
function signed(text: string): { negative: boolean; rest: string } {
  const v = text.replaceAll('_', '');
  return { negative: v.startsWith('-'), rest: /^[-+]/.test(v) ? v.slice(1) : v };
}

/** Python's str() of the int PyYAML's `construct_yaml_int` makes of `text`. */
function pythonInt(text: string): string {
  const tooLong = () =>
    new Error(`${text.slice(0, 20)}...: an int of over ${PYTHON_MAX_INT_DIGITS} digits`);
  const { negative, rest } = signed(text);
  // More than four times as many digits as Python writes (binary takes ~3.3 for one): refused
  // before it is converted.
  if (rest.replace(/^0[bx]?0*/, '').length > 4 * PYTHON_MAX_INT_DIGITS) throw tooLong();
  let n: bigint;
  if (rest === '0') n = 0n;
  else if (rest.startsWith('0b') || rest.startsWith('0x')) n = BigInt(rest);
  else if (rest.startsWith('0')) n = BigInt(`0o${rest.slice(1)}`);
  // Sexagesimal, YAML 1.1's `1:30` (90).
  else if (rest.includes(':'))
    n = rest.split(':').reduce((acc, part) => acc * 60n + BigInt(part), 0n);
  else n = BigInt(rest);
  const digits = String(n);
  if (digits.length > PYTHON_MAX_INT_DIGITS) throw tooLong();
  return negative && n !== 0n ? `-${digits}` : digits;
}

/** Python's str() of the float PyYAML's `construct_yaml_float` makes of `text`. */
function pythonYamlFloat(text: string): string {
  const { negative, rest } = signed(text.toLowerCase());
  const sign = negative ? -1 : 1;
  if (rest === '.inf') return pythonFloat(sign * Infinity);
  if (rest === '.nan') return pythonFloat(NaN);
  if (!rest.includes(':')) return pythonFloat(sign * Number(rest));
  // Summed from the last part up, as PyYAML does, for the same rounding.
  let value = 0;
  let base = 1;
  for (const part of rest.split(':').reverse()) {
    value += Number(part) * base;
    base *= 60;
  }
  return pythonFloat(sign * value);
}

const text = (tag: string, pattern: RegExp, construct: (s: string) => string) =>
  new yaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (data: unknown) => typeof data === 'string' && pattern.test(data),
    construct: (data: string) => construct(data),
  });

/**
 * js-yaml's default schema (timestamps, merge keys, sets...) with PyYAML's booleans, ints and
 * floats in place of its own. For dumping too: a string that would read back as one of them is
 * quoted.
 */
export const PYYAML_SCHEMA = yaml.DEFAULT_SCHEMA.extend({
  implicit: [
    text('bool', BOOL, (s) => pythonStr(/^(?:yes|true|on)$/i.test(s))),
    text('int', INT, pythonInt),
    text('float', FLOAT, pythonYamlFloat),
  ],
});
