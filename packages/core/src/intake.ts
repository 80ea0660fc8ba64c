/**
 * Limits on what a bus message may carry, checked before it becomes a job. Everything past the
 * looper walks events recursively (BullMQ's JSON.stringify, the vars-file writer, PyYAML in
 * ansible-playbook), so the shape of a message has to be bounded here, where it can still be
 * parked with a reason instead of failing somewhere that retries it.
 */

import { isObject } from './json-object.js';

/** Default for `bus.max_depth`. PyYAML in ansible-playbook 2.14 gives up near 450 levels. */
export const DEFAULT_MAX_DEPTH = 100;

/**
 * Header tables are metadata: fedora-messaging's are flat keys, RabbitMQ's own (`x-death`) four
 * levels deep. These bound what a publisher can make the looper copy into every job.
 */
export const HEADER_LIMITS = { maxDepth: 16, maxBytes: 64 * 1024 } as const;

/**
 * How deeply `value` nests arrays and objects (a scalar is 0, `[]` is 1), counted without
 * recursion so a hostile value cannot overflow the stack here. Stops counting once past `limit`.
 */
export function nestingDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Object.values(item)) stack.push([child, here]);
  }
  return deepest;
}

/**
 * Takes the place of a header table the client library could not decode (the looper's frame
 * guard sets it), with the reason as its value.
 */
export const UNDECODABLE_HEADERS = Symbol.for('loopabull.undecodable-headers');

/** A time as fedora-messaging writes its `sent-at` header: ISO 8601 with a UTC offset, no fraction. */
export function sentAtHeader(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, '+00:00');
}

const hasExactly = (value: object, keys: readonly string[]) => {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
};

/**
 * The JSON value of a header amqplib decoded to one of its typed forms (codec.js, tags `T` and
 * `D`), else undefined. A timestamp (whole seconds, what pika and kombu send for a datetime)
 * becomes the ISO 8601 UTC text fedora-messaging writes `sent-at` as, or null past what a Date
 * holds. A decimal becomes a number: its digits are 32 bits, under the 15 significant digits a
 * double keeps, so the number prints as the exact decimal. The digits are read as signed, as
 * pika, py-amqp and the Java client write and read them (amqplib alone reads them unsigned,
 * which would turn -1.5 into 429496728.1). A table of the same shape cannot be told apart on the
 * wire from what amqplib made of it, so it is read the same way.
 */
export function amqpTypedValue(value: unknown): unknown {
  if (!isObject(value) || !hasExactly(value, ['!', 'value'])) return undefined;
  const { '!': type, value: inner } = value;
  if (type === 'timestamp' && Number.isSafeInteger(inner) && (inner as number) >= 0) {
    const at = new Date((inner as number) * 1000);
    return Number.isNaN(at.getTime()) ? null : sentAtHeader(at);
  }
  if (type === 'decimal' && isObject(inner) && hasExactly(inner, ['places', 'digits'])) {
    const { places, digits } = inner;
    if (!Number.isInteger(places) || !Number.isInteger(digits)) return undefined;
    if ((places as number) < 0 || (places as number) > 255) return undefined;
    if ((digits as number) < 0 || (digits as number) > 0xffffffff) return undefined;
    // Parsing the decimal text rounds once; digits / 10 ** places would round twice.
    return Number(`${(digits as number) | 0}e-${places as number}`);
  }
  return undefined;
}

export type HeadersResult =
  { ok: true; headers: Record<string, unknown> } | { ok: false; detail: string };

class HeaderLimit extends Error {}

/**
 * AMQP header tables as JSON: byte arrays (real Buffers, not tables shaped like one) become
 * UTF-8 text, timestamps and decimals plain values (amqpTypedValue), other values stay as
 * decoded. Refuses tables nested deeper than `maxDepth` or whose keys and values exceed
 * `maxBytes`, counting as it goes so nothing large is copied first.
 */
export function plainHeaders(
  headers: Record<string, unknown> | undefined,
  limits: { maxDepth: number; maxBytes: number } = HEADER_LIMITS,
): HeadersResult {
  if (headers === undefined || headers === null) return { ok: true, headers: {} };
  const undecodable = (headers as Record<symbol, unknown>)[UNDECODABLE_HEADERS];
  if (typeof undecodable === 'string') return { ok: false, detail: undecodable };
  let budget = limits.maxBytes;
  const spend = (n: number) => {
    budget -= n;
    if (budget < 0) throw new HeaderLimit(`header table is larger than ${limits.maxBytes} bytes`);
  };
  const plain = (value: unknown, depth: number): unknown => {
    if (Buffer.isBuffer(value)) {
      spend(value.length);
      return value.toString('utf8');
    }
    if (typeof value === 'string') {
      spend(Buffer.byteLength(value));
      return value;
    }
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (value === null || typeof value !== 'object') {
      return typeof value === 'boolean' ? value : null;
    }
    // The header table itself is never a typed value: on the wire `!` and `value` there are two
    // headers, which amqplib decodes to the same shape as a timestamp field.
    const typed = depth > 0 ? amqpTypedValue(value) : undefined;
    // The text a timestamp becomes counts against the budget as any string does.
    if (typed !== undefined) return typeof typed === 'string' ? plain(typed, depth) : typed;
    if (depth >= limits.maxDepth)
      throw new HeaderLimit(`header table is nested deeper than ${limits.maxDepth} levels`);
    if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1));
    // fromEntries defines own properties, so a key such as `__proto__` stays a key.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        spend(Buffer.byteLength(key));
        return [key, plain(item, depth + 1)];
      }),
    );
  };
  try {
    return { ok: true, headers: plain(headers, 0) as Record<string, unknown> };
  } catch (err) {
    if (err instanceof HeaderLimit) return { ok: false, detail: err.message };
    throw err;
  }
}
