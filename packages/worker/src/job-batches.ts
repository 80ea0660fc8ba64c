import { PermanentError, type BatchSettings, type Config } from '@loopabull/core';

/**
 * Whether a try runs as a batch of one. Jobs that failed together come back together (the same
 * backoff), so a batch that fails as a whole (a throw, a timeout, a failed playbook run) would
 * form again on every retry, and one bad event would park all its batch-mates. The last try of a
 * job that has been retried runs alone: only the event at fault is parked.
 */
export function runsAlone(attempt: number, attempts: number): boolean {
  return attempt > 1 && attempt >= attempts;
}

/** Where a job of a batched playbook topic goes: its open batch, and that batch's settings. */
export interface PlaybookBatch {
  key: string;
  settings: BatchSettings;
}

/**
 * The batch of a job whose topic (as it arrived) is listed in `ansible.batch` and resolved to the
 * playbook `file`, or null when the topic is not batched. One batch per arriving topic, not per
 * file: with `topics.fold_prefixes`, `org.fedoraproject.prod.X` and `org.fedoraproject.stg.X` run
 * the same `X.yml`, but each is listed (or not) with its own `max` and `wait`, and a run tells the
 * playbook one topic (`LOOPABULL_TOPIC`). The file is part of the key too: a topic's file may
 * change (a full-topic file dropped in), and one run has one playbook.
 */
export function playbookBatch(
  batch: Config['ansible']['batch'],
  topic: string,
  file: string,
): PlaybookBatch | null {
  // An own property only: a topic from the bus named `constructor` is no batch setting.
  const listed = Object.hasOwn(batch, topic) ? batch[topic] : undefined;
  if (!listed) return null;
  return {
    key: `playbook:${JSON.stringify([topic, file])}`,
    settings: { max: listed.max, wait_ms: listed.wait * 1000 },
  };
}

interface BatchItem<I> {
  item: I;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface OpenBatch<I> {
  items: Array<BatchItem<I>>;
  limit: number;
  timer: NodeJS.Timeout | null;
  run: (items: I[]) => Promise<unknown[]>;
}

/**
 * Gathers the jobs of one batch handler module, or of one batched playbook topic (`playbookBatch`),
 * into batches (one open batch per key): a batch starts with the first job
 * and runs when it holds `max` jobs, as many as the worker runs at once, or `wait_ms` after it
 * started, whichever comes first. Each job gets its own outcome: a value, or an Error it fails with.
 */
export class JobBatches {
  private readonly open = new Map<string, OpenBatch<unknown>>();

  /** `capacity`: jobs the worker runs at once; a batch waiting for more would wait in vain. */
  constructor(private readonly capacity: number) {}

  /**
   * Adds an item to the open batch of `key` (one per module or batched topic), which `run` runs;
   * resolves with the item's value, rejects with its Error or with what `run` threw. `settings`
   * are read when the key's batch opens: one key, one setting.
   */
  submit<I>(
    key: string,
    settings: BatchSettings,
    item: I,
    run: (items: I[]) => Promise<unknown[]>,
  ): Promise<unknown> {
    let batch = this.open.get(key) as OpenBatch<I> | undefined;
    if (!batch) {
      batch = { items: [], limit: Math.min(settings.max, this.capacity), timer: null, run };
      this.open.set(key, batch as OpenBatch<unknown>);
      const opened = batch;
      batch.timer = setTimeout(() => this.start(key, opened), settings.wait_ms);
    }
    const promise = new Promise<unknown>((resolve, reject) =>
      batch.items.push({ item, resolve, reject }),
    );
    if (batch.items.length >= batch.limit) this.start(key, batch);
    return promise;
  }

  /** Runs every open batch now, without waiting for it to fill: the worker is stopping. */
  flushAll(): void {
    for (const [key, batch] of [...this.open]) this.start(key, batch);
  }

  private start<I>(key: string, batch: OpenBatch<I>): void {
    if (this.open.get(key) === (batch as OpenBatch<unknown>)) this.open.delete(key);
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = null;
    void this.settle(batch);
  }

  private async settle<I>(batch: OpenBatch<I>): Promise<void> {
    let outcomes: unknown[];
    try {
      outcomes = await batch.run(batch.items.map((b) => b.item));
      if (!Array.isArray(outcomes) || outcomes.length !== batch.items.length)
        throw new PermanentError(
          `a batch handler must return an array of one outcome per event: got ${Array.isArray(outcomes) ? `${outcomes.length} for ${batch.items.length}` : typeof outcomes}`,
        );
    } catch (err) {
      for (const b of batch.items) b.reject(err);
      return;
    }
    batch.items.forEach((b, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof Error) b.reject(outcome);
      else b.resolve(outcome);
    });
  }
}
