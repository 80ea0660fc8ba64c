/**
 * The deliveries of one channel not yet settled, in delivery order, and which of them may be
 * acked. The broker's `multiple` ack settles every outstanding delivery up to a tag, so one frame
 * may ack a run of deliveries only when every one of them is ready: `take` finds that run.
 */
export class AckWindow {
  /** Delivery tag -> ready to ack. A Map keeps insertion order, which is delivery order. */
  private readonly open = new Map<number, boolean>();

  delivered(tag: number): void {
    this.open.set(tag, false);
  }

  /** The delivery may be acked; false if it was not outstanding. */
  ready(tag: number): boolean {
    if (!this.open.has(tag)) return false;
    this.open.set(tag, true);
    return true;
  }

  /** The delivery was settled on its own (requeued or rejected). */
  forget(tag: number): void {
    this.open.delete(tag);
  }

  /**
   * Removes the leading run of ready deliveries and returns its last tag, to ack with `multiple`;
   * null when the oldest outstanding delivery is not ready.
   */
  take(): number | null {
    let last: number | null = null;
    for (const [tag, ready] of this.open) {
      if (!ready) break;
      last = tag;
      this.open.delete(tag);
    }
    return last;
  }

  get size(): number {
    return this.open.size;
  }
}
