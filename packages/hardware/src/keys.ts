/**
 * Redis layout. `machines` is the original's hash, unprefixed and unchanged so an existing
 * deployment's data and clients keep working; the rest is ours, under `hardware:`.
 */
export const HARDWARE_KEYS = {
  /** field `<dc>:<host>` -> lastseen `YYYY-MM-DDTHH:MM:SS.ffffff` (naive UTC). */
  lastseen: 'machines',
  /**
   * Bumped by every write of ours that changes `machines`: the server keeps the rendered
   * `/machines` body while it stays the same.
   */
  lastseenVersion: 'hardware:machines:version',
  /** Set of every machine with detail, including ones never seen alive. */
  index: 'hardware:machines',
  /** Hash per machine: last state, task, worker type, exception, counts per state. */
  detail: (id: string) => `hardware:detail:${id}`,
  /** Sorted set per machine of recent event ids (scored by receive time): redeliveries are spotted here. */
  recent: (id: string) => `hardware:recent:${id}`,
  /** List per machine of its latest exceptions (JSON), newest recorded first. */
  exceptions: (id: string) => `hardware:exceptions:${id}`,
  /** List of the latest messages that named no worker (JSON), newest first. */
  unattributed: 'hardware:unattributed',
  unattributedRecent: 'hardware:unattributed:recent',
  /** Hash of counters: `no_worker`. */
  stats: 'hardware:stats',
} as const;

export const LIMITS = { recentEvents: 256, exceptions: 50, unattributed: 100 } as const;
