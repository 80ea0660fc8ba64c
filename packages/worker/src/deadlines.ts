import { HandlerTimedOut } from '@loopabull/core';
import { RunError } from '@loopabull/playbook';

/** Why the runs of a worker stop when it does. */
const shuttingDown = () => new Error('the worker is shutting down');

/** How a run stopped at its deadline or by its worker's stop fails. */
const stoppedRun = (relative: string, why: Error) =>
  new RunError(`handler ${relative} stopped: ${why.message}`, null, false);

/** A run started after its worker's stop: it fails as one the stop caught. */
export const stoppedBeforeStart = (relative: string) => stoppedRun(relative, shuttingDown());

/**
 * One handler call: the signal its handler may ask for, and what stops it at its deadline or
 * when the worker stops. The signal is made when the handler first asks for it (`ctx.signal`, a
 * getter): most never do, and an AbortController with its listeners for every job was 4 % of a
 * busy worker's CPU.
 */
export class HandlerCall {
  private controller: AbortController | null = null;
  /** Why it was stopped, once it was. */
  private reason: Error | null = null;
  private rejectRun: ((err: RunError) => void) | null = null;
  /** When it times out (`performance.now()`), once it is waited for. */
  at = Infinity;

  constructor(
    /** The handler's file, relative to the playbooks directory. */
    readonly relative: string,
    readonly timeoutSeconds: number,
  ) {}

  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Fails the run at once, so that a handler that ignores its signal cannot hold the job. */
  stop(why: Error): void {
    if (this.reason) return;
    this.reason = why;
    this.controller?.abort(why);
    this.rejectRun?.(stoppedRun(this.relative, why));
  }

  /**
   * The handler's promise, failed at the deadline or when `deadlines` stops. A handler's own
   * failure goes through `asRunError`, not one that follows a stop: that is the stop's echo.
   */
  wait<T>(
    called: PromiseLike<T>,
    deadlines: Deadlines,
    started: number,
    asRunError: (err: unknown) => RunError,
  ): Promise<T> {
    this.at = started + this.timeoutSeconds * 1000;
    return new Promise<T>((resolve, reject) => {
      this.rejectRun = reject;
      deadlines.add(this);
      Promise.resolve(called).then(
        (value) => {
          deadlines.delete(this);
          resolve(value);
        },
        (err: unknown) => {
          deadlines.delete(this);
          reject(this.reason ? err : asRunError(err));
        },
      );
    });
  }
}

/**
 * The handler calls under way for one stop signal (a worker's), with one timer for the earliest
 * deadline and one listener for the stop, instead of a timer and a listener per call: those were
 * some 10 % of the worker's own CPU for a no-op job.
 */
export class Deadlines {
  private readonly calls = new Set<HandlerCall>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(stop?: AbortSignal) {
    stop?.addEventListener('abort', () => {
      const why = shuttingDown();
      for (const call of this.calls) call.stop(why);
      this.calls.clear();
      this.disarm();
    });
  }

  add(call: HandlerCall): void {
    this.calls.add(call);
    if (call.at < this.timerAt) this.arm(call.at);
  }

  delete(call: HandlerCall): void {
    this.calls.delete(call);
    // A timer left for calls that all ended would keep a `loopabull run` alive until it fires.
    if (this.calls.size === 0) this.disarm();
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.expire(), Math.max(0, Math.ceil(at - performance.now())));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  /** Stops the calls whose deadline passed; the timer then waits for the earliest left. */
  private expire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const call of this.calls) {
      if (call.at <= now) {
        this.calls.delete(call);
        call.stop(new HandlerTimedOut(call.timeoutSeconds));
      } else next = Math.min(next, call.at);
    }
    if (next < Infinity) this.arm(next);
  }
}

const perSignal = new WeakMap<AbortSignal, Deadlines>();
const unstoppable = new Deadlines();

/** The calls of one stop signal (a worker's); without one, those that only time out. */
export function deadlinesFor(stop: AbortSignal | undefined): Deadlines {
  if (!stop) return unstoppable;
  let deadlines = perSignal.get(stop);
  if (!deadlines) perSignal.set(stop, (deadlines = new Deadlines(stop)));
  return deadlines;
}
