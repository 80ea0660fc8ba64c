import { randomUUID } from 'node:crypto';
import type { LoopabullEvent } from '@loopabull/core';

/** An event as the looper makes it, for tests that put jobs in the queue themselves. */
export function testEvent(topic: string, fields: Partial<LoopabullEvent> = {}): LoopabullEvent {
  return {
    id: randomUUID(),
    topic,
    body: {},
    headers: {},
    exchange: 'amq.topic',
    routing_key: topic,
    sent_at: null,
    received_at: new Date().toISOString(),
    ...fields,
  };
}
