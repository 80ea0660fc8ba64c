import { createHash } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  bindingsDeliver,
  destinationFor,
  eventAsPublished,
  publishHeaders,
  pulseRoutingKey,
  pulseTopic,
  toEvent,
  topicBound,
  type Delivery,
} from './presets.js';
import { FIXTURES } from '@test/support';

const fixtures = FIXTURES;
const pulse = JSON.parse(readFileSync(new URL('pulse/task-completed.json', fixtures), 'utf8'));
const fedmsg = JSON.parse(
  readFileSync(new URL('fedmsg/buildsys.build.state.change.json', fixtures), 'utf8'),
);
const now = new Date('2026-01-02T03:04:05.000Z');
const opts = { maxBytes: 1024 * 1024, now };

describe('fedora-messaging preset', () => {
  const delivery: Delivery = {
    exchange: 'amq.topic',
    routingKey: fedmsg.topic,
    content: Buffer.from(JSON.stringify(fedmsg.msg)),
    messageId: fedmsg.msg_id,
    headers: { 'sent-at': '2019-07-30T19:12:22+00:00', fedora_messaging_schema: 'base.message' },
  };
  it('takes the topic from the routing key and the id from message_id', () => {
    const r = toEvent(delivery, 'fedora-messaging', opts);
    expect(r).toEqual({
      ok: true,
      event: {
        id: fedmsg.msg_id,
        topic: 'org.fedoraproject.prod.buildsys.build.state.change',
        body: fedmsg.msg,
        headers: delivery.headers,
        exchange: 'amq.topic',
        routing_key: fedmsg.topic,
        sent_at: '2019-07-30T19:12:22+00:00',
        received_at: now.toISOString(),
      },
    });
  });
  it('keeps the text of a body whose numbers JSON.parse loses, as a fedmsg envelope is published', () => {
    const text = readFileSync(new URL('fedmsg/buildsys.build.state.change.json', fixtures), 'utf8');
    const r = toEvent({ ...delivery, content: Buffer.from(text) }, 'fedora-messaging', opts);
    if (!r.ok) throw new Error(r.detail);
    // Handlers get JavaScript numbers; the vars writer reads `1424216566.0` from the text.
    expect(r.event.body).toEqual(fedmsg);
    expect(r.event.body_text).toBe(text);
    expect(toEvent(delivery, 'fedora-messaging', opts)).not.toHaveProperty('event.body_text');
  });

  it('reads sent_at from a sent-at header a Python publisher sent as a datetime (AMQP timestamp)', () => {
    const headers = { 'sent-at': { '!': 'timestamp', value: 1_564_513_942 } };
    const r = toEvent({ ...delivery, headers }, 'fedora-messaging', opts);
    expect(r.ok && r.event.sent_at).toBe('2019-07-30T19:12:22+00:00');
    expect(r.ok && r.event.headers).toEqual({ 'sent-at': '2019-07-30T19:12:22+00:00' });
    expect(r.ok && r.event.id).toBe(fedmsg.msg_id);
  });
  it('parks bodies that are not JSON, too large or not UTF-8', () => {
    expect(
      toEvent({ ...delivery, content: Buffer.from('{nope') }, 'fedora-messaging', opts),
    ).toMatchObject({ ok: false, reason: 'not-json' });
    expect(toEvent(delivery, 'fedora-messaging', { ...opts, maxBytes: 10 })).toMatchObject({
      ok: false,
      reason: 'too-large',
    });
    expect(
      toEvent({ ...delivery, content: Buffer.from([0x22, 0xff, 0x22]) }, 'fedora-messaging', opts),
    ).toMatchObject({ ok: false, reason: 'bad-utf8' });
  });
  it('parks a body in a content encoding it does not decode, naming the encoding', () => {
    const gzipped = gzipSync(delivery.content);
    for (const encoded of [
      { ...delivery, content: gzipped, contentEncoding: 'gzip' },
      { ...delivery, content: gzipped, headers: { 'Content-Encoding': 'gzip' } },
      { ...delivery, content: gzipped, headers: { 'content-encoding': Buffer.from('gzip') } },
    ])
      expect(toEvent(encoded, 'fedora-messaging', opts)).toMatchObject({
        ok: false,
        reason: 'bad-encoding',
        detail: expect.stringMatching(/^body has content encoding "gzip", which the looper/),
      });
    expect(
      toEvent({ ...delivery, contentEncoding: 'latin-1' }, 'fedora-messaging', opts),
    ).toMatchObject({ ok: false, reason: 'bad-encoding' });
    // kombu says it compressed a body only in its own header, and labels the body utf-8.
    for (const preset of ['fedora-messaging', 'pulse', 'generic'] as const)
      for (const [compression, headerName] of [
        ['application/x-gzip', 'compression'],
        ['application/x-bz2', 'Compression'],
      ])
        expect(
          toEvent(
            {
              ...delivery,
              content: deflateSync(delivery.content),
              contentEncoding: 'utf-8',
              headers: { [headerName!]: compression },
            },
            preset,
            opts,
          ),
        ).toMatchObject({
          ok: false,
          reason: 'bad-encoding',
          detail: `body is compressed (kombu's compression header "${compression}"), which the looper does not inflate`,
        });
    expect(
      toEvent({ ...delivery, headers: { compression: '' } }, 'fedora-messaging', opts),
    ).toMatchObject({ ok: true });
    // What fedora-messaging and Pulse publishers send is read as before, and so is what kombu
    // labels bytes handed to it as they are (0.0.7 read those).
    for (const contentEncoding of ['utf-8', 'UTF-8', 'utf8', 'us-ascii', 'binary', 'identity', ''])
      expect(toEvent({ ...delivery, contentEncoding }, 'fedora-messaging', opts)).toMatchObject({
        ok: true,
      });
  });
  it('reads a JSON body whatever its content type says, and names the type of one that is not JSON', () => {
    // As fedora-messaging's consumers: the body is JSON, the label is not looked at.
    expect(
      toEvent({ ...delivery, contentType: 'text/plain' }, 'fedora-messaging', opts),
    ).toMatchObject({ ok: true, event: { body: fedmsg.msg } });
    // kombu's other serializers: pickle (bytes that are no UTF-8) and YAML (text).
    const pickled = Buffer.from('8004950a000000000000007d948c0161944b01732e', 'hex');
    for (const preset of ['fedora-messaging', 'pulse'] as const) {
      expect(
        toEvent(
          { ...delivery, content: pickled, contentType: 'application/x-python-serialize' },
          preset,
          opts,
        ),
      ).toMatchObject({
        ok: false,
        reason: 'not-json',
        detail:
          'body is not JSON (content type "application/x-python-serialize"): it is not even UTF-8 text',
      });
      expect(
        toEvent(
          { ...delivery, content: Buffer.from('a: 1\n'), contentType: 'application/x-yaml' },
          preset,
          opts,
        ),
      ).toMatchObject({
        ok: false,
        reason: 'not-json',
        detail: expect.stringMatching(/^body is not JSON \(content type "application\/x-yaml"\): /),
      });
    }
    // Unlabelled, or labelled JSON, bytes that are no UTF-8 are that.
    expect(
      toEvent(
        { ...delivery, content: pickled, contentType: 'application/json' },
        'fedora-messaging',
        opts,
      ),
    ).toMatchObject({ ok: false, reason: 'bad-utf8', detail: 'body is not valid UTF-8' });
  });
  it('parks bodies nested deeper than maxDepth, counted after parsing', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const at = (text: string, maxDepth?: number) =>
      toEvent({ ...delivery, content: Buffer.from(text) }, 'fedora-messaging', {
        ...opts,
        maxDepth,
      });
    expect(at(deep(100))).toMatchObject({ ok: true });
    expect(at(deep(101))).toEqual({
      ok: false,
      reason: 'too-deep',
      detail: 'body is nested deeper than bus.max_depth 100',
      topic: fedmsg.topic,
    });
    expect(at(deep(5_000))).toMatchObject({ ok: false, reason: 'too-deep' });
    expect(at('{"a":{"b":[1]}}', 3)).toMatchObject({ ok: true });
    expect(at('{"a":{"b":[1]}}', 2)).toMatchObject({ ok: false, reason: 'too-deep' });
    // Brackets inside strings are text, not nesting.
    expect(at(JSON.stringify({ s: '['.repeat(500) }), 2)).toMatchObject({ ok: true });
  });
  it('parks messages whose headers are too deep or too large', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { a: deep };
    for (const headers of [{ deep }, { big: 'x'.repeat(100 * 1024) }]) {
      expect(toEvent({ ...delivery, headers }, 'fedora-messaging', opts)).toMatchObject({
        ok: false,
        reason: 'bad-headers',
        detail: expect.stringMatching(/^header table is /),
      });
    }
  });
  it('makes events of messages whose header tables merely look like a Buffer', () => {
    const headers = { a: { type: 'Buffer' }, b: { type: 'Buffer', data: { length: 50_000_000 } } };
    expect(toEvent({ ...delivery, headers }, 'fedora-messaging', opts)).toMatchObject({
      ok: true,
      event: { headers },
    });
  });
  it('parks topics that could name a path', () => {
    for (const routingKey of ['../../etc/passwd', 'a/b']) {
      expect(toEvent({ ...delivery, routingKey }, 'fedora-messaging', opts)).toMatchObject({
        ok: false,
        reason: 'bad-topic',
        topic: routingKey,
      });
    }
  });
});

describe('pulse preset', () => {
  const delivery: Delivery = {
    exchange: pulse.exchange,
    routingKey: pulse.routingKey,
    content: Buffer.from(JSON.stringify(pulse.payload)),
  };
  it('names the topic after the exchange and hashes `<exchange>:<routing key>` into the id', () => {
    const r = toEvent(delivery, 'pulse', opts);
    if (!r.ok) throw new Error(r.detail);
    expect(r.event.topic).toBe('taskcluster-queue.v1.task-completed');
    // What anyone holding the captured message computes: SHA-256 (hex) of the spec's text.
    const text = `${pulse.exchange}:${pulse.routingKey}`;
    expect(r.event.id).toBe(createHash('sha256').update(text).digest('hex'));
    expect(toEvent({ ...delivery, content: Buffer.from('{}') }, 'pulse', opts)).toMatchObject({
      ok: true,
      event: { id: r.event.id },
    });
    expect(
      toEvent({ ...delivery, routingKey: delivery.routingKey + 'x' }, 'pulse', opts),
    ).not.toMatchObject({ event: { id: r.event.id } });
  });
  it('maps topics back to exchanges for publishing', () => {
    expect(pulseTopic('exchange/taskcluster-queue/v1/task-running')).toBe(
      'taskcluster-queue.v1.task-running',
    );
    expect(destinationFor('pulse', 'taskcluster-queue.v1.task-running', 'amq.topic').exchange).toBe(
      'exchange/taskcluster-queue/v1/task-running',
    );
  });

  it("publishes under the routing key Taskcluster's queue gives the body, `_` for what is missing", () => {
    const captured = pulse as { routingKey: string; payload: unknown };
    expect(
      destinationFor('pulse', 'taskcluster-queue.v1.task-completed', 'amq.topic', captured.payload),
    ).toEqual({
      exchange: 'exchange/taskcluster-queue/v1/task-completed',
      routingKey: captured.routingKey,
    });
    const pending = { status: { taskId: 'T', provisionerId: 'p', workerType: 'w' }, runId: 0 };
    expect(pulseRoutingKey(pending)).toBe('primary.T.0._._.p.w._._._');
    expect(pulseRoutingKey({ taskGroupId: 'G', schedulerId: 's' })).toBe('primary.G.s._');
    expect(pulseRoutingKey({ any: 'thing' })).toBe('primary');
    expect(pulseRoutingKey({ status: { taskId: 'a.b#' } })).toBe('primary._._._._._._._._._');
  });
});

describe('eventAsPublished: the event `loopabull run` hands an automation', () => {
  const asLooper = (
    preset: 'pulse' | 'fedora-messaging',
    topic: string,
    body: unknown,
    id: string,
  ) => {
    const dest = destinationFor(preset, topic, 'amq.topic', body);
    const r = toEvent(
      {
        exchange: dest.exchange,
        routingKey: dest.routingKey,
        content: Buffer.from(JSON.stringify(body)),
        messageId: id,
      },
      preset,
      opts,
    );
    if (!r.ok) throw new Error(r.detail);
    return r.event;
  };

  it('pulse: the exchange, routing key and id the looper derives from the body, the same each time', () => {
    const topic = 'taskcluster-queue.v1.task-completed';
    const args = [pulse.payload, { publishExchange: 'amq.topic', now }] as const;
    const first = eventAsPublished('pulse', topic, args[0], { ...args[1], messageId: 'm-1' });
    const again = eventAsPublished('pulse', topic, args[0], { ...args[1], messageId: 'm-2' });
    const looper = asLooper('pulse', topic, pulse.payload, 'm-3');
    expect(first).toMatchObject({
      id: looper.id,
      topic,
      exchange: pulse.exchange,
      routing_key: pulse.routingKey,
      body: pulse.payload,
    });
    expect(again.id).toBe(first.id);
    expect(
      eventAsPublished('pulse', topic, {}, { ...args[1], messageId: 'm', routingKey: 'primary.x' }),
    ).toMatchObject({ routing_key: 'primary.x', exchange: pulse.exchange });
  });

  it('fedora-messaging: the publish exchange, the topic as routing key, the message id as id', () => {
    const topic = fedmsg.topic;
    const event = eventAsPublished('fedora-messaging', topic, fedmsg.msg, {
      publishExchange: 'amq.topic',
      messageId: fedmsg.msg_id,
      now,
    });
    const looper = asLooper('fedora-messaging', topic, fedmsg.msg, fedmsg.msg_id);
    expect(event).toMatchObject({
      id: looper.id,
      exchange: 'amq.topic',
      routing_key: topic,
      received_at: now.toISOString(),
    });
  });

  it('carries the text `publish` sends when it keeps numbers as written, as the looper would', () => {
    const text = '{"timestamp":1424216566.0}';
    const event = eventAsPublished('fedora-messaging', fedmsg.topic, JSON.parse(text), {
      publishExchange: 'amq.topic',
      messageId: fedmsg.msg_id,
      text,
      now,
    });
    expect(event).toMatchObject({ body: { timestamp: 1424216566 }, body_text: text });
  });

  // `loopabull run` promises the event the looper makes of the same body published now: with
  // fedora-messaging that includes the headers `publish` sends and the sent_at read from them.
  it.each(['fedora-messaging', 'generic'] as const)(
    '%s: the headers and sent_at the looper gives a message `publish` sends at that time',
    (preset) => {
      const topic = fedmsg.topic;
      const at = new Date('2026-01-02T03:04:05.678Z');
      const event = eventAsPublished(preset, topic, fedmsg.msg, {
        publishExchange: 'amq.topic',
        messageId: fedmsg.msg_id,
        now: at,
      });
      // What BusPublisher sends: these headers, and the AMQP timestamp in whole seconds.
      const r = toEvent(
        {
          exchange: 'amq.topic',
          routingKey: topic,
          content: Buffer.from(JSON.stringify(fedmsg.msg)),
          messageId: fedmsg.msg_id,
          contentType: 'application/json',
          headers: publishHeaders(preset, at),
          timestamp: Math.floor(at.getTime() / 1000),
        },
        preset,
        { maxBytes: 1024 * 1024, now: at },
      );
      if (!r.ok) throw new Error(r.detail);
      expect(event).toEqual(r.event);
      if (preset === 'fedora-messaging') {
        expect(event.headers).toEqual({
          fedora_messaging_schema: 'base.message',
          fedora_messaging_severity: 20,
          'sent-at': '2026-01-02T03:04:05+00:00',
        });
        expect(event.sent_at).toBe('2026-01-02T03:04:05+00:00');
      } else {
        expect(event.sent_at).toBe('2026-01-02T03:04:05.000Z');
      }
    },
  );
});

describe('generic preset', () => {
  it('keeps text bodies as text and derives an id without message_id', () => {
    const d: Delivery = {
      exchange: 'ex',
      routingKey: 'a.b',
      content: Buffer.from('hello'),
      contentType: 'text/plain',
    };
    const r = toEvent(d, 'generic', opts);
    expect(r).toMatchObject({
      ok: true,
      event: { body: 'hello', topic: 'a.b', id: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });
});

describe('bindingsDeliver', () => {
  const on = (
    routing_key: string,
    exchange = 'loopabull',
    preset: 'fedora-messaging' | 'pulse' = 'fedora-messaging',
  ) => ({ preset, bindings: [{ exchange, routing_key }] });
  const topic = 'org.fedoraproject.prod.buildsys.build.state.change';

  it.each([
    ['#', true],
    ['org.fedoraproject.#', true],
    ['org.#.change', true],
    ['org.#.buildsys.build.state.change', true],
    ['org.fedoraproject.prod.buildsys.build.state.change.#', true],
    ['#.org.fedoraproject.prod.buildsys.build.state.change', true],
    ['org.fedoraproject.*.buildsys.#', true],
    ['*.*.*.*.*.*.*', true],
    ['org.*.change', false],
    ['*.*.*.*.*.*', false],
    ['org.#.tag', false],
    ['org.fedoraproject.stg.#', false],
    ['org.fedoraproject.prod.buildsys.build.state', false],
  ])('on a topic exchange, %s: %s', (pattern, delivers) => {
    expect(bindingsDeliver(on(pattern), topic)).toBe(delivers);
  });

  it('is true when any one binding delivers, false with none', () => {
    const bus = {
      preset: 'generic' as const,
      bindings: [
        { exchange: 'a', routing_key: 'x.#' },
        { exchange: 'b', routing_key: 'org.*.prod.#' },
      ],
    };
    expect(bindingsDeliver(bus, topic)).toBe(true);
    expect(bindingsDeliver({ ...bus, bindings: bus.bindings.slice(0, 1) }, topic)).toBe(false);
    expect(bindingsDeliver({ ...bus, bindings: [] }, topic)).toBe(false);
  });

  it("routes on RabbitMQ's own exchanges as their type does", () => {
    expect(bindingsDeliver(on('#', 'amq.direct'), topic)).toBe(false);
    expect(bindingsDeliver(on(topic, 'amq.direct'), topic)).toBe(true);
    for (const exchange of ['amq.fanout', 'amq.headers', 'amq.match'])
      expect(bindingsDeliver(on('nothing.like.it', exchange), topic)).toBe(true);
    expect(bindingsDeliver(on('org.#', 'amq.topic'), topic)).toBe(true);
    expect(bindingsDeliver(on('nothing.like.it', 'amq.topic'), topic)).toBe(false);
  });

  it('on Pulse, is a bound exchange, whatever its routing-key pattern', () => {
    const exchange = 'exchange/taskcluster-queue/v1/task-completed';
    expect(
      bindingsDeliver(on('nothing', exchange, 'pulse'), 'taskcluster-queue.v1.task-completed'),
    ).toBe(true);
    expect(bindingsDeliver(on('#', exchange, 'pulse'), 'taskcluster-queue.v1.task-failed')).toBe(
      false,
    );
    expect(
      bindingsDeliver(on('#', 'amq.fanout', 'pulse'), 'taskcluster-queue.v1.task-failed'),
    ).toBe(false);
  });
});

describe('topicBound', () => {
  const on = (preset: 'pulse' | 'generic', routing_keys = ['all']) => ({
    bus: {
      preset,
      bindings: [
        { exchange: 'exchange/taskcluster-queue/v1/task-completed', routing_key: 'primary.#' },
        { exchange: 'amq.topic', routing_key: 'slavealloc.slave.*' },
      ],
    },
    routing_keys,
  });

  it('on Pulse, is a bound exchange, whatever the routing keys', () => {
    expect(topicBound(on('pulse'), 'taskcluster-queue.v1.task-completed')).toBe(true);
    expect(topicBound(on('pulse'), 'taskcluster-queue.v1.task-failed')).toBe(false);
    expect(topicBound(on('pulse'), 'slavealloc.slave.enable')).toBe(false);
  });

  it("elsewhere, is a routing key a binding's pattern matches, and routing_keys keeps", () => {
    expect(topicBound(on('generic'), 'slavealloc.slave.enable')).toBe(true);
    expect(topicBound(on('generic'), 'taskcluster-queue.v1.task-completed')).toBe(false);
    expect(topicBound(on('generic', ['slavealloc.slave.disable']), 'slavealloc.slave.enable')).toBe(
      false,
    );
  });
});
