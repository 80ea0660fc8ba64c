import { describe, expect, it, jest } from '@jest/globals';
import { RunError } from '@loopabull/playbook';
import { settleable } from '@test/support';
import { Deadlines, deadlinesFor, HandlerCall } from './deadlines.js';

const asRunError = (err: unknown) => new RunError(`failed: ${(err as Error).message}`, null, false);
/** Waits for `called` as a worker does for a handler's promise, from now. */
const waitFor = <T>(call: HandlerCall, called: Promise<T>, deadlines: Deadlines) =>
  call.wait(called, deadlines, performance.now(), asRunError);

describe('Deadlines', () => {
  it('fails each call at its own deadline with one timer, and lets the others run on', async () => {
    const deadlines = new Deadlines();
    const short = new HandlerCall('short.mjs', 0.05);
    const long = new HandlerCall('long.mjs', 30);
    const longRun = settleable<string>();
    // Counted around synchronous calls only: nothing else in the process can set a timer then.
    const setTimer = jest.spyOn(globalThis, 'setTimeout');
    let shortRun: Promise<never>;
    let longDone: Promise<string>;
    try {
      shortRun = waitFor(short, new Promise<never>(() => {}), deadlines);
      longDone = waitFor(long, longRun.promise, deadlines);
      expect(setTimer).toHaveBeenCalledTimes(1);
    } finally {
      setTimer.mockRestore();
    }
    await expect(shortRun).rejects.toThrow('handler short.mjs stopped: timed out after 0.05 s');
    expect(short.signal().aborted).toBe(true);
    expect(long.signal().aborted).toBe(false);
    longRun.resolve('done');
    await expect(longDone).resolves.toBe('done');
  });

  it('fails a call added with an earlier deadline than the timer waits for at that deadline', async () => {
    const deadlines = new Deadlines();
    const late = settleable<string>();
    const lateRun = waitFor(new HandlerCall('late.mjs', 60), late.promise, deadlines);
    const early = new HandlerCall('early.mjs', 0.05);
    await expect(waitFor(early, new Promise(() => {}), deadlines)).rejects.toThrow(
      'timed out after 0.05 s',
    );
    late.resolve('on time');
    await expect(lateRun).resolves.toBe('on time');
  });

  it("stops every call of a stop signal's when it is aborted, the signals' reason the same", async () => {
    const stop = new AbortController();
    const deadlines = deadlinesFor(stop.signal);
    expect(deadlinesFor(stop.signal)).toBe(deadlines);
    const calls = ['a.mjs', 'b.mjs'].map((f) => new HandlerCall(f, 60));
    const runs = calls.map((c) => waitFor(c, new Promise(() => {}), deadlines));
    stop.abort();
    await expect(runs[0]).rejects.toThrow('handler a.mjs stopped: the worker is shutting down');
    await expect(runs[1]).rejects.toThrow('handler b.mjs stopped: the worker is shutting down');
    expect(calls[1]!.signal().reason).toEqual(new Error('the worker is shutting down'));
  });

  it("hands a handler's own failure through asRunError, and a failure after a stop as it is", async () => {
    const deadlines = new Deadlines();
    const failing = settleable<never>();
    const own = waitFor(new HandlerCall('own.mjs', 60), failing.promise, deadlines);
    failing.reject(new Error('boom'));
    await expect(own).rejects.toThrow('failed: boom');

    const stopped = new HandlerCall('stopped.mjs', 60);
    const echo = settleable<never>();
    const run = waitFor(stopped, echo.promise, deadlines);
    stopped.stop(new Error('enough'));
    echo.reject(new Error('aborted'));
    await expect(run).rejects.toThrow('handler stopped.mjs stopped: enough');
  });
});
