import amqp from 'amqplib';
import type { Config } from '@loopabull/core';

export interface Published {
  /** What arrived so far, in order: routing key and JSON body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read what they expect
  events: Array<{ topic: string; body: any }>;
  close(): Promise<void>;
}

/**
 * Collects what the config's publisher sends to `bus.publish_exchange` under `bindingKey`, on an
 * exclusive queue of its own; await conditions on `events` with `waitFor`.
 */
export async function watchPublished(config: Config, bindingKey = '#'): Promise<Published> {
  const model = await amqp.connect(config.bus.url);
  const ch = await model.createChannel();
  await ch.assertExchange(config.bus.publish_exchange, 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, config.bus.publish_exchange, bindingKey);
  const events: Published['events'] = [];
  await ch.consume(
    queue,
    (m) => {
      if (m) events.push({ topic: m.fields.routingKey, body: JSON.parse(m.content.toString()) });
    },
    { noAck: true },
  );
  return { events, close: () => model.close() };
}
