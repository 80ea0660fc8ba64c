import { describe, expect, it } from '@jest/globals';
import { readFixture } from '@test/support';
import { sha256Text } from './hash.js';
import { toEvent } from './presets.js';
import { ConfigError } from './errors.js';
import { parseReplay } from './replay-format.js';

const fedmsg = readFixture<{ topic: string; msg_id: string; msg: unknown; timestamp: number }>(
  'fedmsg/buildsys.build.state.change.json',
);
interface PulseCapture {
  exchange: string;
  routingKey: string;
  payload: { status: { taskId: string } };
}
const completed = readFixture<PulseCapture>('pulse/task-completed.json');
const running = readFixture<PulseCapture>('pulse/task-running-other-provisioner.json');
const snake = (m: PulseCapture) => ({
  exchange: m.exchange,
  routing_key: m.routingKey,
  payload: m.payload,
});

const serialized = {
  topic: 'org.fedoraproject.prod.bodhi.update.comment',
  headers: { 'sent-at': '2019-07-30T19:12:22+00:00' },
  id: '6b2f1a6c-58f5-4a44-92c5-5e0f7a0a2b11',
  body: { comment: 'hi' },
};

describe('parseReplay', () => {
  it('reads a fedmsg envelope with its original id and the time it was sent', () => {
    // The fixture's timestamp is 1424216566.0: sent_at must not become the time of the replay.
    expect(parseReplay(JSON.stringify(fedmsg), 'f')).toEqual([
      {
        topic: fedmsg.topic,
        id: fedmsg.msg_id,
        headers: { 'sent-at': '2015-02-17T23:42:46+00:00' },
        body: fedmsg.msg,
      },
    ]);
  });

  it("keeps the headers datagrepper gives an envelope, and an envelope's missing or bad time", () => {
    const headers = { 'sent-at': '2019-07-30T19:12:22+00:00', fedora_messaging_severity: 20 };
    const [withHeaders] = parseReplay(JSON.stringify({ ...fedmsg, headers }), 'f');
    expect(withHeaders!.headers).toEqual(headers);
    for (const timestamp of [undefined, 'yesterday', 1e300]) {
      const [m] = parseReplay(JSON.stringify({ ...fedmsg, timestamp }), 'f');
      expect(m!.headers).toEqual({});
    }
  });

  it('reads a fedora-messaging serialized message with its headers', () => {
    expect(parseReplay(JSON.stringify(serialized), 'f')).toEqual([serialized]);
  });

  it("keeps a serialized message's AMQP priority, and names a bad one", () => {
    const withPriority = { ...serialized, queue: null, priority: 2 };
    expect(parseReplay(JSON.stringify(withPriority), 'f')[0]).toEqual({
      ...serialized,
      priority: 2,
    });
    expect(parseReplay(JSON.stringify({ ...serialized, priority: null }), 'f')).toEqual([
      serialized,
    ]);
    for (const priority of [-1, 256, 1.5, '2'])
      expect(() => parseReplay(JSON.stringify({ ...serialized, priority }), 'f')).toThrow(
        'f: "priority" must be an integer from 0 to 255 or null',
      );
  });

  it('reads lists and JSON lines, in order', () => {
    const expected = [fedmsg.msg_id, serialized.id];
    expect(parseReplay(JSON.stringify([fedmsg, serialized]), 'f').map((m) => m.id)).toEqual(
      expected,
    );
    expect(
      parseReplay(`${JSON.stringify(fedmsg)}\n\n${JSON.stringify(serialized)}\n`, 'f').map(
        (m) => m.id,
      ),
    ).toEqual(expected);
  });

  it('reads a page of datagrepper /raw, as saved with curl', () => {
    const page = {
      arguments: {},
      count: 2,
      pages: 1,
      total: 2,
      raw_messages: [fedmsg, serialized],
    };
    expect(parseReplay(JSON.stringify(page), 'f').map((m) => m.id)).toEqual([
      fedmsg.msg_id,
      serialized.id,
    ]);
    expect(() =>
      parseReplay(JSON.stringify({ ...page, raw_messages: [{ topic: 'a.b' }] }), 'raw.json'),
    ).toThrow(/raw\.json item 1: expected/);
  });

  it('keeps the text of each body whose numbers JSON.parse loses, as the file writes them', () => {
    // A datagrepper page holding a fedmsg envelope whose msg is itself an envelope, as 0.0.7's
    // fedmsg looper got it (`timestamp` a float), a serialized message and a Pulse capture.
    const inner = '{"timestamp": 1424216566.0, "ids": [12345678901234567890, 2], "v": "1.0"}';
    const page =
      `{"raw_messages": [{"topic": "a.b", "msg_id": "m1", "timestamp": 1.0, "msg": ${inner}},` +
      ` {"topic": "a.b", "id": "m2", "body": {"n": 1}},` +
      ` {"exchange": "exchange/x/y", "routingKey": "r", "payload": [1e5]}]}`;
    const [envelope, plain, capture] = parseReplay(page, 'page.json');
    expect(envelope).toMatchObject({
      body: JSON.parse(inner),
      text: '{"timestamp":1424216566.0,"ids":[12345678901234567890,2],"v":"1.0"}',
    });
    expect(plain!.text).toBe('{"n":1}');
    expect(capture).toMatchObject({ body: [100000], text: '[1e5]' });
    const lines = parseReplay(
      `{"topic": "a.b", "id": "m", "body": [1.0]}\n${JSON.stringify(serialized)}`,
      'l',
    );
    expect(lines.map((m) => m.text)).toEqual(['[1.0]', undefined]);
  });

  it('names the line and what is wrong', () => {
    expect(() => parseReplay(`${JSON.stringify(fedmsg)}\n{nope`, 'dump.jsonl')).toThrow(
      /dump\.jsonl line 2 is not JSON/,
    );
    expect(() => parseReplay(JSON.stringify([fedmsg, { topic: 'a.b' }]), 'dump.json')).toThrow(
      /dump\.json item 2: expected \{topic, id, body\}/,
    );
    expect(() =>
      parseReplay(JSON.stringify({ ...serialized, topic: '../../etc/passwd' }), 'x'),
    ).toThrow(/x: topic "..\/..\/etc\/passwd"/);
  });

  it('refuses a message AMQP cannot carry, or whose headers the looper would park, naming it', () => {
    const second = (m: Record<string, unknown>) => () =>
      parseReplay([serialized, m].map((x) => JSON.stringify(x)).join('\n'), 'r.jsonl');
    const long = 'k'.repeat(256);
    expect(second({ ...serialized, headers: { [long]: 1 } })).toThrow(
      new ConfigError(
        `r.jsonl line 2: header "${'k'.repeat(40)}…" has a name over AMQP's 255 bytes`,
      ),
    );
    expect(second({ ...serialized, headers: { a: [{ b: { [long]: 1 } }] } })).toThrow(
      /r\.jsonl line 2: header "k+…" has a name over AMQP's 255 bytes/,
    );
    expect(second({ ...serialized, headers: { a: 'v'.repeat(70_000) } })).toThrow(
      new ConfigError('r.jsonl line 2: headers: header table is larger than 65536 bytes'),
    );
    expect(second({ ...serialized, id: 'i'.repeat(256) })).toThrow(
      new ConfigError("r.jsonl line 2: the id is over AMQP's 255 bytes"),
    );
    const fine = { ...serialized, headers: { [long.slice(1)]: ['x'.repeat(300)] } };
    expect(parseReplay(JSON.stringify(fine), 'f')[0]!.headers).toEqual(fine.headers);
  });

  describe('Pulse captures', () => {
    it('reads {exchange, routingKey, payload} with the topic and id the pulse preset gives it', () => {
      const [m] = parseReplay(JSON.stringify(completed), 'c.json');
      expect(m).toEqual({
        topic: 'taskcluster-queue.v1.task-completed',
        id: sha256Text(`${completed.exchange}:${completed.routingKey}`),
        headers: {},
        body: completed.payload,
        pulse: { exchange: completed.exchange, routingKey: completed.routingKey },
      });
      // What the looper makes of the message published on that exchange and routing key.
      const delivered = toEvent(
        {
          exchange: m!.pulse!.exchange,
          routingKey: m!.pulse!.routingKey,
          content: Buffer.from(JSON.stringify(m!.body)),
        },
        'pulse',
        { maxBytes: 1 << 20 },
      );
      expect(delivered.ok && delivered.event).toMatchObject({
        id: m!.id,
        topic: m!.topic,
        body: completed.payload,
      });
    });

    it('reads routing_key (snake case) as routingKey', () => {
      expect(parseReplay(JSON.stringify(snake(completed)), 'f')).toEqual(
        parseReplay(JSON.stringify(completed), 'f'),
      );
    });

    it('reads a list, {messages: [...]}, JSON lines and mixed formats, in order', () => {
      const ids = [completed, running].map((m) => sha256Text(`${m.exchange}:${m.routingKey}`));
      const read = (text: string) => parseReplay(text, 'f').map((m) => m.id);
      expect(read(JSON.stringify([completed, snake(running)]))).toEqual(ids);
      expect(read(JSON.stringify({ messages: [completed, running] }))).toEqual(ids);
      expect(read(`${JSON.stringify(completed)}\n${JSON.stringify(snake(running))}\n`)).toEqual(
        ids,
      );
      expect(read(JSON.stringify([completed, serialized]))).toEqual([ids[0], serialized.id]);
    });

    it('keeps the exchange as it is, even where its topic does not give it back', () => {
      const [m] = parseReplay(
        JSON.stringify({ exchange: 'exchange/a.b/c', routingKey: 'k', payload: {} }),
        'f',
      );
      expect(m!.topic).toBe('a.b.c');
      expect(m!.pulse).toEqual({ exchange: 'exchange/a.b/c', routingKey: 'k' });
    });

    it('names the item and what is wrong', () => {
      const bad = (item: unknown) => () => parseReplay(JSON.stringify([completed, item]), 'p.json');
      expect(bad({ exchange: completed.exchange, payload: {} })).toThrow(
        /p\.json item 2: no "routingKey" \(or "routing_key"\) string/,
      );
      expect(bad({ ...completed, routingKey: 7 })).toThrow(/item 2: no "routingKey"/);
      expect(bad({ ...completed, exchange: '' })).toThrow(/item 2: "exchange" must be/);
      expect(bad({ ...completed, routingKey: 'k'.repeat(256) })).toThrow(
        /item 2: the routing key is over AMQP's 255 bytes/,
      );
      expect(bad({ ...completed, exchange: 'exchange/../x' })).toThrow(
        /item 2: exchange "exchange\/..\/x": topic/,
      );
      expect(bad({ exchange: completed.exchange, routingKey: 'k' })).toThrow(
        /item 2: no "payload"/,
      );
      expect(bad({ routingKey: 'k', payload: {} })).toThrow(/item 2: no "topic"/);
    });
  });
});
