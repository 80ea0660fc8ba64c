/** The items of one turn, and what their run will answer. */
interface Batch<T, R> {
  items: T[];
  results: Promise<readonly R[]>;
}

/**
 * Calls made in one turn of the event loop, served together: the first schedules `run` for the
 * end of the turn (setImmediate) with every item added until then, and each caller gets the
 * result at its item's index, or the batch's error. One Redis command where there were many:
 * replies arrive, and requests are read, several to a turn. Each item is still served after it
 * was added, so a read sees every write made before it.
 */
export class TurnBatch<T, R> {
  /** This turn's batch, once an item was added in it. */
  private open: Batch<T, R> | null = null;

  constructor(private readonly run: (items: T[]) => Promise<readonly R[]>) {}

  add(item: T): Promise<R> {
    const batch = (this.open ??= this.start());
    const index = batch.items.push(item) - 1;
    return batch.results.then((results) => results[index] as R);
  }

  private start(): Batch<T, R> {
    const items: T[] = [];
    const results = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.open = null;
      return this.run(items);
    });
    return { items, results };
  }
}
