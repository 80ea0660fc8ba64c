import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { privateVhost, removeTempDirs, testConfig } from '@test/support';
import { BusPublisher, connectOnce } from './bus.js';

const run = promisify(execFile);

afterAll(removeTempDirs);

const withUrl = (url: string) => testConfig({ overrides: { bus: { url } } });

describe('connecting to the broker', () => {
  it("names the virtual host and user when the broker refuses the vhost (amqplib drops the broker's reason)", async () => {
    const vhost = `loopabull-missing-${randomBytes(4).toString('hex')}`;
    const config = withUrl(`amqp://guest:guest@127.0.0.1:5672/${vhost}`);
    await expect(connectOnce(config)).rejects.toThrow(
      `cannot reach the bus at amqp://guest:***@127.0.0.1:5672/${vhost}: the broker refused to open virtual host "${vhost}": it does not exist, or user "guest" has no permission on it`,
    );
  });

  it("passes the broker's own words through when it gives them (a refused login)", async () => {
    const config = withUrl('amqp://guest:not-the-password@127.0.0.1:5672/');
    await expect(connectOnce(config)).rejects.toThrow(
      /cannot reach the bus at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672\/: .*ACCESS-REFUSED/,
    );
  });
});

describe('connection tuning in bus.url', () => {
  /** What the connection settled on with the broker, and what the broker says it uses. */
  async function tuned(query: string) {
    const vhost = await privateVhost('tuning');
    try {
      const model = await connectOnce(withUrl(`${vhost.url}?${query}`));
      try {
        const { frameMax, channelMax, heartbeat } = model.connection as unknown as Record<
          string,
          number
        >;
        return { frameMax, channelMax, heartbeat };
      } finally {
        await model.close();
      }
    } finally {
      await vhost.remove();
    }
  }

  it("takes frame_max, channel_max and heartbeat under the RabbitMQ URI spec's names (pika's, fedora-messaging's)", async () => {
    expect(await tuned('frame_max=8192&channel_max=7&heartbeat=30&locale=en_US')).toEqual({
      frameMax: 8192,
      channelMax: 7,
      heartbeat: 30,
    });
  });

  it("takes amqplib's own names, and bus.heartbeat when the URL has none or turns them off", async () => {
    expect(await tuned('frameMax=16384&channelMax=9')).toEqual({
      frameMax: 16384,
      channelMax: 9,
      heartbeat: 10,
    });
    expect((await tuned('heartbeat=0')).heartbeat).toBe(10);
  });
});

describe('BusPublisher and exchanges it may not declare', () => {
  const exchange = 'exchange/taskcluster-queue/v1/task-completed';

  it('with bus.declare_exchanges false, names a missing exchange and does not make it', async () => {
    const vhost = await privateVhost('publish-check');
    try {
      const config = testConfig({
        overrides: { bus: { url: vhost.url, preset: 'pulse', declare_exchanges: false } },
      });
      const publisher = new BusPublisher(config);
      try {
        await expect(publisher.publish('taskcluster-queue.v1.task-completed', {})).rejects.toThrow(
          `exchange "${exchange}" does not exist on the broker, and bus.declare_exchanges is false`,
        );
        // The connection is still usable: the next publish, once the owner made it, goes out.
        const owner = await connectOnce(config);
        await (await owner.createChannel()).assertExchange(exchange, 'topic', { durable: true });
        await owner.close();
        await expect(
          publisher.publish('taskcluster-queue.v1.task-completed', {}),
        ).resolves.toMatchObject({ exchange, routed: false });
      } finally {
        await publisher.close();
      }
    } finally {
      await vhost.remove();
    }
  });

  it("declares the user's own exchange/<user>/… all the same, as Pulse lets (and needs) its publisher", async () => {
    const vhost = await privateVhost('publish-own', { ownUser: true });
    try {
      const user = vhost.user.username;
      // As on Pulse: the user may make and write only its own queues and exchanges.
      const own = `^(queue|exchange)/${user}/.*`;
      await run('rabbitmqctl', [
        ...['-q', 'set_permissions', '-p', vhost.name, user, own, own, '.*'],
      ]);
      const config = testConfig({
        overrides: { bus: { url: vhost.url, preset: 'pulse', declare_exchanges: false } },
      });
      const publisher = new BusPublisher(config);
      try {
        // A handler's ctx.publish of its own event: nobody else could ever make its exchange.
        await expect(publisher.publish(`${user}.v1.checked`, { ok: true })).resolves.toMatchObject({
          exchange: `exchange/${user}/v1/checked`,
          routed: false,
        });
        // Someone else's is still only checked.
        await expect(publisher.publish('taskcluster-queue.v1.task-completed', {})).rejects.toThrow(
          `exchange "${exchange}" does not exist on the broker`,
        );
      } finally {
        await publisher.close();
      }
    } finally {
      await vhost.remove();
    }
  });

  it('sends the priority it is given as the AMQP priority (a replayed fedora-messaging message)', async () => {
    const vhost = await privateVhost('publish-priority');
    const config = withUrl(vhost.url);
    const model = await connectOnce(config);
    const publisher = new BusPublisher(config);
    try {
      const ch = await model.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.assertExchange(config.bus.publish_exchange, 'topic', { durable: true });
      await ch.bindQueue(queue, config.bus.publish_exchange, 'org.example.#');
      await publisher.publish('org.example.first', {}, { priority: 7 });
      await publisher.publish('org.example.second', {});
      const priorities = [];
      for (let m = await ch.get(queue); m; m = await ch.get(queue))
        priorities.push(m.properties.priority as unknown);
      expect(priorities).toEqual([7, undefined]);
    } finally {
      await publisher.close();
      await model.close();
      await vhost.remove();
    }
  });

  it("names the exchange and the broker's reason when it refuses the message (Pulse: not the owner)", async () => {
    const vhost = await privateVhost('publish-refused', { ownUser: true });
    try {
      // As on Pulse: the user may read every exchange but write only its own.
      const owner = await connectOnce(testConfig({ overrides: { bus: { url: vhost.url } } }));
      await (await owner.createChannel()).assertExchange(exchange, 'topic', { durable: true });
      await owner.close();
      await run('rabbitmqctl', [
        ...['-q', 'set_permissions', '-p', vhost.name, vhost.user.username],
        ...['^queue/.*', '^queue/.*', '.*'],
      ]);
      const config = testConfig({
        overrides: { bus: { url: vhost.url, preset: 'pulse', declare_exchanges: false } },
      });
      const publisher = new BusPublisher(config);
      try {
        await expect(
          publisher.publish('taskcluster-queue.v1.task-completed', {}, { routingKey: 'primary.x' }),
        ).rejects.toThrow(
          /^the broker refused the message for exchange "exchange\/taskcluster-queue\/v1\/task-completed" with routing key "primary.x": this user may not publish to it .*ACCESS_REFUSED/,
        );
      } finally {
        await publisher.close();
      }
    } finally {
      await vhost.remove();
    }
  });
});
