/**
 * The looper against the machine's RabbitMQ and Redis: what each kind of message becomes. Every
 * test has its own AMQP queue and exchange, BullMQ queue and Redis prefix (testConfig).
 */
import { randomUUID } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import {
  BusPublisher,
  Counters,
  ParkingLot,
  jobIdFor,
  loopabullKeys,
  type Config,
  type LoopabullEvent,
} from '@loopabull/core';
import { Redis } from 'ioredis';
import {
  privateVhost,
  pulseEventOf,
  removeTempDirs,
  testConfig,
  waitFor,
  type TestConfigOptions,
} from '@test/support';
import {
  cleanUp,
  distinctJobs,
  fixture,
  nextEvents,
  openChannel,
  publish,
  readyCount,
  recordingLogger,
  withWorkQueue,
  type FedmsgFixture,
  type PulseFixture,
} from '../test/helpers.js';
import { Looper } from './index.js';

const teardown: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});
afterAll(() => removeTempDirs());

async function running(overrides: TestConfigOptions['overrides'] = {}) {
  const config = testConfig({ overrides });
  const logger = recordingLogger();
  const looper = new Looper({ config, logger });
  teardown.push(() => cleanUp(config));
  teardown.push(() => looper.stop());
  await looper.start();
  const { model, ch } = await openChannel(config.bus.url);
  teardown.push(() => model.close());
  // '' is AMQP's default exchange, the one left when nothing is bound.
  return { config, looper, logger, ch, exchange: config.bus.bindings[0]?.exchange ?? '' };
}

async function counters(config: Config): Promise<Record<string, Record<string, number>>> {
  const redis = new Redis(config.redis.url);
  try {
    return await new Counters(redis, loopabullKeys(config)).read();
  } finally {
    await redis.quit();
  }
}

describe('Looper', () => {
  it('says so when bus.bindings is empty, and takes what is published to the queue by name', async () => {
    const { config, looper, logger, ch } = await running({ bus: { bindings: [] } });
    expect(
      logger.lines.filter((l) => l.level === 'warn' && l.message.includes('bus.bindings is empty')),
    ).toHaveLength(1);
    const enqueued = nextEvents(looper, 'enqueued');
    ch.sendToQueue(config.bus.queue, Buffer.from(JSON.stringify({ n: 1 })));
    const [[event]] = (await enqueued) as [[LoopabullEvent, string]];
    expect(event).toMatchObject({ topic: config.bus.queue, body: { n: 1 } });
  });

  it('turns a message published twice with one message_id into one job', async () => {
    const { config, looper, ch, exchange } = await running();
    const id = `dup-${randomUUID()}`;
    const both = nextEvents(looper, 'enqueued', 2);
    publish(ch, exchange, 'test.dup', { n: 1 }, { messageId: id });
    publish(ch, exchange, 'test.dup', { n: 1 }, { messageId: id });
    const [[, first], [, second]] = (await both) as [
      [LoopabullEvent, string],
      [LoopabullEvent, string],
    ];
    expect(first).toBe(id);
    expect(second).toBe(id);
    const counts = await withWorkQueue(config, (q) =>
      q.getJobCounts('wait', 'prioritized', 'delayed'),
    );
    expect(counts).toEqual({ wait: 1, prioritized: 0, delayed: 0 });
  });

  it('only checks exchanges it does not own when declare_exchanges is off, as on Pulse', async () => {
    // A direct exchange: declaring it as the topic exchange the looper would declare is refused,
    // so a looper that declared it could not start.
    const owned = `lb-owned-${randomUUID()}`;
    const setup = await openChannel(testConfig().bus.url);
    await setup.ch.assertExchange(owned, 'direct', { durable: false });
    await setup.model.close();
    const { looper, ch } = await running({
      bus: {
        declare_exchanges: false,
        bindings: [{ exchange: owned, routing_key: 'owned.topic' }],
      },
    });
    const enqueued = nextEvents(looper, 'enqueued');
    publish(ch, owned, 'owned.topic', { n: 1 }, { messageId: `owned-${randomUUID()}` });
    const [[event]] = (await enqueued) as [[LoopabullEvent, string]];
    expect(event).toMatchObject({ topic: 'owned.topic', exchange: owned });
  });

  it('makes the fedora-messaging fixture, published as fedora-messaging does, a job with its fields', async () => {
    const { config, looper } = await running();
    const fx = fixture<FedmsgFixture>('fedmsg/buildsys.build.state.change.json');
    const publisher = new BusPublisher(config);
    teardown.push(() => publisher.close());
    const enqueued = nextEvents(looper, 'enqueued');
    await publisher.publish(fx.topic, fx.msg, { messageId: fx.msg_id });
    const [[event, jobId]] = (await enqueued) as [[LoopabullEvent, string]];

    expect(jobId).toBe(fx.msg_id);
    expect(event).toMatchObject({
      id: fx.msg_id,
      topic: 'org.fedoraproject.prod.buildsys.build.state.change',
      body: fx.msg,
      exchange: config.bus.publish_exchange,
      routing_key: fx.topic,
    });
    expect(event.sent_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(event.headers).toMatchObject({
      fedora_messaging_schema: 'base.message',
      'sent-at': event.sent_at,
    });
    const job = await withWorkQueue(config, (q) => q.getJob(fx.msg_id));
    expect(job?.name).toBe(fx.topic);
    expect(job?.data).toEqual(event);
  });

  it('gives a job plain values for typed AMQP headers, as pika and kombu send datetimes and decimals', async () => {
    const { config, looper, ch, exchange } = await running();
    const id = `typed-${randomUUID()}`;
    const enqueued = nextEvents(looper, 'enqueued');
    publish(
      ch,
      exchange,
      'test.typed',
      { n: 1 },
      {
        messageId: id,
        headers: {
          'sent-at': { '!': 'timestamp', value: 1_564_513_942 },
          fedora_messaging_severity: 20,
          cost: { '!': 'decimal', value: { places: 2, digits: 1_999 } },
          history: [{ at: { '!': 'timestamp', value: 0 } }],
        },
      },
    );
    const [[event, jobId]] = (await enqueued) as [[LoopabullEvent, string]];
    expect(jobId).toBe(jobIdFor(id));
    expect(event.sent_at).toBe('2019-07-30T19:12:22+00:00');
    expect(event.headers).toEqual({
      'sent-at': '2019-07-30T19:12:22+00:00',
      fedora_messaging_severity: 20,
      cost: 19.99,
      history: [{ at: '1970-01-01T00:00:00+00:00' }],
    });
    const job = await withWorkQueue(config, (q) => q.getJob(jobId));
    expect(job?.data).toEqual(event);
  });

  it('names Pulse messages after their exchange with the pulse preset', async () => {
    const fixtures = ['task-completed', 'task-running-other-provisioner'].map((name) =>
      fixture<PulseFixture>(`pulse/${name}.json`),
    );
    // Exchange names as on Pulse would be shared with every other test on this broker: in a
    // vhost of its own, no other test's messages reach this looper, nor its messages theirs.
    const vhost = await privateVhost('looper-pulse');
    teardown.push(() => vhost.remove());
    const { config, looper, ch } = await running({
      bus: {
        url: vhost.url,
        preset: 'pulse',
        bindings: fixtures.map((f) => ({ exchange: f.exchange, routing_key: f.routingKey })),
      },
    });
    const jobs = distinctJobs(looper, 2);
    const events = new Map<string, LoopabullEvent>();
    looper.on('enqueued', (event, jobId) => events.set(jobId, event));
    for (const f of fixtures) publish(ch, f.exchange, f.routingKey, f.payload);
    await jobs.done;

    for (const f of fixtures) {
      const expected = pulseEventOf(f, config.bus.max_bytes);
      const jobId = jobIdFor(expected.id);
      expect(events.get(jobId)).toMatchObject({
        topic: expected.topic,
        body: f.payload,
        routing_key: f.routingKey,
      });
      const job = await withWorkQueue(config, (q) => q.getJob(jobId));
      expect(job?.name).toBe(expected.topic);
    }
    expect([...events.values()].map((e) => e.topic).sort()).toEqual([
      'taskcluster-queue.v1.task-completed',
      'taskcluster-queue.v1.task-running',
    ]);
  });

  it('binds again to a Pulse exchange its publisher deleted and declared again', async () => {
    // RabbitMQ drops an exchange's bindings with it and tells no consumer; Taskcluster declares
    // its exchange again on its next publish, and that one has nothing bound to it.
    const f = fixture<PulseFixture>('pulse/task-completed.json');
    const vhost = await privateVhost('looper-rebind');
    teardown.push(() => vhost.remove());
    const declare = async () => {
      const c = await openChannel(vhost.url);
      await c.ch.assertExchange(f.exchange, 'topic', { durable: true });
      await c.model.close();
    };
    await declare();
    const { looper, logger, ch } = await running({
      bus: {
        url: vhost.url,
        preset: 'pulse',
        declare_exchanges: false,
        rebind_interval: 0.2,
        bindings: [
          { exchange: f.exchange, routing_key: 'primary.*.*.*.*.releng-hardware.*.*.*.#' },
        ],
      },
    });
    const logged = (level: string, text: string) =>
      logger.lines.some((l) => l.level === level && l.message.includes(text));

    await ch.deleteExchange(f.exchange);
    await waitFor(async () => logged('warn', 'cannot bind the queue to an exchange'), {
      what: 'the lost exchange reported',
    });
    await declare();
    await waitFor(async () => logged('info', 'bound the queue to the exchange again'), {
      what: 'the queue bound again',
    });
    const enqueued = nextEvents(looper, 'enqueued');
    publish(ch, f.exchange, f.routingKey, f.payload);
    const [[event]] = (await enqueued) as [[LoopabullEvent, string]];
    expect(event).toMatchObject({ topic: 'taskcluster-queue.v1.task-completed', body: f.payload });
  });

  it('acks, parks and counts bad messages, and goes on with the next good one', async () => {
    const { config, looper, logger, ch, exchange } = await running({ bus: { max_bytes: 1024 } });
    const parkedEvents = nextEvents(looper, 'parked', 5);
    const enqueued = nextEvents(looper, 'enqueued');
    publish(ch, exchange, 'test.text', Buffer.from('not json{'), { messageId: 'm-not-json' });
    publish(ch, exchange, 'test.big', { pad: 'x'.repeat(2000) }, { messageId: 'm-big' });
    publish(ch, exchange, 'test.utf8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), {
      messageId: 'm-utf8',
    });
    publish(ch, exchange, '../../etc/passwd', {}, { messageId: 'm-traversal' });
    publish(ch, exchange, 'a/b', {}, { messageId: 'm-slash' });
    publish(ch, exchange, 'test.good', { ok: true }, { messageId: 'm-good' });

    const reasons = (await parkedEvents).map(([reason]) => reason);
    expect(reasons.sort()).toEqual(['bad-topic', 'bad-topic', 'bad-utf8', 'not-json', 'too-large']);
    const [[event]] = (await enqueued) as [[LoopabullEvent]];
    expect(event).toMatchObject({ id: 'm-good', topic: 'test.good', body: { ok: true } });

    const redis = new Redis(config.redis.url);
    teardown.push(async () => void (await redis.quit()));
    const parked = await new ParkingLot(redis, loopabullKeys(config).parked).list();
    const byId = Object.fromEntries(parked.map((p) => [p.message_id, p]));
    expect(byId['m-not-json']).toMatchObject({
      reason: 'not-json',
      routing_key: 'test.text',
      exchange,
      body: 'not json{',
      size: 9,
    });
    expect(byId['m-big']).toMatchObject({ reason: 'too-large', topic: 'test.big' });
    expect(byId['m-big']!.size).toBeGreaterThan(1024);
    expect(byId['m-utf8']).toMatchObject({ reason: 'bad-utf8', routing_key: 'test.utf8' });
    expect(byId['m-traversal']).toMatchObject({
      reason: 'bad-topic',
      routing_key: '../../etc/passwd',
    });
    expect(byId['m-slash']).toMatchObject({ reason: 'bad-topic', routing_key: 'a/b' });

    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(5);
    for (const w of warnings)
      expect(Object.keys(w.meta)).toEqual(
        expect.arrayContaining(['reason', 'exchange', 'routing_key', 'message_id']),
      );

    // Stopping writes the counters the looper holds.
    await looper.stop();
    expect(await counters(config)).toEqual({
      consumed: { '': 6 },
      enqueued: { '': 1 },
      parked: { 'not-json': 1, 'too-large': 1, 'bad-utf8': 1, 'bad-topic': 2 },
    });
    expect(await readyCount(config.bus.url, config.bus.queue)).toBe(0);
  });

  it('parks compressed and non-JSON bodies as kombu and others label them, naming why, and reads utf-8 ones', async () => {
    const { config, looper, ch, exchange } = await running();
    const parkedEvents = nextEvents(looper, 'parked', 4);
    const enqueued = nextEvents(looper, 'enqueued', 2);
    const json = JSON.stringify({ ok: true });
    const gzipped = gzipSync(json);
    publish(ch, exchange, 'test.gzip', gzipped, { messageId: 'm-gzip', contentEncoding: 'gzip' });
    publish(ch, exchange, 'test.gzip', gzipped, {
      messageId: 'm-gzip-header',
      headers: { 'content-encoding': 'gzip' },
    });
    // kombu's Producer.publish(..., compression='zlib'), as a mozillapulse publisher may send it.
    publish(ch, exchange, 'test.kombu', deflateSync(json), {
      messageId: 'm-kombu-zlib',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers: { compression: 'application/x-gzip' },
    });
    // kombu's pickle serializer.
    publish(
      ch,
      exchange,
      'test.kombu',
      Buffer.from('8004950a000000000000007d948c0161944b01732e', 'hex'),
      {
        messageId: 'm-kombu-pickle',
        contentType: 'application/x-python-serialize',
        contentEncoding: 'binary',
      },
    );
    publish(
      ch,
      exchange,
      'test.good',
      { ok: true },
      { messageId: 'm-utf8', contentEncoding: 'utf-8' },
    );
    // JSON labelled as text is JSON still, as fedora-messaging's consumers read it.
    publish(ch, exchange, 'test.good', Buffer.from(json), {
      messageId: 'm-text-plain',
      contentType: 'text/plain',
    });

    expect((await parkedEvents).map(([reason]) => reason)).toEqual([
      'bad-encoding',
      'bad-encoding',
      'bad-encoding',
      'not-json',
    ]);
    expect((await enqueued).map(([event]) => event)).toEqual([
      expect.objectContaining({ id: 'm-utf8', body: { ok: true } }),
      expect.objectContaining({ id: 'm-text-plain', body: { ok: true } }),
    ]);
    const redis = new Redis(config.redis.url);
    teardown.push(async () => void (await redis.quit()));
    const parked = await new ParkingLot(redis, loopabullKeys(config).parked).list();
    const detail = Object.fromEntries(parked.map((p) => [p.message_id, [p.reason, p.detail]]));
    expect(detail).toEqual({
      'm-gzip': ['bad-encoding', expect.stringContaining('content encoding "gzip"')],
      'm-gzip-header': ['bad-encoding', expect.stringContaining('content encoding "gzip"')],
      'm-kombu-zlib': [
        'bad-encoding',
        'body is compressed (kombu\'s compression header "application/x-gzip"), which the looper does not inflate',
      ],
      'm-kombu-pickle': [
        'not-json',
        'body is not JSON (content type "application/x-python-serialize"): it is not even UTF-8 text',
      ],
    });
  });

  it('acks and counts messages whose topic the routing_keys filter does not take', async () => {
    const { config, looper, ch, exchange } = await running({ routing_keys: ['test.wanted'] });
    const filtered = nextEvents(looper, 'filtered');
    const enqueued = nextEvents(looper, 'enqueued');
    publish(ch, exchange, 'test.unwanted', { n: 1 }, { messageId: 'm-unwanted' });
    publish(ch, exchange, 'test.wanted', { n: 2 }, { messageId: 'm-wanted' });
    expect(await filtered).toEqual([['test.unwanted']]);
    const [[event]] = (await enqueued) as [[LoopabullEvent]];
    expect(event.topic).toBe('test.wanted');
    await waitFor(async () => (await counters(config)).filtered?.[''] === 1, {
      what: 'filtered counter',
    });
    expect(await withWorkQueue(config, (q) => q.getJobCountByTypes('wait'))).toBe(1);
    await looper.stop();
    expect(await readyCount(config.bus.url, config.bus.queue)).toBe(0);
  });

  it('loses nothing when stopped mid-stream: every message is a job or back in the queue', async () => {
    const { config, looper, ch, exchange } = await running();
    const total = 300;
    const first = nextEvents(looper, 'enqueued');
    for (let i = 0; i < total; i++)
      publish(ch, exchange, 'test.stream', { i }, { messageId: `s-${i}` });
    await ch.waitForConfirms();
    await first;
    await looper.stop();
    const jobs = await withWorkQueue(config, (q) => q.getJobCountByTypes('wait'));
    const ready = await readyCount(config.bus.url, config.bus.queue);
    expect(jobs).toBeGreaterThan(0);
    expect(jobs + ready).toBe(total);
  });
});
