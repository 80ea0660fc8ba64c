import type { Channel, ChannelModel, Options } from 'amqplib';
import { ensureExchange, type Binding, type Config } from '@loopabull/core';

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
  for (const exchange of exchangesToDeclare(bus.bindings)) await ensureExchange(ch, exchange, bus);
  for (const { exchange, routing_key } of bus.bindings) {
    await ch.bindQueue(bus.queue, exchange, routing_key);
  }
}

/**
 * Binds the queue again to each exchange of its bindings, declaring or checking the exchange as
 * `declareTopology` does, each on a channel of its own (a missing exchange closes the channel
 * that asked). Deleting an exchange deletes its bindings with no word to the consumers, and a
 * publisher that declares it again (Taskcluster's, on Pulse) makes a new one that nothing is
 * bound to: its messages would be dropped for as long as the looper stays connected. Binding is
 * idempotent, so running this on a healthy broker changes nothing. Returns the exchanges that
 * could not be bound, with why.
 */
export async function rebindTopology(
  model: ChannelModel,
  bus: Config['bus'],
): Promise<Array<{ exchange: string; error: Error }>> {
  const failed: Array<{ exchange: string; error: Error }> = [];
  const own = new Set(exchangesToDeclare(bus.bindings));
  for (const exchange of new Set(bus.bindings.map((b) => b.exchange))) {
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    try {
      if (own.has(exchange)) await ensureExchange(ch, exchange, bus);
      for (const b of bus.bindings)
        if (b.exchange === exchange) await ch.bindQueue(bus.queue, exchange, b.routing_key);
    } catch (err) {
      failed.push({ exchange, error: err as Error });
    } finally {
      await ch.close().catch(() => undefined);
    }
  }
  return failed;
}
