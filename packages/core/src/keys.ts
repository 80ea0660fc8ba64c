import type { Config } from './config/schema.js';

/**
 * Redis keys Loopabull keeps beside BullMQ's own. They live under the queue's prefix with a
 * `_lb:` segment: BullMQ job ids cannot contain `:` and ours never start with `_`, so no job's
 * keys can collide with these.
 */
export function loopabullKeys(config: Pick<Config, 'redis' | 'queue'>) {
  const base = `${config.redis.prefix}:${config.queue.name}:_lb`;
  return {
    /** Stream of bus messages that could not become events. */
    parked: `${base}:parked`,
    /** Hash of counters: `<counter>` or `<counter>|<label>`. */
    counters: `${base}:counters`,
    /** Hash of run-duration histogram fields: `<topic>|<bucket>` (`+Inf` is the count), `<topic>|sum`. */
    durations: `${base}:durations`,
    /** Set of the labels (topics, reasons) counters may use; others count as `other`. */
    labels: `${base}:labels`,
    /** Sorted set of unrouted job ids, scored by time. */
    unrouted: `${base}:unrouted`,
    /** String the looper writes to learn whether Redis takes writes again; it expires by itself. */
    probe: `${base}:probe`,
  };
}
