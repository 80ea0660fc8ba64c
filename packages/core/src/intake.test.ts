import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { HEADER_LIMITS, amqpTypedValue, nestingDepth, plainHeaders } from './intake.js';

const require = createRequire(import.meta.url);
/** amqplib's own field-table codec: what the looper's headers are decoded by. */
const codec = require(join(dirname(require.resolve('amqplib')), 'lib', 'codec.js')) as {
  encodeTable(buffer: Buffer, value: unknown, offset: number): number;
  decodeFields(slice: Buffer): Record<string, unknown>;
};
/** A header table as amqplib gives it to the looper after `headers` went over the wire. */
function overTheWire(headers: Record<string, unknown>): Record<string, unknown> {
  const buffer = Buffer.alloc(64 * 1024);
  const size = codec.encodeTable(buffer, headers, 0);
  return codec.decodeFields(buffer.subarray(4, size));
}

/** `[[[…1…]]]` or `{"a":{"a":…}}`, built without recursion. */
function nested(depth: number, kind: 'array' | 'object' = 'array'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

describe('nestingDepth', () => {
  it.each([
    [1, 0],
    ['x', 0],
    [null, 0],
    [[], 1],
    [{}, 1],
    [[1, [2, [3]], {}], 3],
    [{ a: [{ b: {} }], c: 1 }, 4],
  ])('%j is %d deep', (value, depth) => expect(nestingDepth(value)).toBe(depth));

  it('counts 100,000 levels without overflowing the stack', () => {
    expect(nestingDepth(nested(100_000))).toBe(100_000);
    expect(nestingDepth(nested(100_000, 'object'))).toBe(100_000);
  });

  it('stops once past the limit', () => {
    expect(nestingDepth(nested(5_000), 100)).toBe(101);
    expect(nestingDepth(nested(100), 100)).toBe(100);
  });

  it('agrees with a recursive count on any JSON value', () => {
    const recursive = (v: unknown): number =>
      v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(recursive)) : 0;
    fc.assert(fc.property(fc.jsonValue(), (v) => nestingDepth(v) === recursive(v)));
  });
});

describe('plainHeaders', () => {
  it('turns byte arrays into text and keeps the rest as decoded', () => {
    const headers = {
      'sent-at': '2024-01-01T00:00:00+00:00',
      bytes: Buffer.from('héllo'),
      n: 3,
      flag: true,
      none: null,
      list: [Buffer.from('a'), 1, { deep: [2] }],
    };
    expect(plainHeaders(headers)).toEqual({
      ok: true,
      headers: {
        'sent-at': '2024-01-01T00:00:00+00:00',
        bytes: 'héllo',
        n: 3,
        flag: true,
        none: null,
        list: ['a', 1, { deep: [2] }],
      },
    });
  });

  it("makes amqplib's typed timestamps and decimals plain values, in nested tables and arrays too", () => {
    const headers = overTheWire({
      'sent-at': { '!': 'timestamp', value: 1_700_000_000 },
      price: { '!': 'decimal', value: { places: 2, digits: 12_345 } },
      nested: {
        at: [
          { '!': 'timestamp', value: 0 },
          { '!': 'decimal', value: { places: 0, digits: 7 } },
        ],
      },
    });
    expect(headers['sent-at']).toEqual({ '!': 'timestamp', value: 1_700_000_000 });
    expect(plainHeaders(headers)).toEqual({
      ok: true,
      headers: {
        'sent-at': '2023-11-14T22:13:20+00:00',
        price: 123.45,
        nested: { at: ['1970-01-01T00:00:00+00:00', 7] },
      },
    });
  });

  it('reads a decimal as Python and Java clients write it, signed', () => {
    // pika and py-amqp pack Decimal('-1.5') as scale 1, int32 -15; amqplib reads the int32 unsigned.
    const wire = Buffer.from([1, 0x44, 0x44, 1, 0xff, 0xff, 0xff, 0xf1]); // key "D", tag D
    const headers = codec.decodeFields(wire);
    expect(headers).toEqual({ D: { '!': 'decimal', value: { places: 1, digits: 4_294_967_281 } } });
    expect(plainHeaders(headers)).toEqual({ ok: true, headers: { D: -1.5 } });
  });

  it.each([
    [{ '!': 'decimal', value: { places: 255, digits: 0x7fff_ffff } }, 2.147483647e-246],
    [{ '!': 'decimal', value: { places: 3, digits: 1 } }, 0.001],
    [{ '!': 'decimal', value: { places: 0, digits: 0 } }, 0],
    [{ '!': 'timestamp', value: 2 ** 53 - 1 }, null], // past what a Date holds
  ])('%j is %j', (typed, plain) => expect(amqpTypedValue(typed)).toBe(plain));

  it('keeps headers named ! and value as two headers: the table itself is never a typed value', () => {
    for (const sent of [
      { '!': 'timestamp', value: 1_700_000_000 },
      { '!': 'decimal', value: { places: 1, digits: 15 } },
    ]) {
      const headers = overTheWire(sent);
      expect(plainHeaders(headers)).toEqual({ ok: true, headers: sent });
    }
  });

  it('keeps tables that only look like a typed value as tables', () => {
    for (const table of [
      { '!': 'timestamp' },
      { '!': 'timestamp', value: 'x' },
      { '!': 'timestamp', value: -1 },
      { '!': 'timestamp', value: 1, more: 1 },
      { '!': 'date', value: 1 },
      { '!': 'decimal', value: { places: 1 } },
      { '!': 'decimal', value: { places: 256, digits: 1 } },
      { '!': 'decimal', value: { places: 1, digits: 1.5 } },
    ]) {
      expect(amqpTypedValue(table)).toBeUndefined();
      expect(plainHeaders({ table })).toEqual({ ok: true, headers: { table } });
    }
  });

  it('counts the text of a timestamp against the size limit', () => {
    // 100 times the 25 bytes of 1970-01-01T00:00:00+00:00, and the key.
    const many = Array.from({ length: 100 }, () => ({ '!': 'timestamp', value: 0 }));
    expect(plainHeaders({ many }, { maxDepth: 16, maxBytes: 2_504 }).ok).toBe(true);
    expect(plainHeaders({ many }, { maxDepth: 16, maxBytes: 2_503 }).ok).toBe(false);
  });

  it('leaves tables shaped like a serialized Buffer alone: only real Buffers are bytes', () => {
    // Both reached Buffer.from(data) before: the first threw a TypeError (a message the looper
    // retried forever), the second allocated 50 MB from 49 bytes on the wire.
    const noData = { type: 'Buffer' };
    const huge = { type: 'Buffer', data: { length: 50_000_000 } };
    expect(plainHeaders({ noData, huge })).toEqual({ ok: true, headers: { noData, huge } });
  });

  it('keeps a key named __proto__ as a key', () => {
    const headers = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const r = plainHeaders(headers);
    expect(r.ok && Object.keys(r.headers)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses tables nested deeper than the limit', () => {
    const limit = HEADER_LIMITS.maxDepth;
    expect(plainHeaders({ x: nested(limit - 1, 'object') }).ok).toBe(true);
    expect(plainHeaders({ x: nested(limit, 'object') })).toEqual({
      ok: false,
      detail: `header table is nested deeper than ${limit} levels`,
    });
    expect(plainHeaders({ x: nested(5_000) }).ok).toBe(false);
  });

  it('refuses tables larger than the limit, counting keys, text and bytes', () => {
    const max = HEADER_LIMITS.maxBytes;
    expect(plainHeaders({ x: 'y'.repeat(max - 1) }).ok).toBe(true);
    expect(plainHeaders({ x: 'y'.repeat(max) })).toEqual({
      ok: false,
      detail: `header table is larger than ${max} bytes`,
    });
    expect(plainHeaders({ ['k'.repeat(max)]: 1 }).ok).toBe(true);
    expect(plainHeaders({ ['k'.repeat(max + 1)]: 1 }).ok).toBe(false);
    expect(plainHeaders({ b: Buffer.alloc(max + 1) }).ok).toBe(false);
    expect(plainHeaders({ x: 'é'.repeat(max / 2) }).ok).toBe(false);
    const many = Object.fromEntries(Array.from({ length: max }, (_, i) => [`k${i}`, 1]));
    expect(plainHeaders(many).ok).toBe(false);
  });

  const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

  it('gives JSON back for any table within the limits', () => {
    fc.assert(
      // Values as JSON carries them: fast-check also makes -0, which no JSON text holds.
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 10 }).map(asJson)),
        (headers) => {
          const r = plainHeaders(headers, { maxDepth: 16, maxBytes: Infinity });
          expect(r).toEqual({ ok: true, headers: JSON.parse(JSON.stringify(headers)) });
        },
      ),
    );
  });
});
