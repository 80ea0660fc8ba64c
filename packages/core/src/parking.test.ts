import { describe, expect, it } from '@jest/globals';
import { parkedBody, parkedBodySize } from './parking.js';

/** docs/configuration.md: parked messages are kept "each cut at 64 KiB". */
const PARKED_BODY_BYTES = 64 * 1024;

describe('parkedBody', () => {
  it('keeps a small body whole', () => {
    expect(parkedBody(Buffer.from('{"a":"é"}'))).toBe('{"a":"é"}');
  });

  it('cuts a large body at the byte limit', () => {
    const body = parkedBody(Buffer.alloc(PARKED_BODY_BYTES * 2, 'x'));
    expect(body.length).toBe(PARKED_BODY_BYTES);
    expect(body.replaceAll('x', '')).toBe('');
  });

  it('stays within the byte limit when invalid bytes each decode to three-byte U+FFFD', () => {
    const body = parkedBody(Buffer.alloc(PARKED_BODY_BYTES, 0xff));
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(PARKED_BODY_BYTES);
    expect(body.length).toBe(Math.floor(PARKED_BODY_BYTES / 3));
    expect(body.replaceAll('\ufffd', '')).toBe('');
  });

  it('cuts at a character, never inside one', () => {
    // 'x' then four-byte characters: the limit falls inside one of them.
    const body = parkedBody(Buffer.from('x' + '😀'.repeat(PARKED_BODY_BYTES / 4)));
    expect(Buffer.byteLength(body)).toBe(PARKED_BODY_BYTES - 3);
    expect(body.startsWith('x😀')).toBe(true);
    expect(body.replaceAll('😀', '')).toBe('x');
  });
});

describe('parkedBodySize', () => {
  const shown = (content: Buffer) =>
    parkedBodySize({ body: parkedBody(content), size: content.length });
  const cut = `, the first ${PARKED_BODY_BYTES} kept`;

  it('says the body was cut when its text is shorter than the message', () => {
    expect(shown(Buffer.from('{"a":"é"}'))).toBe('10 bytes');
    expect(shown(Buffer.alloc(PARKED_BODY_BYTES + 1, 'x'))).toBe(
      `${PARKED_BODY_BYTES + 1} bytes${cut}`,
    );
  });

  it('and when a body that is not UTF-8 filled the cap, though the message was smaller', () => {
    expect(shown(Buffer.alloc(30_000, 0xff))).toBe(`30000 bytes${cut}`);
    expect(shown(Buffer.alloc(100, 0xff))).toBe('100 bytes');
  });
});
