import type { ConsumeMessage } from 'amqplib';
import {
  toEvent,
  topicAllowed,
  type Config,
  type Delivery,
  type LoopabullEvent,
  type RejectReason,
} from '@loopabull/core';

/** What the looper does with one bus message. */
export type Verdict =
  | { kind: 'enqueue'; event: LoopabullEvent }
  | { kind: 'filter'; topic: string }
  | { kind: 'park'; reason: RejectReason; detail: string; topic: string | null };

export function deliveryOf(msg: ConsumeMessage): Delivery {
  const { fields, properties } = msg;
  return {
    exchange: fields.exchange,
    routingKey: fields.routingKey,
    content: msg.content,
    messageId: typeof properties.messageId === 'string' ? properties.messageId : undefined,
    contentType: typeof properties.contentType === 'string' ? properties.contentType : undefined,
    contentEncoding:
      typeof properties.contentEncoding === 'string' ? properties.contentEncoding : undefined,
    headers: properties.headers as Record<string, unknown> | undefined,
    timestamp: typeof properties.timestamp === 'number' ? properties.timestamp : undefined,
  };
}

/**
 * Decides a delivery's fate. The `routing_keys` filter comes first, as in Loopabull 0.0.7: a
 * message for a topic this install does not handle is dropped as unsupported, not parked as
 * broken, so the parking lot only holds messages someone asked for.
 */
export function classify(
  delivery: Delivery,
  config: Pick<Config, 'bus' | 'routing_keys'>,
  now: Date = new Date(),
): Verdict {
  const result = toEvent(delivery, config.bus.preset, {
    maxBytes: config.bus.max_bytes,
    maxDepth: config.bus.max_depth,
    now,
  });
  const topic = result.ok ? result.event.topic : result.topic;
  if (topic !== null && !topicAllowed(topic, config.routing_keys)) return { kind: 'filter', topic };
  if (!result.ok)
    return { kind: 'park', reason: result.reason, detail: result.detail, topic: result.topic };
  return { kind: 'enqueue', event: result.event };
}
