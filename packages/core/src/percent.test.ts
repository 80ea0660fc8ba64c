import { describe, expect, it } from '@jest/globals';
import { percentDecoded } from './percent.js';

describe('percentDecoded', () => {
  it('decodes escapes, reserved ones included', () => {
    expect(percentDecoded('a%20b%2Fc%C3%A9')).toBe('a b/cé');
    expect(percentDecoded('plain')).toBe('plain');
  });

  it('is null for a % that starts no escape and for escapes that are not UTF-8', () => {
    for (const text of ['%', '%ZZ', 'a%2', '%FF', '%C3', '%ED%A0%80'])
      expect(percentDecoded(text)).toBeNull();
  });
});
