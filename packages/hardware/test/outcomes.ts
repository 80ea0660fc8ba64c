/** What the consumer did with each delivery, and a way to await the n-th. */
export class Outcomes<Outcome extends { name: string }> {
  readonly all: Outcome[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  push(o: Outcome): void {
    this.all.push(o);
    this.waiters = this.waiters.filter((w) =>
      this.all.length >= w.n ? (w.resolve(), false) : true,
    );
  }
  until(n: number, ms = 20_000): Promise<void> {
    if (this.all.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `only ${this.all.length} of ${n} deliveries handled: ${JSON.stringify(this.all)}`,
            ),
          ),
        ms,
      );
      this.waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
  of(name: string): Outcome[] {
    return this.all.filter((o) => o.name === name);
  }
}
