/**
 * Coalesces the enqueues asked for while the broker hands over one burst into one bulk write:
 * a round trip and a socket write for the burst instead of one per message. Each caller still
 * gets its own answer, and an answer only once Redis has confirmed the write that held its job.
 */
export interface EnqueueBatchOptions<T, R> {
  /** Writes every item, in order, and resolves with one answer per item; throws if any was not stored. */
  writeAll(items: T[]): Promise<R[]>;
  /** Writes one item: used to tell which item of a failed bulk write was at fault. */
  writeOne(item: T): Promise<R>;
  /** True for a failure no item can be blamed for (Redis down or not answering). */
  isShared(err: unknown): boolean;
  /** Most items in one bulk write. */
  max: number;
}

interface Waiting<T, R> {
  item: T;
  resolve: (answer: R) => void;
  reject: (err: unknown) => void;
}

export class EnqueueBatch<T, R> {
  private waiting: Array<Waiting<T, R>> = [];
  private scheduled = false;

  constructor(private readonly opts: EnqueueBatchOptions<T, R>) {}

  /** Resolves with the item's answer once Redis has it. */
  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.opts.max) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: every message of the socket read is in by then.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length > 0) void this.write(batch);
  }

  private async write(batch: Array<Waiting<T, R>>): Promise<void> {
    let answers: R[];
    try {
      answers = await this.opts.writeAll(batch.map((w) => w.item));
    } catch (err) {
      if (this.opts.isShared(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // One item the store refuses fails the bulk write; alone, each gets its own answer.
      await Promise.all(batch.map((w) => this.opts.writeOne(w.item).then(w.resolve, w.reject)));
      return;
    }
    batch.forEach((w, i) => w.resolve(answers[i]!));
  }
}
