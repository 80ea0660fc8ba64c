import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UNDECODABLE_HEADERS } from '@loopabull/core';

/**
 * amqplib decodes header tables recursively while it reads frames off the socket: a table nested
 * some thousands deep (under 64 KiB on the wire) overflows the stack there, the connection dies,
 * the broker redelivers the message to the reconnected looper, and it dies again: the queue
 * stalls behind one message that never reached our code. amqplib 2.3 has no hook for this, so
 * its frame reader is replaced with the same loop plus one thing: a content header that cannot
 * be decoded is decoded again without its header table, whose place takes a marker that the
 * looper parks (`bad-headers`).
 *
 * The replaced method mirrors amqplib 2.3's `Connection.prototype.recvFrame`; other versions are
 * left alone (`installHeaderGuard` says false), since their internals may differ.
 */

interface Frame {
  type: number;
  channel: number;
  size: number;
  payload: Buffer;
  rest: Buffer;
}

interface FrameModule {
  parseFrame(bin: Buffer, max: number): Frame | false;
  decodeFrame(frame: Frame): { fields?: Record<string, unknown> } & Record<string, unknown>;
}

interface ConnectionInternals {
  rest: Buffer;
  maxFrameSize: number;
  recvSinceLastCheck: boolean;
  stream: { read(): Buffer | null };
}

const GUARDED_VERSION = /^2\.3\./;
const FRAME_HEADER = 2;
/** Content header payload: class id, weight, body size, then the property flags. */
const FLAGS_AT = 12;
const HAS_CONTENT_TYPE = 0x8000;
const HAS_CONTENT_ENCODING = 0x4000;
const HAS_HEADERS = 0x2000;

let installed: boolean | null = null;

/** The content header payload without its header table, or null if it has none. */
export function withoutHeaderTable(payload: Buffer): Buffer | null {
  const flags = payload.readUInt16BE(FLAGS_AT);
  if (!(flags & HAS_HEADERS)) return null;
  let at = FLAGS_AT + 2;
  if (flags & HAS_CONTENT_TYPE) at += 1 + payload.readUInt8(at);
  if (flags & HAS_CONTENT_ENCODING) at += 1 + payload.readUInt8(at);
  const tableEnd = at + 4 + payload.readUInt32BE(at);
  const out = Buffer.concat([payload.subarray(0, at), payload.subarray(tableEnd)]);
  out.writeUInt16BE(flags & ~HAS_HEADERS, FLAGS_AT);
  return out;
}

function decodeGuarded(frames: FrameModule, frame: Frame) {
  try {
    return frames.decodeFrame(frame);
  } catch (err) {
    let payload: Buffer | null = null;
    try {
      if (frame.type === FRAME_HEADER) payload = withoutHeaderTable(frame.payload);
    } catch {
      // Broken beyond the header table: amqplib's own error says more.
    }
    if (payload === null) throw err;
    const decoded = frames.decodeFrame({ ...frame, payload });
    decoded.fields = {
      ...decoded.fields,
      headers: { [UNDECODABLE_HEADERS]: `cannot decode the header table: ${String(err)}` },
    };
    return decoded;
  }
}

/** Installs the guard once per process; false when this amqplib is not a version it knows. */
export function installHeaderGuard(): boolean {
  if (installed !== null) return installed;
  const require = createRequire(import.meta.url);
  // Through absolute paths: the package's `exports` hides its internals from require.
  const root = dirname(require.resolve('amqplib'));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  const frames = require(join(root, 'lib', 'frame.js')) as FrameModule;
  const { Connection } = require(join(root, 'lib', 'connection.js')) as {
    Connection?: { prototype: { recvFrame?: unknown } };
  };
  installed =
    GUARDED_VERSION.test(version) &&
    typeof frames.parseFrame === 'function' &&
    typeof frames.decodeFrame === 'function' &&
    typeof Connection?.prototype.recvFrame === 'function';
  if (!installed) return false;
  Connection!.prototype.recvFrame = function recvFrame(this: ConnectionInternals) {
    for (;;) {
      const frame = frames.parseFrame(this.rest, this.maxFrameSize);
      if (frame) {
        this.rest = frame.rest;
        return decodeGuarded(frames, frame);
      }
      const incoming = this.stream.read();
      if (incoming === null) return false;
      this.recvSinceLastCheck = true;
      this.rest = Buffer.concat([this.rest, incoming]);
    }
  };
  return true;
}
