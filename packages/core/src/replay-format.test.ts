import { describe, expect, it } from '@jest/globals';
import { readFixture } from '@test/support';
import { parseReplay } from './replay-format.js';

const fedmsg = readFixture<{ topic: string; msg_id: string; msg: unknown; timestamp: number }>(
  'fedmsg/buildsys.build.state.change.json',
);
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
});
