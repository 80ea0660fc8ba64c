/**
 * Publishing messages amqplib's own encoder cannot make, as other clients (pika, Java) can: header
 * tables over its 64 KiB scratch buffer, or nested deeper than its recursive encoder goes. The
 * frames are written onto the socket of an amqplib connection, on one of its channels, so the
 * handshake is amqplib's. Test-only: it reaches into amqplib's `connection.stream` and `ch`.
 */
import type { Channel, ChannelModel } from 'amqplib';

const FRAME_END = 0xce;

function frame(type: number, channel: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([FRAME_END])]);
}

function shortstr(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** A field value: a long string. */
export const longString = (s: string): Buffer =>
  Buffer.concat([Buffer.from('S'), u32(Buffer.byteLength(s)), Buffer.from(s)]);

/** A field value: tables nested `depth` deep, `{a: {a: … true}}`, written without recursion. */
export function nestedTable(depth: number): Buffer {
  const out = Buffer.alloc(2 + 7 * depth);
  let at = 0;
  for (let level = depth; level > 0; level--) {
    out[at++] = 0x46; // F: a table
    at = out.writeUInt32BE(7 * level - 3, at);
    out[at++] = 1; // key length
    out[at++] = 0x61; // a
  }
  out[at++] = 0x74; // t: a boolean
  out[at] = 1;
  return out;
}

/** The content of a header table (what follows its length) from encoded field values. */
export const tableContent = (fields: Record<string, Buffer>): Buffer =>
  Buffer.concat(Object.entries(fields).flatMap(([key, value]) => [shortstr(key), value]));

export interface RawMessage {
  /** The header table's content, as `tableContent` makes it. */
  headers: Buffer;
  body: Buffer;
  messageId: string;
}

/** A content header frame's payload: properties in flag order (type, headers, delivery mode, id). */
export function contentHeader(msg: RawMessage): Buffer {
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(msg.body.length));
  return Buffer.concat([
    u16(60),
    u16(0),
    size,
    u16(0x8000 | 0x2000 | 0x1000 | 0x0080),
    shortstr('application/json'),
    u32(msg.headers.length),
    msg.headers,
    Buffer.from([2]),
    shortstr(msg.messageId),
  ]);
}

export function publishRaw(
  model: ChannelModel,
  ch: Channel,
  exchange: string,
  routingKey: string,
  msg: RawMessage,
): void {
  const channel = (ch as unknown as { ch: number }).ch;
  const socket = (model as unknown as { connection: { stream: { write(b: Buffer): void } } })
    .connection.stream;
  const publish = Buffer.concat([
    u16(60),
    u16(40),
    u16(0),
    shortstr(exchange),
    shortstr(routingKey),
    Buffer.from([0]),
  ]);
  socket.write(
    Buffer.concat([
      frame(1, channel, publish),
      frame(2, channel, contentHeader(msg)),
      frame(3, channel, msg.body),
    ]),
  );
}
