import { describe, expect, it } from '@jest/globals';
import { counted, formatTable, printable } from './format.js';

describe('printable', () => {
  it('escapes C0 and C1 controls, DEL and the Unicode line separators', () => {
    expect(printable('a\nb\r\tc\x00\x1b[31m\x7f\x85\x9b\u2028\u2029')).toBe(
      'a\\nb\\r\\tc\\x00\\x1b[31m\\x7f\\x85\\x9b\\u2028\\u2029',
    );
  });

  it('keeps line feeds and tabs when asked, for multi-line output', () => {
    expect(printable('ok\n\tnext\x1b]0;title\x07\r', { keepLines: true })).toBe(
      'ok\n\tnext\\x1b]0;title\\x07\\r',
    );
  });

  it('leaves other text alone', () => {
    const text = 'émoji 😀 漢字 "quotes" \\ backslash ~';
    expect(printable(text)).toBe(text);
  });
});

describe('formatTable', () => {
  it('keeps one row a line whatever the cells hold', () => {
    const table = formatTable(['id', 'detail'], [['1', 'a\nforged row\x1b[2J']]);
    expect(table).toBe('id  detail\n1   a\\nforged row\\x1b[2J\n');
  });
});

describe('counted', () => {
  it('gives the noun its plural unless there is one', () => {
    expect([0, 1, 2].map((n) => counted(n, 'message'))).toEqual([
      '0 messages',
      '1 message',
      '2 messages',
    ]);
  });
});
