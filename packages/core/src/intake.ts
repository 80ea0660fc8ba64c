/**
 * Limits on what a bus message may carry, checked before it becomes a job. Everything past the
 * looper walks events recursively (BullMQ's JSON.stringify, the vars-file writer, PyYAML in
 * ansible-playbook), so the shape of a message has to be bounded here, where it can still be
 * parked with a reason instead of failing somewhere that retries it.
 */

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

export type HeadersResult =
  { ok: true; headers: Record<string, unknown> } | { ok: false; detail: string };

class HeaderLimit extends Error {}

/**
 * AMQP header tables as JSON: byte arrays (real Buffers, not tables shaped like one) become
 * UTF-8 text, other values stay as decoded. Refuses tables nested deeper than `maxDepth` or
 * whose keys and values exceed `maxBytes`, counting as it goes so nothing large is copied first.
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
