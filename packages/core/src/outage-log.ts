import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/** How often, at most, a Redis outage that lasts is mentioned again. */
export const OUTAGE_REMINDER_MS = 60_000;

/**
 * A process's Redis errors as an operator reads them in the journal. While Redis is away BullMQ
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

/**
 * Logs the outages of `connections` (a looper's or a server's Redis) through an OutageLog: the
 * first error, reminders, and `Redis is back`, also while nothing is asked of Redis, when a
 * process otherwise notices only at its next command.
 */
export function logRedisOutages(
  connections: readonly Redis[],
  logger: Pick<Logger, 'error' | 'info'>,
  fields: Record<string, unknown>,
): OutageLog {
  const outage = new OutageLog(logger, fields);
  const connected = () => connections.every((c) => c.status === 'ready');
  for (const c of connections) {
    c.on('error', (err: Error) => outage.error(err, connected()));
    c.on('ready', () => connected() && outage.ready());
  }
  return outage;
}
