import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FIXTURES } from '@test/support';
import {
  bodyText,
  jsonWithLiterals,
  mayLoseNumbers,
  numberLiteral,
  numberLiterals,
  pythonFloat,
  pythonNumber,
} from './json-numbers.js';

const fedmsgText = readFileSync(
  new URL('fedmsg/buildsys.build.state.change.json', FIXTURES),
  'utf8',
);

describe('pythonNumber', () => {
  // Each right side is what Python 3 prints for str(json.loads(left)).
  it.each([
    ['1', '1'],
    ['-0', '0'],
    ['100', '100'],
    ['12345678901234567890', '12345678901234567890'],
    ['9007199254740993', '9007199254740993'],
    ['1.0', '1.0'],
    ['-0.0', '-0.0'],
    ['0.0', '0.0'],
    ['1E2', '100.0'],
    ['1e15', '1000000000000000.0'],
    ['1e16', '1e+16'],
    ['1e21', '1e+21'],
    ['123456789012345678.0', '1.2345678901234568e+17'],
    ['9007199254740993.0', '9007199254740992.0'],
    ['0.0001', '0.0001'],
    ['0.00001', '1e-05'],
    ['2.5E-5', '2.5e-05'],
    ['1e-7', '1e-07'],
    ['0.1', '0.1'],
    ['0.30000000000000004', '0.30000000000000004'],
    ['1.5e300', '1.5e+300'],
    ['1.7976931348623157e308', '1.7976931348623157e+308'],
    ['5e-324', '5e-324'],
    ['1e400', 'inf'],
    ['-1e400', '-inf'],
  ])('%s as Python writes it: %s', (literal, text) => {
    expect(pythonNumber(literal)).toBe(text);
  });
});

describe('pythonFloat', () => {
  it('reads back as the same number, with a point or an exponent as Python has one', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const text = pythonFloat(x);
        expect(Number(text)).toBe(x);
        expect(text).toMatch(/^-?\d+(\.\d+|(\.\d+)?e[+-]\d{2,3})$/);
      }),
    );
  });
});

describe('numberLiteral', () => {
  it('is the literal only when it reads as the value; null stands for a literal past the float range', () => {
    expect(numberLiteral(1, '1.0')).toBe('1.0');
    expect(numberLiteral(null, '1e400')).toBe('1e400');
    expect(numberLiteral(2, '1.0')).toBeUndefined();
    expect(numberLiteral(null, '1.0')).toBeUndefined();
    expect(numberLiteral(null, null)).toBeUndefined();
    expect(numberLiteral(1, 'x1')).toBeUndefined();
  });
});

describe('numberLiterals', () => {
  it('gives each number the text of its literal, strings as they are', () => {
    const text = String.raw`{"data": {"a": 1.0, "b": [1E2, "2.0", "q\"3.0", -0], "c\\": 7}}`;
    expect(numberLiterals(text)).toEqual({
      data: { a: '1.0', b: ['1E2', '2.0', 'q"3.0', '-0'], 'c\\': '7' },
    });
  });

  it('keeps what JSON.parse keeps of duplicate keys, and its key order', () => {
    expect(numberLiterals('{"b": 1.0, "1": 2.0, "b": 3.0}')).toEqual({ 1: '2.0', b: '3.0' });
    expect(Object.keys(numberLiterals('{"b": 1.0, "1": 2.0}') as object)).toEqual(['1', 'b']);
  });

  it('reads strings of megabytes full of escapes, which a regular expression overflowed on', () => {
    const text = JSON.stringify({ s: 'a"\\\n'.repeat(3_000_000), n: 1 }).replace('1}', '1.0}');
    expect(numberLiterals(text)).toMatchObject({ n: '1.0' });
  });

  it('gives undefined for text that is no JSON', () => {
    expect(numberLiterals('{"a": 1.0')).toBeUndefined();
    expect(numberLiterals('{"a": "1.0')).toBeUndefined();
  });
});

/**
 * What a playbook gets of a number from the JavaScript value alone, as Python's str() writes it:
 * an integer JavaScript writes without an exponent reads as an int, anything else as a float.
 */
const fromValue = (x: number): string =>
  !Number.isFinite(x)
    ? 'None'
    : Number.isInteger(x) && !String(x).includes('e')
      ? String(x)
      : pythonFloat(x);

/** A JSON number literal: sign, digits, fraction and exponent in any combination. */
const literal = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9]\d{0,24}$/)),
    fc.option(fc.stringMatching(/^\d{1,20}$/), { nil: undefined }),
    fc.option(fc.stringMatching(/^[eE][+-]?\d{1,3}$/), { nil: undefined }),
  )
  .map(
    ([minus, int, fraction, exp]) =>
      `${minus ? '-' : ''}${int}${fraction === undefined ? '' : `.${fraction}`}${exp ?? ''}`,
  );

describe('mayLoseNumbers', () => {
  it.each([
    ['1.0'],
    [' -0.0 '],
    ['{"timestamp": 1424216566.0}'],
    ['[1, 1.000]'],
    ['{"a":1e5}'],
    ['{"a": [1.5E+3]}'],
    ['{"a":\n  12345678901234567890\n}'],
    ['[12345678.0000000001]'],
    ['{"a": 1e400}'],
  ])('%s: yes', (text) => {
    expect(mayLoseNumbers(text)).toBe(true);
  });

  it.each([
    ['{}'],
    ['{"a": 1, "b": -1.5, "c": 0.00001, "d": 123456789012345}'],
    ['{"version": "1.0", "at": "2026-12-03T07:00:00.000Z", "hash": "3e45"}'],
    ['{"1.0": 1, "2e5": [2]}'],
    ['7'],
  ])('%s: no', (text) => {
    expect(mayLoseNumbers(text)).toBe(false);
  });

  it('says yes for every literal whose JavaScript number a playbook would get otherwise than Python', () => {
    fc.assert(
      fc.property(literal, fc.constantFrom('%', '{"k": %}', '[1,%,2]', '[\n  %\n]'), (l, shape) => {
        if (pythonNumber(l) !== fromValue(Number(l)))
          expect(mayLoseNumbers(shape.replace('%', l))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('finds the float in a fedmsg envelope', () => {
    expect(mayLoseNumbers(fedmsgText)).toBe(true);
    expect(mayLoseNumbers(JSON.stringify(JSON.parse(fedmsgText).msg))).toBe(false);
  });
});

describe('jsonWithLiterals and bodyText', () => {
  const text =
    '{ "a": 1.0, "b": [1e5, "2.0", {"c": -0.0}], "big": 12345678901234567890, "inf": 1e400 }';

  it('writes the value compact, each number as the text has it', () => {
    expect(bodyText(text, JSON.parse(text))).toBe(
      '{"a":1.0,"b":[1e5,"2.0",{"c":-0.0}],"big":12345678901234567890,"inf":1e400}',
    );
    expect(jsonWithLiterals({ a: 1, s: 'x' }, undefined)).toBe('{"a":1,"s":"x"}');
  });

  it('gives nothing for a body whose numbers JSON.parse keeps', () => {
    expect(bodyText('{"a": 1, "b": 1.5}', { a: 1, b: 1.5 })).toBeUndefined();
  });
});
