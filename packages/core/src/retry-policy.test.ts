import { describe, expect, it } from '@jest/globals';
import { currentAttempt, retryDecision } from './retry-policy.js';

describe('retryDecision', () => {
  it('puts back a failed job, and an unrouted one (its automation may exist now)', () => {
    expect(retryDecision('j1', 'failed', null)).toEqual({
      ok: true,
      from: 'failed',
      freshTries: false,
    });
    // Unrouted was no try of its automation: it gets all its tries.
    expect(retryDecision('j1', 'completed', { outcome: 'unrouted' })).toEqual({
      ok: true,
      from: 'completed',
      freshTries: true,
    });
  });

  it('refuses a job that completed, saying how to run its automation again', () => {
    const refused = retryDecision('j1', 'completed', { outcome: 'ran' });
    expect(refused).toEqual({
      ok: false,
      error: expect.stringMatching(
        /^job j1 completed: only failed and unrouted jobs are retried; to run its automation again, `loopabull jobs show j1 --body \| loopabull run TOPIC --file -`/,
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

describe('currentAttempt', () => {
  it('is the try running or waiting to run: 1 for a job on its first, not the 0 tries made', () => {
    for (const state of ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'])
      expect([currentAttempt(0, state), currentAttempt(2, state)]).toEqual([1, 3]);
  });

  it('is the last try made once the job has ended', () => {
    for (const state of ['completed', 'failed', 'unrouted'])
      expect([currentAttempt(1, state), currentAttempt(5, state)]).toEqual([1, 5]);
  });
});
