import { describe, expect, it } from '@jest/globals';
import { pythonList, pythonRepr, pythonStr, pythonTuple } from './python-text.js';

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

describe('pythonRepr', () => {
  it('quotes and escapes text as Python 3 repr does', () => {
    expect(pythonRepr('PASSED')).toBe("'PASSED'");
    expect(pythonRepr("it's")).toBe(`"it's"`);
    expect(pythonRepr(`it's "x"`)).toBe(`'it\\'s "x"'`);
    expect(pythonRepr('a\\b\n\t\r\x01\x7f')).toBe("'a\\\\b\\n\\t\\r\\x01\\x7f'");
    expect(pythonRepr('é\u00a0\u2028😀')).toBe("'é\\xa0\\u2028😀'");
    expect(pythonTuple(['A', 'B'])).toBe("('A', 'B')");
    expect(pythonTuple(['A'])).toBe("('A',)");
    expect(pythonList(['a:b'])).toBe("['a:b']");
  });
});
