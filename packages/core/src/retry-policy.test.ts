import { describe, expect, it } from '@jest/globals';
import { retryDecision } from './retry-policy.js';

describe('retryDecision', () => {
  it('puts back a failed job, and an unrouted one (its automation may exist now)', () => {
    expect(retryDecision('j1', 'failed', null)).toEqual({ ok: true, from: 'failed' });
    expect(retryDecision('j1', 'completed', { outcome: 'unrouted' })).toEqual({
      ok: true,
      from: 'completed',
    });
  });

  it('refuses a job that completed, saying how to run its automation again', () => {
    const refused = retryDecision('j1', 'completed', { outcome: 'ran' });
    expect(refused).toEqual({
      ok: false,
      error: expect.stringMatching(
        /^job j1 completed: only failed and unrouted jobs are retried; to run its automation again, `loopabull run TOPIC --file BODY`/,
      ),
    });
  });

  it('refuses a job that has not finished', () => {
    for (const state of ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'])
      expect(retryDecision('j1', state, null)).toEqual({
        ok: false,
        error: `job j1 is ${state}, not finished: only failed and unrouted jobs are retried`,
      });
  });
});
