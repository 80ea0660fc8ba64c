/**
 * Calls made in one turn of the event loop, served together: the first schedules `run` for the
 * end of the turn (setImmediate) with every item added until then, and each caller gets the
 * result at its item's index, or the batch's error. One Redis command where there were many:
 * replies arrive, and requests are read, several to a turn. Each item is still served after it
 * was added, so a read sees every write made before it.
 */
export class TurnBatch<T, R> {
  private items: T[] | null = null;
  private results: Promise<readonly R[]> = Promise.resolve([]);

  constructor(private readonly run: (items: T[]) => Promise<readonly R[]>) {}

  add(item: T): Promise<R> {
    if (!this.items) {
      const items: T[] = [];
      this.items = items;
      this.results = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.items = null;
        return this.run(items);
      });
    }
    const index = this.items.push(item) - 1;
    return this.results.then((results) => results[index] as R);
  }
}
