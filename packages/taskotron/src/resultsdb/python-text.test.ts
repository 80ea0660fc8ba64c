import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { numberLiterals, pythonFloat, pythonNumber, pythonStr } from './python-text.js';

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

describe('pythonStr', () => {
  it('writes a number from its literal, and without one an integer as an int', () => {
    expect(pythonStr(1, '1.0')).toBe('1.0');
    expect(pythonStr(1e16, '1e16')).toBe('1e+16');
    expect(pythonStr(1e16, '10000000000000000')).toBe('10000000000000000');
    expect(pythonStr(1)).toBe('1');
    expect(pythonStr(0.5)).toBe('0.5');
    expect(pythonStr(1e16)).toBe('1e+16');
    // A literal that is not this number's is not used.
    expect(pythonStr(2, '1.0')).toBe('2');
    expect(pythonStr(2, 'x')).toBe('2');
  });

  it('writes booleans as Python does and keeps strings', () => {
    expect(pythonStr(true)).toBe('True');
    expect(pythonStr(false)).toBe('False');
    expect(pythonStr('1.0')).toBe('1.0');
  });
});

describe('numberLiterals', () => {
  it('gives each number the text of its literal, strings as they are', () => {
    const text = String.raw`{"data": {"a": 1.0, "b": [1E2, "2.0", "q\"3.0", -0], "c\\": 7}}`;
    expect(numberLiterals(text)).toEqual({
      data: { a: '1.0', b: ['1E2', '2.0', 'q"3.0', '-0'], 'c\\': '7' },
    });
  });

  it('gives undefined for text that is no JSON', () => {
    expect(numberLiterals('{"a": 1.0')).toBeUndefined();
  });
});
