import { BusPublisher, type Config } from '@loopabull/core';

/** Where a lost event is reported: a logger, or the CLI's standard error. */
export interface Warner {
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

/** Sends one follow-up event to the bus (core's BusPublisher, or a handler's ctx.publish). */
export type Send = (topic: string, body: unknown) => Promise<unknown>;

/**
 * Follow-up events that never fail what caused them: an allocation or a change is done when the
 * database has it, and a bus that is down costs the event, logged, not the request.
 */
export class EventSink {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly send: Send | null,
    private readonly logger: Warner,
  ) {}

  emit(topic: string, body: unknown): void {
    if (!this.send) return;
    const sent: Promise<void> = this.send(topic, body)
      .then(
        () => undefined,
        (err: unknown) =>
          void this.logger.warn(`could not publish ${topic}`, {
            error: err instanceof Error ? err.message : String(err),
          }),
      )
      .finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }

  /** Waits for the events emitted so far to be sent or given up. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}

/** Events through a BusPublisher of its own, or none when `slavealloc.events` is off. */
export function busEvents(
  config: Config,
  enabled: boolean,
  logger: Warner,
): { sink: EventSink; close(): Promise<void> } {
  if (!enabled) return { sink: new EventSink(null, logger), close: async () => {} };
  const publisher = new BusPublisher(config);
  const sink = new EventSink((topic, body) => publisher.publish(topic, body), logger);
  return {
    sink,
    async close() {
      await sink.flush();
      await publisher.close();
    },
  };
}
