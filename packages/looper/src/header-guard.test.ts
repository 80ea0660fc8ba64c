import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { UNDECODABLE_HEADERS } from '@loopabull/core';
import { contentHeader, longString, nestedTable, tableContent } from '../test/raw-frames.js';
import { installHeaderGuard, withoutHeaderTable } from './header-guard.js';

const require = createRequire(import.meta.url);
const frames = require(join(dirname(require.resolve('amqplib')), 'lib', 'frame.js')) as {
  decodeFrame(f: object): { fields: Record<string | symbol, unknown> };
};
const decode = (payload: Buffer) =>
  frames.decodeFrame({ type: 2, channel: 1, size: payload.length, payload, rest: Buffer.alloc(0) })
    .fields;

describe('withoutHeaderTable', () => {
  it('drops the header table and keeps every other property', () => {
    const payload = contentHeader({
      headers: tableContent({ deep: nestedTable(10), s: longString('x') }),
      body: Buffer.from('{}'),
      messageId: 'm-1',
    });
    expect(decode(payload)).toMatchObject({ messageId: 'm-1', headers: { s: 'x' } });
    const stripped = decode(withoutHeaderTable(payload)!);
    expect(stripped).toMatchObject({
      contentType: 'application/json',
      deliveryMode: 2,
      messageId: 'm-1',
    });
    expect(stripped.headers).toBeUndefined();
  });
});

describe('installHeaderGuard', () => {
  it('knows this amqplib, whose decoder overflows on a deep table, and turns that into a marker', () => {
    // Fails when amqplib is upgraded: check its recvFrame still matches ours, then widen the range.
    expect(installHeaderGuard()).toBe(true);
    const payload = contentHeader({
      headers: tableContent({ deep: nestedTable(8_000) }),
      body: Buffer.from('{}'),
      messageId: 'm-deep',
    });
    expect(() => decode(payload)).toThrow(RangeError);

    // A stand-in for amqplib's Connection state: the frame arrives on its stream.
    const { Connection } = require(
      join(dirname(require.resolve('amqplib')), 'lib', 'connection.js'),
    ) as { Connection: { prototype: { recvFrame(this: object): unknown } } };
    const head = Buffer.alloc(7);
    head.writeUInt8(2, 0);
    head.writeUInt16BE(1, 1);
    head.writeUInt32BE(payload.length, 3);
    const chunks = [Buffer.concat([head, payload, Buffer.from([0xce])])];
    const state = {
      rest: Buffer.alloc(0),
      maxFrameSize: 131072,
      recvSinceLastCheck: false,
      stream: { read: () => chunks.shift() ?? null },
    };
    const frame = Connection.prototype.recvFrame.call(state) as {
      fields: { messageId: string; headers: Record<symbol, unknown> };
    };
    expect(frame.fields.messageId).toBe('m-deep');
    expect(frame.fields.headers[UNDECODABLE_HEADERS]).toMatch(
      /^cannot decode the header table: RangeError: Maximum call stack size exceeded/,
    );
    expect(state.rest).toHaveLength(0);
    expect(Connection.prototype.recvFrame.call(state)).toBe(false);
  });
});
