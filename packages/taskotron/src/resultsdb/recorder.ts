import type { NewResult, StoredResult } from './api.js';
import { previousFilter, resultEvents } from './events.js';
import type { ResultsStore } from './store.js';

/** Sends one event to the bus. */
export type Publish = (topic: string, body: unknown) => Promise<unknown>;

export interface Warner {
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

/**
 * The built-in ResultsDB's way in for new results, whoever sends them (the API's POST, the
 * runner): stores the result and publishes its events, as ResultsDB did on every new result.
 * Events go out in order, behind the answer: a slow or absent bus delays no POST and costs the
 * events, logged, not the result (ResultsDB logged them too).
 */
export class ResultsRecorder {
  private sending: Promise<void> = Promise.resolve();

  constructor(
    readonly store: ResultsStore,
    private readonly publish: Publish,
    /** The API's public URL, for the hrefs in the events. */
    private readonly base: string,
    private readonly logger: Warner,
  ) {}

  /** `testcaseRefUrl`: the ref_url of a testcase this result creates (`ResultsStore.create`). */
  async record(r: NewResult, testcaseRefUrl?: string): Promise<StoredResult> {
    const previous = (await this.store.list(previousFilter(r), { page: 0, limit: 1 })).rows[0];
    const stored = await this.store.create(r, testcaseRefUrl);
    for (const { topic, body } of resultEvents(stored, previous ?? null, this.base))
      this.sending = this.sending
        .then(() => this.publish(topic, body))
        .then(
          () => undefined,
          (err: unknown) =>
            void this.logger.warn(`could not publish ${topic} for result ${stored.id}`, {
              error: err instanceof Error ? err.message : String(err),
            }),
        );
    return stored;
  }

  /** Resolves once the events of the results recorded so far are sent or given up. */
  flush(): Promise<void> {
    return this.sending;
  }
}
