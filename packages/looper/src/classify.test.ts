import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage } from 'amqplib';
import { UNDECODABLE_HEADERS, type Config, type Delivery } from '@loopabull/core';
import { classify, deliveryOf } from './classify.js';

const config = (
  over: {
    preset?: Config['bus']['preset'];
    routing_keys?: string[];
    max_bytes?: number;
    max_depth?: number;
  } = {},
) =>
  ({
    bus: {
      preset: over.preset ?? 'fedora-messaging',
      max_bytes: over.max_bytes ?? 1024,
      max_depth: over.max_depth ?? 100,
    },
    routing_keys: over.routing_keys ?? ['all'],
  }) as Pick<Config, 'bus' | 'routing_keys'>;

const delivery = (
  routingKey: string,
  body: string | Buffer,
  extra: Partial<Delivery> = {},
): Delivery => ({
  exchange: 'amq.topic',
  routingKey,
  content: Buffer.isBuffer(body) ? body : Buffer.from(body),
  messageId: 'm-1',
  ...extra,
});

describe('classify', () => {
  it('makes an event of a good message', () => {
    const now = new Date('2024-01-02T03:04:05Z');
    const verdict = classify(delivery('a.b', '{"x":1}'), config(), now);
    expect(verdict).toEqual({
      kind: 'enqueue',
      event: expect.objectContaining({
        id: 'm-1',
        topic: 'a.b',
        body: { x: 1 },
        received_at: now.toISOString(),
      }),
    });
  });

  it.each([
    ['not-json', delivery('a.b', 'nope')],
    ['too-large', delivery('a.b', JSON.stringify({ pad: 'x'.repeat(2000) }))],
    ['bad-utf8', delivery('a.b', Buffer.from([0xff]))],
    ['bad-topic', delivery('../../etc/passwd', '{}')],
    ['bad-topic', delivery('a/b', '{}')],
    ['too-deep', delivery('a.b', '['.repeat(101) + ']'.repeat(101))],
    ['bad-headers', delivery('a.b', '{}', { headers: { big: 'x'.repeat(70_000) } })],
    [
      'bad-headers',
      delivery('a.b', '{}', {
        headers: { [UNDECODABLE_HEADERS]: 'cannot decode the header table' } as Record<
          string,
          unknown
        >,
      }),
    ],
  ])('parks a message that is %s', (reason, d) => {
    expect(classify(d, config())).toMatchObject({ kind: 'park', reason });
  });

  it('takes the depth limit from bus.max_depth', () => {
    const d = delivery('a.b', '{"a":{"b":[1]}}');
    expect(classify(d, config({ max_depth: 3 }))).toMatchObject({ kind: 'enqueue' });
    expect(classify(d, config({ max_depth: 2 }))).toMatchObject({
      kind: 'park',
      reason: 'too-deep',
      detail: 'body is nested deeper than bus.max_depth 2',
    });
  });

  it('filters topics outside routing_keys before looking at the body, as Loopabull 0.0.7 did', () => {
    const cfg = config({ routing_keys: ['a.b'] });
    expect(classify(delivery('c.d', '{}'), cfg)).toEqual({ kind: 'filter', topic: 'c.d' });
    expect(classify(delivery('c.d', 'not json'), cfg)).toEqual({ kind: 'filter', topic: 'c.d' });
    expect(classify(delivery('../x', '{}'), cfg)).toEqual({ kind: 'filter', topic: '../x' });
    expect(classify(delivery('a.b', 'not json'), cfg)).toMatchObject({
      kind: 'park',
      reason: 'not-json',
    });
    expect(classify(delivery('a.b', '{}'), cfg)).toMatchObject({ kind: 'enqueue' });
  });

  it('filters Pulse messages by the topic their exchange names', () => {
    const cfg = config({ preset: 'pulse', routing_keys: ['taskcluster-queue.v1.task-completed'] });
    const d = (exchange: string) => delivery('primary.x', '{}', { exchange });
    expect(classify(d('exchange/taskcluster-queue/v1/task-completed'), cfg)).toMatchObject({
      kind: 'enqueue',
    });
    expect(classify(d('exchange/taskcluster-queue/v1/task-running'), cfg)).toEqual({
      kind: 'filter',
      topic: 'taskcluster-queue.v1.task-running',
    });
  });
});

describe('deliveryOf', () => {
  it('takes the properties an event is made from and drops the rest', () => {
    const msg = {
      content: Buffer.from('{}'),
      fields: {
        deliveryTag: 1,
        redelivered: false,
        exchange: 'ex',
        routingKey: 'rk',
        consumerTag: 'c',
      },
      properties: {
        messageId: 'id-1',
        contentType: 'application/json',
        headers: { 'sent-at': 'x' },
        timestamp: 1700000000,
        appId: 'app',
      },
    } as unknown as ConsumeMessage;
    expect(deliveryOf(msg)).toEqual({
      exchange: 'ex',
      routingKey: 'rk',
      content: msg.content,
      messageId: 'id-1',
      contentType: 'application/json',
      headers: { 'sent-at': 'x' },
      timestamp: 1700000000,
    });
  });
});
