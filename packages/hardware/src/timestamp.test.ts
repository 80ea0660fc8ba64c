import { describe, expect, it } from '@jest/globals';
import { formatLastseen, normalizeTimestamp, parseTimestamp } from './timestamp.js';

describe('lastseen timestamps', () => {
  it('formats naive UTC with six fraction digits, as the original stored them', () => {
    const micros = Date.UTC(2018, 10, 8, 8, 47, 50) * 1000 + 939514;
    expect(formatLastseen(micros)).toBe('2018-11-08T08:47:50.939514');
    expect(formatLastseen(Date.UTC(2019, 0, 2, 3, 4, 5) * 1000)).toBe('2019-01-02T03:04:05.000000');
  });

  it('parses the original format, with and without a fraction', () => {
    expect(parseTimestamp('2018-11-08T08:47:50.939514')).toBe(
      Date.UTC(2018, 10, 8, 8, 47, 50) * 1000 + 939514,
    );
    expect(parseTimestamp('2018-11-08T08:47:50')).toBe(Date.UTC(2018, 10, 8, 8, 47, 50) * 1000);
  });

  it('parses Taskcluster ISO times with Z and times with an offset', () => {
    expect(parseTimestamp('2019-06-26T19:36:10.521Z')).toBe(
      Date.UTC(2019, 5, 26, 19, 36, 10, 521) * 1000,
    );
    expect(parseTimestamp('2019-06-26T21:36:10.521+02:00')).toBe(
      parseTimestamp('2019-06-26T19:36:10.521Z'),
    );
    expect(parseTimestamp('2019-06-27T19:35:10.521+23:59')).toBe(
      parseTimestamp('2019-06-26T19:36:10.521Z'),
    );
    expect(normalizeTimestamp('2019-06-26T19:36:10.521Z')).toBe('2019-06-26T19:36:10.521000');
    expect(normalizeTimestamp('2019-06-26T19:36:10.123456789Z')).toBe('2019-06-26T19:36:10.123456');
  });

  it('round-trips its own format', () => {
    const text = '2024-02-29T23:59:59.000001';
    expect(formatLastseen(parseTimestamp(text)!)).toBe(text);
  });

  it('refuses what is not a timestamp', () => {
    for (const bad of [
      '',
      'yesterday',
      '2019-02-30T00:00:00',
      '2019-06-26 25:00:00',
      '2019-06-26T19:36',
      '1561577770',
      '2019-06-26T19:36:10.521+99:99',
      '2019-06-26T19:36:10.521-24:00',
      '2019-06-26T19:36:10.521+02:60',
    ]) {
      expect(parseTimestamp(bad)).toBeNull();
    }
  });
});
