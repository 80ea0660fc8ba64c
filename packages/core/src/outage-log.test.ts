import { describe, expect, it } from '@jest/globals';
import { OUTAGE_REMINDER_MS, OutageLog } from './outage-log.js';

function logged() {
  const lines: Array<[string, string, Record<string, unknown>]> = [];
  let t = 1_000_000;
  const log = new OutageLog(
    {
      error: ((message: string, meta: Record<string, unknown>) =>
        lines.push(['error', message, meta])) as never,
      info: ((message: string, meta: Record<string, unknown>) =>
        lines.push(['info', message, meta])) as never,
    },
    { redis: 'redis://r:6379' },
    () => t,
  );
  return { lines, log, later: (ms: number) => (t += ms) };
}

const refused = new Error('connect ECONNREFUSED 127.0.0.1:6379');

describe('OutageLog', () => {
  it('logs an outage once, a reminder a minute, and once when Redis is back', () => {
    const { lines, log, later } = logged();
    log.error(refused, false);
    for (let i = 0; i < 30; i++) {
      later(1000);
      log.error(refused, false);
    }
    expect(lines).toEqual([
      ['error', 'queue error', { redis: 'redis://r:6379', error: refused.message }],
    ]);
    later(OUTAGE_REMINDER_MS - 30_000);
    log.error(refused, false);
    expect(lines[1]).toEqual([
      'error',
      'queue error: Redis is still unreachable',
      { redis: 'redis://r:6379', for_seconds: 60, errors_not_logged: 30, error: refused.message },
    ]);
    later(5000);
    log.error(refused, false);
    log.ready();
    expect(lines[2]).toEqual([
      'info',
      'Redis is back',
      { redis: 'redis://r:6379', after_seconds: 65, errors_not_logged: 1 },
    ]);
    // The next outage is news again.
    log.error(refused, false);
    expect(lines).toHaveLength(4);
  });

  it('logs every error while connected, and no "back" line without an outage', () => {
    const { lines, log } = logged();
    const lost = new Error('Missing lock for job 7. moveToFinished');
    log.error(lost, true);
    log.error(lost, true);
    log.ready();
    expect(lines.map(([, message]) => message)).toEqual(['queue error', 'queue error']);
  });
});
