import type { Redis } from 'ioredis';

/** Histogram buckets for run durations, in seconds (playbooks take from under a second to hours). */
export const DURATION_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600] as const;

/**
 * Counters shared by every Loopabull process on one queue, kept in Redis so that `/metrics`
 * from any `serve` shows the whole installation, whichever looper or worker counted.
 */
export class Counters {
  constructor(
    private readonly redis: Redis,
    private readonly keys: { counters: string; durations: string },
  ) {}

  async incr(name: string, label?: string, by = 1): Promise<void> {
    await this.redis.hincrby(
      this.keys.counters,
      label === undefined ? name : `${name}|${label}`,
      by,
    );
  }

  async observeDuration(topic: string, seconds: number): Promise<void> {
    const multi = this.redis.multi();
    for (const le of DURATION_BUCKETS) {
      if (seconds <= le) multi.hincrby(this.keys.durations, `${topic}|${le}`, 1);
    }
    multi.hincrby(this.keys.durations, `${topic}|+Inf`, 1);
    multi.hincrbyfloat(this.keys.durations, `${topic}|sum`, seconds);
    await multi.exec();
  }

  /** Every counter as `{ name: { label: value } }`, unlabelled ones under the label ''. */
  async read(): Promise<Record<string, Record<string, number>>> {
    return groupFields(await this.redis.hgetall(this.keys.counters));
  }

  /** Duration histograms as `{ topic: { bucket|sum: value } }`. */
  async readDurations(): Promise<Record<string, Record<string, number>>> {
    const raw = await this.redis.hgetall(this.keys.durations);
    const out: Record<string, Record<string, number>> = {};
    for (const [field, value] of Object.entries(raw)) {
      const cut = field.lastIndexOf('|');
      (out[field.slice(0, cut)] ??= {})[field.slice(cut + 1)] = Number(value);
    }
    return out;
  }
}

function groupFields(raw: Record<string, string>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [field, value] of Object.entries(raw)) {
    const cut = field.indexOf('|');
    const name = cut < 0 ? field : field.slice(0, cut);
    const label = cut < 0 ? '' : field.slice(cut + 1);
    (out[name] ??= {})[label] = Number(value);
  }
  return out;
}
