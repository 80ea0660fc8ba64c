import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it('parses the units operators type', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('6h')).toBe(21600);
    expect(parseDuration('2d')).toBe(172800);
    expect(parseDuration('1w')).toBe(604800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration(' 6H ')).toBe(21600);
    expect(parseDuration('3600')).toBe(3600);
  });

  it('refuses anything else, and zero', () => {
    for (const bad of ['', 'h', '6 h', '-6h', '1.5h', '6x', '0', '0h', 'soon'])
      expect(parseDuration(bad)).toBeNull();
  });

  it('says how long for people, in the two largest units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(725)).toBe('12m 5s');
    expect(formatDuration(3 * 86400 + 4 * 3600 + 59)).toBe('3d 4h');
    expect(formatDuration(3 * 86400 + 300)).toBe('3d');
    expect(formatDuration(21600)).toBe('6h');
  });
});
