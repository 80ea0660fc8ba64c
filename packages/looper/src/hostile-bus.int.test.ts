/**
 * One bad message must never stall the bus: messages that used to loop forever, or that only
 * other clients can make, published through the machine's RabbitMQ in a private vhost, each
 * parked with its reason and acked while the messages after them all become jobs, and the looper
 * never pausing for any of them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  Counters,
  ParkingLot,
  WorkQueue,
  loopabullKeys,
  type Config,
  type LoopabullEvent,
  type ParkInput,
} from '@loopabull/core';
import {
  privateVhost,
  removeTempDirs,
  testConfig,
  waitFor,
  type Vhost,
  tried,
} from '@test/support';
import {
  cleanUp,
  openChannel,
  publish,
  readyCount,
  recordingLogger,
  withWorkQueue,
} from '../test/helpers.js';
import { longString, nestedTable, publishRaw, tableContent } from '../test/raw-frames.js';
import { Looper } from './index.js';

/** docs/configuration.md: parked messages are kept "each cut at 64 KiB". */
const PARKED_BODY_BYTES = 64 * 1024;

let vhost: Vhost;
const teardown: Array<() => Promise<void>> = [];

beforeAll(async () => {
  vhost = await privateVhost('poison');
});
afterEach(async () => {
  jest.restoreAllMocks();
  for (const step of teardown.splice(0).reverse()) await step();
});
afterAll(async () => {
  await vhost.remove();
  removeTempDirs();
});

/** A looper on its own queue in the private vhost, with every pause and disconnect recorded. */
async function running() {
  const config = testConfig({ overrides: { bus: { url: vhost.url } } });
  const logger = recordingLogger();
  const looper = new Looper({ config, logger });
  const seen = { paused: [] as string[], disconnected: 0, rejected: [] as string[] };
  looper.on('paused', (reason) => seen.paused.push(reason));
  looper.on('disconnected', () => (seen.disconnected += 1));
  looper.on('rejected', (detail) => seen.rejected.push(detail));
  teardown.push(() => cleanUp(config));
  teardown.push(() => looper.stop());
  await looper.start();
  const { model, ch } = await openChannel(config.bus.url);
  // A broker refusing a raw frame closes this connection: the test then fails on what is missing.
  model.on('error', () => undefined);
  // A plain channel for raw frames: a confirm channel would count deliveries it did not send.
  const raw = await model.createChannel();
  teardown.push(() => model.close());
  const redis = new Redis(config.redis.url);
  teardown.push(async () => void (await redis.quit()));
  const exchange = config.bus.bindings[0]!.exchange;
  return { config, looper, logger, seen, model, ch, raw, redis, exchange };
}

function deepJson(depth: number): Buffer {
  return Buffer.from('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
}

async function jobIds(config: Config): Promise<string[]> {
  return withWorkQueue(config, async (q) =>
    (await q.getJobs(['wait', 'prioritized'], 0, -1)).map((j) => j.id!),
  );
}

describe('a hostile bus', () => {
  it('parks each poison message with its reason and acks it, never pausing, and runs the messages after them', async () => {
    const { config, looper, seen, model, ch, raw, redis, exchange } = await running();
    const parking = new ParkingLot(redis, loopabullKeys(config).parked);

    // BullMQ's own JSON.stringify fails on this job: a failure that is the message's, not Redis's.
    const unstorable = (event: LoopabullEvent): LoopabullEvent => {
      if (event.topic !== 'test.unstorable') return event;
      let body: unknown = 1;
      for (let i = 0; i < 20_000; i++) body = [body];
      return { ...event, body };
    };
    // Bulk writes and the one-by-one writes after a failed one both go through enqueueAll.
    const { enqueueAll } = WorkQueue.prototype;
    jest.spyOn(WorkQueue.prototype, 'enqueueAll').mockImplementation(function (
      this: WorkQueue,
      events: readonly LoopabullEvent[],
    ) {
      return enqueueAll.call(this, events.map(unstorable));
    });
    // And parking that fails for a reason that is not Redis's either: a bug, never a stall.
    const park = ParkingLot.prototype.park;
    jest.spyOn(ParkingLot.prototype, 'park').mockImplementation(function (
      this: ParkingLot,
      msg: ParkInput,
    ) {
      if (msg.routing_key === 'test.unparkable') throw new TypeError('synthetic parking bug');
      return park.call(this, msg);
    });

    const big = Buffer.alloc(1_100_000, 'x');
    big.write('"', 0);
    big.write('"', big.length - 1);
    const poison: Array<[id: string, topic: string, body: Buffer, props?: object]> = [
      ['p-deep-body', 'test.deep', deepJson(5_000)],
      ['p-bad-utf8', 'test.utf8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
      ['p-text', 'test.text', Buffer.from('hello'), { contentType: 'text/plain' }],
      ['p-xml', 'test.xml', Buffer.from('<a/>'), { contentType: 'application/xml' }],
      ['p-big', 'test.big', big],
      ['p-header-depth-50', 'test.headers', Buffer.from('{}'), { headers: { d: nest(50) } }],
      ['p-topic', 'a\u001b[2Jb', Buffer.from('{}')],
      ['p-unstorable', 'test.unstorable', Buffer.from('{"ok":true}')],
    ];
    for (const [messageId, topic, body, props] of poison)
      publish(ch, exchange, topic, body, { messageId, ...props });
    // Only other clients can make these: over amqplib's 64 KiB table, and 8,000 deep, which
    // overflowed amqplib's decoder and so dropped the looper's connection on every delivery.
    const rawBody = Buffer.from('{"n":1}');
    publishRaw(model, raw, exchange, 'test.headers', {
      messageId: 'p-header-100k',
      headers: tableContent({ big: longString('x'.repeat(100_000)) }),
      body: rawBody,
    });
    publishRaw(model, raw, exchange, 'test.headers', {
      messageId: 'p-header-depth-8000',
      headers: tableContent({ deep: nestedTable(8_000) }),
      body: rawBody,
    });
    publish(ch, exchange, 'test.unparkable', Buffer.from('not json'), {
      messageId: 'p-unparkable',
    });

    // Harmless now, though each made the looper loop or allocate before.
    const shapes = {
      noData: { type: 'Buffer' },
      huge: { type: 'Buffer', data: { length: 50_000_000 } },
      bytes: Buffer.from([0xff, 0x41]),
    };
    publish(ch, exchange, 'test.shapes', { n: 1 }, { messageId: 'h-shapes', headers: shapes });
    publish(ch, exchange, 'test.no-id', { n: 2 });
    publish(ch, exchange, 'test.dup', { n: 1 }, { messageId: 'h-dup' });
    publish(ch, exchange, 'test.dup', { n: 2 }, { messageId: 'h-dup' });
    const after = Array.from({ length: 20 }, (_, i) => `after-${i}`);
    for (const id of after) publish(ch, exchange, 'test.after', { id }, { messageId: id });
    await ch.waitForConfirms();
    const published = poison.length + 3 + 4 + after.length;
    tried('bus messages (poison, through RabbitMQ)', poison.length + 3 + 4);

    const expectedJobs = ['h-shapes', 'h-dup', ...after];
    await waitFor(
      async () => {
        const ids = await jobIds(config);
        return (
          expectedJobs.every((id) => ids.includes(id)) && ids.length === expectedJobs.length + 1
        );
      },
      { what: 'every job after the poison messages' },
    );
    await waitFor(async () => (await parking.count()) === poison.length + 2, {
      what: 'the poison messages parked',
    });
    await waitFor(() => seen.rejected.length === 1, { what: 'the unparkable message rejected' });

    const parked = Object.fromEntries(
      (await parking.list(100)).map((p) => [p.message_id ?? '', p]),
    );
    expect(Object.fromEntries(Object.entries(parked).map(([id, p]) => [id, p.reason]))).toEqual({
      'p-deep-body': 'too-deep',
      'p-bad-utf8': 'bad-utf8',
      'p-text': 'not-json',
      'p-xml': 'not-json',
      'p-big': 'too-large',
      'p-header-depth-50': 'bad-headers',
      'p-header-100k': 'bad-headers',
      'p-header-depth-8000': 'bad-headers',
      'p-topic': 'bad-topic',
      'p-unstorable': 'unstorable',
    });
    expect(parked['p-header-depth-8000']!.detail).toMatch(/^cannot decode the header table/);
    expect(parked['p-header-100k']!.detail).toMatch(/header table is larger than/);
    expect(parked['p-unstorable']!.detail).toMatch(/RangeError: Maximum call stack size/);
    expect(parked['p-big']!.size).toBe(big.length);
    expect(Buffer.byteLength(parked['p-big']!.body)).toBe(PARKED_BODY_BYTES);
    expect(seen.rejected[0]).toMatch(/TypeError: synthetic parking bug/);

    const jobs = await withWorkQueue(config, async (q) =>
      Object.fromEntries(
        (await q.getJobs(['wait'], 0, -1)).map((j) => [
          j.name === 'test.no-id' ? 'no-id' : j.id,
          j,
        ]),
      ),
    );
    expect(jobs['h-shapes']!.data.headers).toEqual({
      noData: shapes.noData,
      huge: shapes.huge,
      bytes: '\ufffdA',
    });
    expect(jobs['h-dup']!.data.body).toEqual({ n: 1 });
    expect(jobs['no-id']!.id).toMatch(/^[0-9a-f]{64}$/);

    // Never paused, never reconnected: every message was delivered once.
    expect(seen.paused).toEqual([]);
    expect(seen.disconnected).toBe(0);
    await looper.stop();
    // Stopping requeues whatever was delivered and not acked: none may be left.
    expect(await readyCount(config.bus.url, config.bus.queue)).toBe(0);
    const counts = await new Counters(redis, loopabullKeys(config)).read();
    expect(counts.consumed).toEqual({ '': published });
    expect(counts.enqueued).toEqual({ '': published - poison.length - 3 });
    expect(counts.rejected).toEqual({ '': 1 });
    expect(counts.parked).toEqual({
      'too-deep': 1,
      'bad-utf8': 1,
      'not-json': 2,
      'too-large': 1,
      'bad-headers': 3,
      'bad-topic': 1,
      unstorable: 1,
    });
  });

  it('still pauses for an error that is Redis’s, and takes the same message again once Redis answers', async () => {
    const { config, looper, seen, ch, exchange } = await running();
    // A real ioredis error: the client refuses commands while it has no connection.
    const offline = new Redis(config.redis.url, { lazyConnect: true, enableOfflineQueue: false });
    teardown.push(async () => offline.disconnect());
    const refusal = await offline.ping().then(
      () => null,
      (err: Error) => err,
    );
    expect(refusal?.message).toMatch(/enableOfflineQueue/);
    const enqueueAll = WorkQueue.prototype.enqueueAll;
    let failures = 0;
    jest.spyOn(WorkQueue.prototype, 'enqueueAll').mockImplementation(function (
      this: WorkQueue,
      events: readonly LoopabullEvent[],
    ) {
      if (failures++ === 0) return Promise.reject(refusal!);
      return enqueueAll.call(this, events);
    });
    const resumed = new Promise<void>((resolve) => looper.once('resumed', () => resolve()));
    const id = `r-${randomUUID()}`;
    publish(ch, exchange, 'test.redis', { n: 1 }, { messageId: id });
    await resumed;
    await waitFor(async () => (await jobIds(config)).includes(id), { what: 'the job' });
    expect(seen.paused).toEqual([refusal!.message]);
  });
});

function nest(depth: number): unknown {
  let value: unknown = true;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}
