import { EventEmitter } from 'node:events';
import { backoffDelay } from './backoff.js';

export interface EnqueueGateOptions {
  /** Resolves when Redis answers, rejects when it does not. */
  probe: () => Promise<unknown>;
  /** Milliseconds before the first probe after a failure, doubled after each failed probe. */
  initialDelay?: number;
  maxDelay?: number;
}

interface GateEvents {
  open: [];
  /** `failures`: consecutive failed probes so far, from 1. */
  'probe-failed': [error: unknown, failures: number];
}

/**
 * Whether Redis takes jobs. Closed until a first probe answers, and again after any write that
 * Redis did not confirm; while closed it probes with backoff and opens at the first answer, so
 * an outage costs one pause and one resume, not a failure per message.
 */
export class EnqueueGate extends EventEmitter<GateEvents> {
  private isOpen = false;
  private probing: AbortController | null = null;
  private wake: (() => void) | null = null;
  private disposed = false;
  private readonly initialDelay: number;
  private readonly maxDelay: number;

  constructor(private readonly opts: EnqueueGateOptions) {
    super();
    this.initialDelay = opts.initialDelay ?? 250;
    this.maxDelay = opts.maxDelay ?? 5_000;
  }

  get open(): boolean {
    return this.isOpen;
  }

  start(): void {
    this.probe(false);
  }

  /** Marks Redis as failing and starts probing; false when the gate was closed already. */
  close(): boolean {
    if (!this.isOpen) return false;
    this.isOpen = false;
    // Redis just failed a write: asking it again at once would only fail again.
    this.probe(true);
    return true;
  }

  /** Probes now instead of at the next backoff step, e.g. when the client has reconnected. */
  nudge(): void {
    this.wake?.();
  }

  /** Stops probing for good: `start`, `close` and `nudge` do nothing afterwards. */
  dispose(): void {
    this.disposed = true;
    this.probing?.abort();
    this.probing = null;
  }

  private probe(restFirst: boolean): void {
    // The client being closed still reports its connection ending, which would start probing
    // it again, with a timer that keeps a stopped process alive.
    if (this.disposed) return;
    this.probing?.abort();
    const controller = new AbortController();
    this.probing = controller;
    void this.probeUntilAnswered(controller.signal, restFirst);
  }

  private async probeUntilAnswered(signal: AbortSignal, restFirst: boolean): Promise<void> {
    let failures = 0;
    if (restFirst) await this.rest(this.initialDelay, signal);
    while (!signal.aborted) {
      try {
        await this.opts.probe();
      } catch (err) {
        if (signal.aborted) return;
        failures += 1;
        this.emit('probe-failed', err, failures);
        await this.rest(backoffDelay(failures - 1, this.initialDelay, this.maxDelay), signal);
        continue;
      }
      if (signal.aborted) return;
      this.probing = null;
      this.isOpen = true;
      this.emit('open');
      return;
    }
  }

  private rest(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }
}
