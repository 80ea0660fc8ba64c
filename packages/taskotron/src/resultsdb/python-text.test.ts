import { describe, expect, it } from '@jest/globals';
import { pythonStr } from './python-text.js';

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
