import { describe, expect, it } from '@jest/globals';
import { checkCreate, checkUpdate } from './changes.js';
import { isRowId, isStorableName, MAX_ID, unfit } from './limits.js';

describe('what the columns hold on every database', () => {
  it('ids are 32-bit: 1 to 2147483647', () => {
    expect([1, MAX_ID].map(isRowId)).toEqual([true, true]);
    expect([0, -1, MAX_ID + 1, 2 ** 53, 1.5, '1', null].map(isRowId)).toEqual(Array(7).fill(false));
  });

  it('names: at most 128 characters (not UTF-16 units), no NUL', () => {
    expect(unfit('x'.repeat(128), 'name')).toBeNull();
    expect(unfit('\u{1F600}'.repeat(128), 'name')).toBeNull();
    expect(unfit('x'.repeat(129), 'name')).toBe('must be at most 128 characters, not 129');
    expect(unfit('linux-1\u0000', 'name')).toBe('must not contain a NUL character (U+0000)');
    expect([isStorableName('linux-1'), isStorableName('linux-1\u0000')]).toEqual([true, false]);
  });

  it("text: at most MariaDB's 65,535 bytes of UTF-8, no NUL", () => {
    expect(unfit('x'.repeat(65_535), 'text')).toBeNull();
    expect(unfit('\u00e9'.repeat(32_767) + 'x', 'text')).toBeNull();
    expect(unfit('\u00e9'.repeat(32_768), 'text')).toBe(
      "must be at most 65535 bytes of UTF-8 (MariaDB's text), not 65536",
    );
    expect(unfit('/a\u0000b', 'text')).toBe('must not contain a NUL character (U+0000)');
  });

  it('a lone surrogate is refused, a pair is a character', () => {
    const lone = (unit: string) =>
      `must not contain a lone surrogate (\\u${unit}), which is no character`;
    expect(unfit('a\ud800b', 'text')).toBe(lone('d800'));
    expect(unfit('bm\udc00', 'name')).toBe(lone('dc00'));
    expect(unfit('\ud83d\ude00', 'name')).toBeNull();
    expect(isStorableName('linux-\udfff')).toBe(false);
    expect(checkUpdate('slaves', { notes: 'x\ud800' })).toEqual({
      ok: false,
      error: `notes ${lone('d800')}`,
    });
  });

  it('PUT and POST bodies: each problem names its field', () => {
    expect(checkUpdate('slaves', { distroid: MAX_ID + 1, notes: 'x'.repeat(70_000) })).toEqual({
      ok: false,
      error:
        "distroid must be a positive integer id, at most 2147483647; notes must be at most 65535 bytes of UTF-8 (MariaDB's text), not 70000",
    });
    expect(checkUpdate('slaves', { basedir: '/a\u0000b' })).toEqual({
      ok: false,
      error: 'basedir must not contain a NUL character (U+0000)',
    });
    expect(checkUpdate('masters', { nickname: 'bm\u0000', notes: null })).toEqual({
      ok: false,
      error: 'nickname must not contain a NUL character (U+0000)',
    });
    expect(checkUpdate('slaves', { locked_masterid: MAX_ID, notes: null })).toMatchObject({
      ok: true,
    });
    const slave = {
      name: 'linux-1',
      distroid: 1,
      bitsid: 1,
      speedid: 1,
      purposeid: 1,
      dcid: 1,
      trustid: 1,
      envid: 1,
      poolid: 1,
      basedir: '/b',
    };
    expect(checkCreate('slaves', slave)).toMatchObject({ ok: true });
    expect(checkCreate('slaves', { ...slave, notes: 'x\u0000' })).toEqual({
      ok: false,
      error: 'notes must not contain a NUL character (U+0000)',
    });
    expect(checkCreate('slaves', { ...slave, name: `x${'1'.repeat(128)}` })).toEqual({
      ok: false,
      error: 'name must be at most 128 characters, not 129',
    });
  });
});
