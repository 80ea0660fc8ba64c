/**
 * Real Taskcluster messages through a real RabbitMQ: the fixtures are published to exchanges
 * named as on Pulse, consumed with the example config's bindings, turned into events by the
 * pulse preset and handled, as the looper and a worker will; then read back over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
} from 'amqplib';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createLogger, toEvent, type Config } from '@loopabull/core';
import {
  exampleConfig,
  handlerContext,
  preloadFixture,
  pulseFixture,
  serve,
  testRedis,
  variant,
  type HttpAnswer,
  type PulseFixture,
} from '../test/helpers.js';
import { privateVhost, type Vhost } from '@test/support';
import { Outcomes } from '../test/outcomes.js';
import { hardwareHandler, type HardwareResult } from './handler.js';
import { MachineStore } from './machine-store.js';
import { hardwareRoutes } from './mount.js';

type Outcome = { name: string; redelivered: boolean } & (
  { rejected: string } | { result: HardwareResult }
);

const completed = pulseFixture('task-completed');
const other = pulseFixture('task-running-other-provisioner');
const HW = 'primary.*.*.*.*.releng-hardware.*.*.*.#';

/** A message about mdc1:t-linux64-ms-100, the README's machine, at a given time. */
function linuxMachine(state: 'running' | 'completed', taskId: string, time: string): PulseFixture {
  return variant(completed, {
    exchange: `exchange/taskcluster-queue/v1/task-${state}`,
    words: { 1: taskId, 3: 'mdc1', 4: 't-linux64-ms-100', 6: 'gecko-t-linux64-ms' },
    edit: (p) => {
      p.workerGroup = 'mdc1';
      p.workerId = 't-linux64-ms-100';
      p.status.taskId = taskId;
      p.status.workerType = 'gecko-t-linux64-ms';
      const run = p.status.runs[0]!;
      Object.assign(run, { workerGroup: 'mdc1', workerId: 't-linux64-ms-100', state });
      if (state === 'running') {
        run.started = time;
        delete run.resolved;
        delete run.reasonResolved;
      } else {
        run.resolved = time;
      }
    },
  });
}

/** Published in this order; `body` replaces the JSON payload when given. */
const messages: Array<{ name: string; fixture: PulseFixture; body?: Buffer }> = [
  { name: 'completed', fixture: completed },
  { name: 'other-provisioner', fixture: other },
  {
    name: 'exception-no-worker',
    fixture: variant(completed, {
      exchange: 'exchange/taskcluster-queue/v1/task-exception',
      words: { 1: 'D3EheQ-IQ5aPzw34KS_a6g', 2: '_', 3: '_', 4: '_' },
      edit: (p) => {
        delete p.runId;
        delete p.workerGroup;
        delete p.workerId;
        p.status.taskId = 'D3EheQ-IQ5aPzw34KS_a6g';
        p.status.state = 'exception';
        p.status.runs = [
          {
            runId: 0,
            state: 'exception',
            reasonCreated: 'exception',
            reasonResolved: 'deadline-exceeded',
            scheduled: '2019-06-27T18:07:13.543Z',
            resolved: '2019-06-27T18:07:13.600Z',
          },
        ];
      },
    }),
  },
  { name: 'unparsable', fixture: completed, body: Buffer.from('{"runId": 0, "status": ') },
  { name: 'completed-again', fixture: completed },
  {
    name: 'linux-newer',
    fixture: linuxMachine('running', 'N3EheQ-IQ5aPzw34KS_a6g', '2018-11-09T10:00:00.123Z'),
  },
  {
    name: 'linux-older',
    fixture: linuxMachine('completed', 'O3EheQ-IQ5aPzw34KS_a6g', '2018-11-01T00:00:00.000Z'),
  },
  {
    name: 'claim-expired',
    fixture: variant(completed, {
      exchange: 'exchange/taskcluster-queue/v1/task-exception',
      words: { 1: 'C3EheQ-IQ5aPzw34KS_a6g' },
      edit: (p) => {
        p.status.taskId = 'C3EheQ-IQ5aPzw34KS_a6g';
        Object.assign(p.status.runs[0]!, {
          state: 'exception',
          reasonResolved: 'claim-expired',
          resolved: '2019-06-27T08:00:00.000Z',
        });
      },
    }),
  },
];
/** The first delivery of this one is dropped unacked, as by a worker that died mid-job. */
const CRASH_ONCE = 'completed';

let redis: Redis;
let closeRedis: () => Promise<void>;
let config: Config;
let connection: ChannelModel;
let consumer: Channel;
let publisher: ConfirmChannel;
let app: FastifyInstance;
let vhost: Vhost;
let get: (path: string) => Promise<HttpAnswer>;
const queue = `queue/loopabull-test/releng-hardware-${randomBytes(4).toString('hex')}`;
const outcomes = new Outcomes<Outcome>();

async function onDelivery(msg: ConsumeMessage): Promise<void> {
  const name = String(msg.properties.messageId ?? '').slice(queue.length + 1);
  const redelivered = msg.fields.redelivered;
  const made = toEvent(
    {
      exchange: msg.fields.exchange,
      routingKey: msg.fields.routingKey,
      content: msg.content,
      messageId: msg.properties.messageId,
      contentType: msg.properties.contentType,
    },
    config.bus.preset,
    { maxBytes: config.bus.max_bytes },
  );
  if (!made.ok) {
    consumer.ack(msg);
    outcomes.push({ name, redelivered, rejected: made.reason });
    return;
  }
  const result = (await hardwareHandler(
    made.event,
    handlerContext(redis, config),
  )) as HardwareResult;
  if (name === CRASH_ONCE && !redelivered) consumer.nack(msg, false, true);
  else consumer.ack(msg);
  outcomes.push({ name, redelivered, result });
}

beforeAll(async () => {
  let url: string;
  ({ redis, close: closeRedis, url } = await testRedis());
  config = exampleConfig(url);
  await new MachineStore(redis).preload(preloadFixture());

  // Exchange names as on Pulse would be shared with every other test on this broker.
  vhost = await privateVhost('pulse-e2e');
  connection = await amqp.connect(vhost.url, { timeout: 10_000 });
  consumer = await connection.createChannel();
  publisher = await connection.createConfirmChannel();
  await consumer.prefetch(1);
  await consumer.assertQueue(queue, { exclusive: true, durable: false });
  for (const { exchange, routing_key } of config.bus.bindings) {
    await consumer.assertExchange(exchange, 'topic', { durable: true });
    await consumer.bindQueue(queue, exchange, routing_key);
  }
  // Pulse would not route this one to us; bound anyway to show the handler ignores it.
  await consumer.bindQueue(queue, other.exchange, 'primary.*.*.*.*.aws-provisioner-v1.*.*.*.#');
  await consumer.consume(queue, (msg) => {
    if (msg)
      void onDelivery(msg).catch((err: unknown) =>
        outcomes.push({ name: 'consumer-error', redelivered: false, rejected: String(err) }),
      );
  });

  for (const m of messages) {
    publisher.publish(
      m.fixture.exchange,
      m.fixture.routingKey,
      m.body ?? Buffer.from(JSON.stringify(m.fixture.payload)),
      {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        persistent: true,
        messageId: `${queue}/${m.name}`,
      },
    );
  }
  await publisher.waitForConfirms();
  await outcomes.until(messages.length + 1);

  app = Fastify();
  await hardwareRoutes.register(app, {
    config,
    redis,
    logger: createLogger('test', 'error'),
    pages: [hardwareRoutes.dashboard!],
  });
  get = await serve(app);
});

afterAll(async () => {
  await app?.close();
  await connection?.close();
  await vhost?.remove();
  await closeRedis();
});

describe('Pulse messages end to end', () => {
  it('binds what the original bound', () => {
    expect(config.bus.bindings.map((b) => b.routing_key)).toEqual([HW, HW, HW, HW]);
  });

  it('handles every delivery and keeps going after bad ones', () => {
    const names = outcomes.all.map((o) => o.name);
    // In the order published; where the broker puts the requeued one back is its own business.
    expect(names.filter((n, i) => n !== CRASH_ONCE || names.indexOf(n) === i)).toEqual(
      messages.map((m) => m.name),
    );
    expect(outcomes.of(CRASH_ONCE).map((o) => o.redelivered)).toEqual([false, true]);
    expect(outcomes.of('consumer-error')).toEqual([]);
    expect(outcomes.of('unparsable')).toEqual([
      { name: 'unparsable', redelivered: false, rejected: 'not-json' },
    ]);
  });

  it('lists the machines with the right datacenter, byte-compatible with the original', async () => {
    const res = await get('/machines');
    expect(res.statusCode).toBe(200);
    expect(res.contentType).toBe('application/json');
    expect(res.body).toBe(
      '[\n  {\n    "machine": "t-linux64-ms-100", \n    "datacenter": "mdc1", \n    "lastseen": "2018-11-09T10:00:00.123000"\n  }, \n' +
        '  {\n    "machine": "t-mojave-r7-153", \n    "datacenter": "mdc2", \n    "lastseen": "2019-06-26T19:36:10.521000"\n  }\n]',
    );
  });

  it('answers one machine with a bare JSON string, an unknown one with 404 text', async () => {
    const one = await get('/machines/mdc2:t-mojave-r7-153');
    expect([one.statusCode, one.contentType, one.body]).toEqual([
      200,
      'application/json',
      '"2019-06-26T19:36:10.521000"',
    ]);
    const unknown = await get('/machines/us-west-1:i-0429b6e2c0ac7474d');
    expect([unknown.statusCode, unknown.body]).toEqual([404, 'unknown machine']);
  });

  it('leaves no trace of the other provisioner', async () => {
    expect(outcomes.of('other-provisioner')).toEqual([
      {
        name: 'other-provisioner',
        redelivered: false,
        result: { ignored: 'provisioner aws-provisioner-v1' },
      },
    ]);
    const dump: string[] = [];
    for (const key of await redis.keys('*')) {
      const type = await redis.type(key);
      const value =
        type === 'hash'
          ? await redis.hgetall(key)
          : type === 'list'
            ? await redis.lrange(key, 0, -1)
            : type === 'set'
              ? await redis.smembers(key)
              : type === 'string'
                ? await redis.get(key)
                : await redis.zrange(key, '0', '-1');
      dump.push(key, JSON.stringify(value));
    }
    const text = dump.join('\n');
    expect(text).toContain('t-mojave-r7-153');
    for (const trace of [
      'us-west-1',
      'i-0429b6e2c0ac7474d',
      'aws-provisioner-v1',
      'Ai-bmuTzS7eRBYFhSPnZ1w',
    ])
      expect(text).not.toContain(trace);
  });

  it('counts a redelivered and a repeated message once', async () => {
    const [first, second] = outcomes.of('completed');
    expect(first).toMatchObject({
      redelivered: false,
      result: { recorded: 'machine', lastseen_updated: true, duplicate: false },
    });
    expect(second).toMatchObject({ redelivered: true, result: { duplicate: true } });
    expect(outcomes.of('completed-again')).toMatchObject([{ result: { duplicate: true } }]);
    const machine = (await get('/api/hardware/machines/mdc2:t-mojave-r7-153')).json();
    expect(machine.counts).toEqual({ running: 0, completed: 1, failed: 0, exception: 1 });
  });

  it('records an exception without a worker as such', async () => {
    expect(outcomes.of('exception-no-worker')).toMatchObject([
      { result: { recorded: 'no worker', task_id: 'D3EheQ-IQ5aPzw34KS_a6g' } },
    ]);
    const unattributed = (await get('/api/hardware/unattributed')).json();
    expect(unattributed).toMatchObject({
      total: 1,
      recent: [
        {
          state: 'exception',
          reason: 'deadline-exceeded',
          task_id: 'D3EheQ-IQ5aPzw34KS_a6g',
          at: '2019-06-27T18:07:13.600000',
        },
      ],
    });
  });

  it('keeps the newest time after a preload, a newer and an older message', async () => {
    expect(outcomes.of('linux-newer')).toMatchObject([
      { result: { lastseen_updated: true, lastseen: '2018-11-09T10:00:00.123000' } },
    ]);
    expect(outcomes.of('linux-older')).toMatchObject([
      { result: { lastseen_updated: false, lastseen: '2018-11-09T10:00:00.123000' } },
    ]);
    const machine = (await get('/api/hardware/machines/mdc1:t-linux64-ms-100')).json();
    expect(machine).toMatchObject({
      lastseen: '2018-11-09T10:00:00.123000',
      last_state: 'running',
      last_task_id: 'N3EheQ-IQ5aPzw34KS_a6g',
      counts: { running: 1, completed: 1 },
    });
  });

  it('tracks a claim-expired exception without taking it as a sign of life', async () => {
    expect(outcomes.of('claim-expired')).toMatchObject([
      { result: { alive: false, lastseen_updated: false } },
    ]);
    const machine = (await get('/api/hardware/machines/mdc2:t-mojave-r7-153')).json();
    expect(machine).toMatchObject({
      lastseen: '2019-06-26T19:36:10.521000',
      last_state: 'exception',
      last_exception_reason: 'claim-expired',
      last_exception_at: '2019-06-27T08:00:00.000000',
    });
  });
});
