import type { Channel, Options } from 'amqplib';
import type { Binding, Config } from '@loopabull/core';

/**
 * The exchanges the looper declares, once each. `amq.*` exchanges are the broker's own: declaring
 * them is refused, and they always exist.
 */
export function exchangesToDeclare(bindings: readonly Binding[]): string[] {
  return [...new Set(bindings.map((b) => b.exchange))].filter((name) => !name.startsWith('amq.'));
}

/**
 * The consumer queue: durable, so nothing is lost while the looper is down, unless it is set to
 * expire (a demo's), in which case RabbitMQ deletes it once unused that long instead of letting
 * it collect the broker's traffic for ever.
 */
export function queueOptions(bus: Config['bus']): Options.AssertQueue {
  return {
    durable: true,
    autoDelete: false,
    exclusive: false,
    ...(bus.queue_expires === null ? {} : { arguments: { 'x-expires': bus.queue_expires * 1000 } }),
  };
}

/**
 * Declares the durable queue and its bindings, and the exchanges unless they belong to someone
 * else (`bus.declare_exchanges: false`, as on Pulse, which refuses such declarations). Run after every (re)connect: a broker that lost
 * its definitions gets them back, and one that kept them is left as it is.
 */
export async function declareTopology(ch: Channel, bus: Config['bus']): Promise<void> {
  await ch.assertQueue(bus.queue, queueOptions(bus));
  for (const exchange of exchangesToDeclare(bus.bindings)) {
    if (bus.declare_exchanges) await ch.assertExchange(exchange, 'topic', { durable: true });
    else await ch.checkExchange(exchange);
  }
  for (const { exchange, routing_key } of bus.bindings) {
    await ch.bindQueue(bus.queue, exchange, routing_key);
  }
}
