import type { Redis } from 'ioredis';
import { TOPIC_SCAN } from './job-types.js';
import type { RejectReason } from './presets.js';

/** How many parked messages are kept (docs: "newest 10,000"); the oldest go first. */
const PARKED_MAX = 10_000;
/** Most parked messages one `list` returns: each carries a body of up to PARKED_BODY_BYTES. */
export const PARKED_LIST_MAX = 1000;
/** A parked body is kept up to this size, enough to see what was wrong with it. */
export const PARKED_BODY_BYTES = 64 * 1024;

export interface ParkedMessage {
  /** Stream entry id: `<ms>-<seq>`. */
  id: string;
  reason: RejectReason;
  detail: string;
  topic: string | null;
  exchange: string;
  routing_key: string;
  message_id: string | null;
  received_at: string;
  size: number;
  /** The body as text (invalid UTF-8 replaced), cut at 64 KiB of UTF-8. */
  body: string;
}

/** A parked message where a job could be shown: it never became one, its state says so. */
export type ParkedDetail = ParkedMessage & { state: 'parked' };

/** Whether what `Jobs.showOrParked` found is a parked message (no job is ever in that state). */
export const isParked = (shown: { state: string }): shown is ParkedDetail =>
  shown.state === 'parked';

/** `bytes` cut to at most `max`, backing off so a multi-byte UTF-8 character is not split. */
function cutAtCharacter(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  // At most three continuation bytes follow a leading byte; beyond that it is not UTF-8 anyway.
  while (end > max - 3 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end);
}

/**
 * The start of a parked body as text, at most PARKED_BODY_BYTES of UTF-8. Decoding replaces each
 * invalid byte with U+FFFD, three bytes, so the text is cut again after decoding.
 */
export function parkedBody(content: Buffer): string {
  const text = cutAtCharacter(content, PARKED_BODY_BYTES).toString('utf8');
  // No UTF-16 code unit takes more than three bytes of UTF-8: short text needs no second cut.
  if (text.length <= PARKED_BODY_BYTES / 3) return text;
  return cutAtCharacter(Buffer.from(text, 'utf8'), PARKED_BODY_BYTES).toString('utf8');
}

/**
 * How a parked message's body is shown: its size, and whether only its start was kept. Its text
 * is shorter than the message when cut; but invalid bytes grow three times when decoded, so a
 * body that is not UTF-8 was cut when its text reached the cap, whatever the message's size.
 */
export function parkedBodySize({ body, size }: Pick<ParkedMessage, 'body' | 'size'>): string {
  const text = Buffer.byteLength(body, 'utf8');
  const cut = text < size || text > PARKED_BODY_BYTES - 4;
  return `${size} bytes${cut ? `, the first ${PARKED_BODY_BYTES} kept` : ''}`;
}

/** A parked message's id: its stream entry id, `<ms>-<seq>`. */
const PARKED_ID = /^\d+-\d+$/;

const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Whether `id` can be a stream entry id: `<ms>-<seq>`, each an unsigned 64-bit number. Redis
 * answers anything else (`99999999999999999999-0` too) with an error, not with no entry.
 */
const isParkedId = (id: string): boolean =>
  PARKED_ID.test(id) && id.split('-').every((part) => BigInt(part) <= UINT64_MAX);

export type ParkInput = Omit<ParkedMessage, 'id' | 'body' | 'size'> & { content: Buffer };

/**
 * Bus messages that cannot become events. They are acked from the bus (redelivery would not
 * make them better) and kept here with their reason, for `loopabull jobs list --state parked`.
 */
export class ParkingLot {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async park(msg: ParkInput): Promise<void> {
    const { content, ...rest } = msg;
    const fields: Record<string, string> = {
      reason: rest.reason,
      detail: rest.detail,
      topic: rest.topic ?? '',
      exchange: rest.exchange,
      routing_key: rest.routing_key,
      message_id: rest.message_id ?? '',
      received_at: rest.received_at,
      size: String(content.length),
      body: parkedBody(content),
    };
    // Exact trimming: an operator reading the documented number sees it, and parking is rare
    // enough that the approximate form's saving does not matter.
    await this.redis.xadd(this.key, 'MAXLEN', PARKED_MAX, '*', ...Object.entries(fields).flat());
  }

  async count(): Promise<number> {
    return this.redis.xlen(this.key);
  }

  /**
   * Newest first, at most PARKED_LIST_MAX. With a topic, up to `limit` of that topic's, found
   * among the newest TOPIC_SCAN messages whatever the limit, as `Jobs.list` looks through jobs
   * (and `jobs list --topic` says): the limit counts matching messages, not the ones read.
   */
  async list(wanted = 50, topic?: string): Promise<ParkedMessage[]> {
    const limit = Math.min(wanted, PARKED_LIST_MAX);
    const window = topic ? TOPIC_SCAN : limit;
    const entries = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', window);
    return entries
      .map(([id, flat]) => toParked(id, flat))
      .filter((p) => !topic || p.topic === topic)
      .slice(0, limit);
  }

  /** The message `jobs list --state parked` lists as `id`; null for any other id. */
  async get(id: string): Promise<ParkedMessage | null> {
    // Anything else is no stream entry id, which XRANGE would refuse as an error.
    if (!isParkedId(id)) return null;
    const [entry] = await this.redis.xrange(this.key, id, id);
    return entry ? toParked(entry[0], entry[1]) : null;
  }

  async remove(id: string): Promise<boolean> {
    if (!isParkedId(id)) return false;
    return (await this.redis.xdel(this.key, id)) > 0;
  }
}

function toParked(id: string, flat: string[]): ParkedMessage {
  const f: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return {
    id,
    reason: f.reason as RejectReason,
    detail: f.detail ?? '',
    topic: f.topic || null,
    exchange: f.exchange ?? '',
    routing_key: f.routing_key ?? '',
    message_id: f.message_id || null,
    received_at: f.received_at ?? '',
    size: Number(f.size ?? 0),
    body: f.body ?? '',
  };
}
