import type { Logger } from '@loopabull/core';

/** How often, at most, a Redis outage that lasts is mentioned again. */
export const OUTAGE_REMINDER_MS = 60_000;

/**
 * A worker's Redis errors as an operator reads them in the journal. While Redis is away BullMQ
 * reports every failed reconnect of each connection, a few lines a second for as long as it
 * lasts, and nothing when it is back. Here an outage is its first error, then a reminder at most
 * every `OUTAGE_REMINDER_MS` saying how long and how many errors were left out, and one line when
 * Redis answers again. Errors while connected (a refused write, a lost lock) are all logged.
 */
export class OutageLog {
  private since: number | null = null;
  private reminded = 0;
  private unlogged = 0;

  constructor(
    private readonly logger: Pick<Logger, 'error' | 'info'>,
    /** Which Redis, on every line. */
    private readonly fields: Record<string, unknown>,
    private readonly now: () => number = Date.now,
  ) {}

  /** An error of one of the worker's connections; `connected`: every one of them is up. */
  error(err: Error, connected: boolean): void {
    const t = this.now();
    if (!connected && this.since !== null) {
      if (t - this.reminded < OUTAGE_REMINDER_MS) {
        this.unlogged += 1;
        return;
      }
      this.logger.error('queue error: Redis is still unreachable', {
        ...this.fields,
        for_seconds: Math.round((t - this.since) / 1000),
        errors_not_logged: this.unlogged,
        error: err.message,
      });
      this.reminded = t;
      this.unlogged = 0;
      return;
    }
    if (!connected) {
      this.since = t;
      this.reminded = t;
      this.unlogged = 0;
    }
    this.logger.error('queue error', { ...this.fields, error: err.message });
  }

  /** Every connection is ready again. */
  ready(): void {
    if (this.since === null) return;
    this.logger.info('Redis is back', {
      ...this.fields,
      after_seconds: Math.round((this.now() - this.since) / 1000),
      errors_not_logged: this.unlogged,
    });
    this.since = null;
  }
}
