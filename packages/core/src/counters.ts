import type { Redis } from 'ioredis';

/** Histogram buckets for run durations, in seconds (playbooks take from under a second to hours). */
export const DURATION_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600] as const;

/**
 * How long increments wait in memory. A write per increment cost the looper more than the job
 * it counted; batched, a busy process writes its counters in one transaction four times a second.
 */
export const COUNTERS_FLUSH_MS = 250;

/** The label that counts for every label beyond `maxLabels`. */
const OTHER_LABEL = 'other';

/**
 * Admits labels into the shared set while it has room, atomically across processes.
 * KEYS[1] the set; ARGV[1] the most labels; ARGV[2..] candidates. Returns 1 or 0 per candidate.
 */
const ADMIT = `
local max = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 1 then
    out[#out + 1] = 1
  elseif redis.call('SCARD', KEYS[1]) < max then
    redis.call('SADD', KEYS[1], ARGV[i])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`;

export interface CountersOptions {
  /**
   * Distinct labels (topics) counted on their own, for the whole installation; the rest count
   * under `other`. Every topic is a Prometheus series, and a public bus has no end of topics.
   */
  maxLabels?: number;
  /**
   * A flush Redis did not take. Its increments stay in memory for the next flush, so nothing is
   * lost by ignoring this, which is the default.
   */
  onError?: (err: Error) => void;
}

interface Histogram {
  /** Per bucket of DURATION_BUCKETS, then +Inf: observations at or under its bound. */
  counts: number[];
  sum: number;
}

interface Batch {
  counters: Map<string, number>;
  durations: Map<string, Histogram>;
}

const emptyBatch = (): Batch => ({ counters: new Map(), durations: new Map() });
const isEmpty = (b: Batch) => b.counters.size + b.durations.size === 0;

function add(map: Map<string, number>, field: string, by: number): void {
  map.set(field, (map.get(field) ?? 0) + by);
}

function histogram(durations: Map<string, Histogram>, topic: string): Histogram {
  let h = durations.get(topic);
  if (!h) {
    h = { counts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0 };
    durations.set(topic, h);
  }
  return h;
}

function merge(into: Batch, from: Batch): void {
  for (const [field, by] of from.counters) add(into.counters, field, by);
  for (const [topic, { counts, sum }] of from.durations) {
    const h = histogram(into.durations, topic);
    counts.forEach((n, i) => (h.counts[i]! += n));
    h.sum += sum;
  }
}

/** How many refused labels a process remembers before it forgets them (`Counters.admitted`). */
export const REFUSED_KEPT = 10_000;

/**
 * Counters shared by every Loopabull process on one queue, kept in Redis so that `/metrics`
 * from any `serve` shows the whole installation, whichever looper or worker counted.
 *
 * Increments are added up in memory and written together `COUNTERS_FLUSH_MS` after the first
 * one, and by `flush()` and `close()`. So what Redis shows lags by up to that much, and a
 * process killed with SIGKILL loses what it counted since its last flush: acceptable for
 * metrics, which is all these are (jobs and acks never wait for them).
 */
export class Counters {
  private pending = emptyBatch();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;
  private readonly onError: (err: Error) => void;
  private readonly maxLabels: number;
  /**
   * What this process learnt of the shared label set: admitted (at most maxLabels, for good) or
   * refused. Refused ones are forgotten past REFUSED_KEPT, to be asked again: topics that carry
   * ids would otherwise grow it by one a message for as long as the process runs.
   */
  private readonly admitted = new Map<string, boolean>([[OTHER_LABEL, true]]);
  private refused = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: { counters: string; durations: string; labels: string },
    opts: CountersOptions = {},
  ) {
    this.onError = opts.onError ?? (() => undefined);
    this.maxLabels = opts.maxLabels ?? 1000;
  }

  incr(name: string, label?: string, by = 1): void {
    add(this.pending.counters, label === undefined ? name : `${name}|${label}`, by);
    this.schedule();
  }

  observeDuration(topic: string, seconds: number): void {
    const h = histogram(this.pending.durations, topic);
    DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.counts[i]! += 1;
    });
    h.counts[DURATION_BUCKETS.length]! += 1;
    h.sum += seconds;
    this.schedule();
  }

  /**
   * Resolves once every increment made before the call is in Redis. Rejects when Redis did not
   * take them; they are then kept for the next flush.
   */
  async flush(): Promise<void> {
    // One transaction at a time: one in flight may hold increments made before this call.
    while (this.writing) await this.writing.catch(() => undefined);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    if (isEmpty(batch)) return;
    this.pending = emptyBatch();
    this.writing = this.write(batch);
    try {
      await this.writing;
    } catch (err) {
      // A transaction applies all or nothing, so a batch whose EXEC failed can be written again;
      // only a reply lost after Redis applied it would count it twice.
      merge(this.pending, batch);
      throw err;
    } finally {
      this.writing = null;
      this.schedule();
    }
  }

  /** Writes what is left; later increments are not written. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Every counter as `{ name: { label: value } }`, unlabelled ones under the label ''. */
  async read(): Promise<Record<string, Record<string, number>>> {
    return groupFields(await this.redis.hgetall(this.keys.counters));
  }

  /** Duration histograms as `{ topic: { bucket|sum: value } }`. */
  async readDurations(): Promise<Record<string, Record<string, number>>> {
    const raw = await this.redis.hgetall(this.keys.durations);
    const out = dict<Record<string, number>>();
    for (const [field, value] of Object.entries(raw)) {
      const cut = field.lastIndexOf('|');
      (out[field.slice(0, cut)] ??= dict())[field.slice(cut + 1)] = Number(value);
    }
    return out;
  }

  private schedule(): void {
    if (this.timer || this.writing || this.closed || isEmpty(this.pending)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((err: unknown) => this.onError(err as Error));
    }, COUNTERS_FLUSH_MS);
    // Nothing else to do but flush counters is no reason to stay alive: stopping calls close().
    this.timer.unref();
  }

  /** The batch with labels beyond the cap folded into `other`. */
  private async capped(batch: Batch): Promise<Batch> {
    if (this.refused > REFUSED_KEPT) {
      for (const [label, admitted] of this.admitted) if (!admitted) this.admitted.delete(label);
      this.refused = 0;
    }
    const labels = new Set(batch.durations.keys());
    for (const field of batch.counters.keys()) {
      const { label } = splitField(field);
      if (label !== '') labels.add(label);
    }
    const unknown = [...labels].filter((l) => !this.admitted.has(l));
    if (unknown.length > 0) {
      const verdicts = (await this.redis.eval(
        ADMIT,
        1,
        this.keys.labels,
        this.maxLabels,
        ...unknown,
      )) as number[];
      unknown.forEach((label, i) => {
        this.admitted.set(label, verdicts[i] === 1);
        if (verdicts[i] !== 1) this.refused += 1;
      });
    }
    const keep = (label: string) => (this.admitted.get(label) ? label : OTHER_LABEL);
    const out = emptyBatch();
    for (const [field, by] of batch.counters) {
      const { name, label } = splitField(field);
      add(out.counters, label === '' ? name : `${name}|${keep(label)}`, by);
    }
    // Two topics folded into `other` add up, as their counters do.
    for (const [topic, h] of batch.durations)
      merge(out, { counters: new Map(), durations: new Map([[keep(topic), h]]) });
    return out;
  }

  private async write(raw: Batch): Promise<void> {
    const batch = await this.capped(raw);
    const multi = this.redis.multi();
    for (const [field, by] of batch.counters) multi.hincrby(this.keys.counters, field, by);
    for (const [topic, { counts, sum }] of batch.durations) {
      [...DURATION_BUCKETS, '+Inf'].forEach((le, i) => {
        if (counts[i]) multi.hincrby(this.keys.durations, `${topic}|${le}`, counts[i]);
      });
      multi.hincrbyfloat(this.keys.durations, `${topic}|sum`, sum);
    }
    await multi.exec();
  }
}

/** `<name>|<label>`, or a name alone (label ''). Labels may hold `|`; names do not. */
function splitField(field: string): { name: string; label: string } {
  const cut = field.indexOf('|');
  return cut < 0
    ? { name: field, label: '' }
    : { name: field.slice(0, cut), label: field.slice(cut + 1) };
}

/** A map keyed by the bus's words: `constructor` or `__proto__` must be keys like any other. */
const dict = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

function groupFields(raw: Record<string, string>): Record<string, Record<string, number>> {
  const out = dict<Record<string, number>>();
  for (const [field, value] of Object.entries(raw)) {
    const { name, label } = splitField(field);
    (out[name] ??= dict())[label] = Number(value);
  }
  return out;
}
