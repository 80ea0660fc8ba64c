import { describe, expect, it, jest } from '@jest/globals';
import { once } from 'node:events';
import { backoffDelay } from './backoff.js';
import { EnqueueGate } from './enqueue-gate.js';

/** A probe whose answers the test decides, one per call. */
function scriptedProbe(answers: boolean[]) {
  let calls = 0;
  const probe = async () => {
    const ok = answers[calls] ?? true;
    calls += 1;
    if (!ok) throw new Error('down');
  };
  return { probe, calls: () => calls };
}

describe('EnqueueGate', () => {
  it('is closed until a probe answers, reporting each failed probe', async () => {
    const { probe, calls } = scriptedProbe([false, false, true]);
    const gate = new EnqueueGate({ probe, initialDelay: 1, maxDelay: 2 });
    const failures: number[] = [];
    gate.on('probe-failed', (_err, n) => failures.push(n));
    gate.start();
    expect(gate.open).toBe(false);
    await once(gate, 'open');
    expect(gate.open).toBe(true);
    expect(failures).toEqual([1, 2]);
    expect(calls()).toBe(3);
  });

  it('closes once per outage and reopens when Redis answers again', async () => {
    const { probe, calls } = scriptedProbe([true, false, true]);
    const gate = new EnqueueGate({ probe, initialDelay: 1, maxDelay: 2 });
    gate.start();
    await once(gate, 'open');
    expect(gate.close()).toBe(true);
    expect(gate.close()).toBe(false);
    expect(gate.open).toBe(false);
    await once(gate, 'open');
    expect(calls()).toBe(3);
  });

  it('probes at once when nudged instead of waiting out its backoff', async () => {
    const { probe, calls } = scriptedProbe([false, true]);
    const gate = new EnqueueGate({ probe, initialDelay: 60_000, maxDelay: 60_000 });
    const failed = once(gate, 'probe-failed');
    gate.start();
    await failed;
    const opened = once(gate, 'open');
    gate.nudge();
    await opened;
    expect(calls()).toBe(2);
  });

  it('stops probing for good when disposed, whatever asks it to again, leaving no timer', async () => {
    jest.useFakeTimers();
    try {
      const { probe, calls } = scriptedProbe([false, false, false]);
      const gate = new EnqueueGate({ probe, initialDelay: 1_000, maxDelay: 1_000 });
      const failed = once(gate, 'probe-failed');
      gate.start();
      await failed;
      gate.dispose();
      // What the looper's Redis client may still report while it closes: its first attempt
      // ending (start), a reconnect (nudge).
      gate.start();
      gate.nudge();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(calls()).toBe(1);
      expect(gate.open).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

it('backs off exponentially up to a cap', () => {
  expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, 250, 5000))).toEqual([
    250, 500, 1000, 2000, 4000, 5000,
  ]);
});
