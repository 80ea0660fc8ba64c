import { describe, expect, it } from '@jest/globals';
import { LineSink, OutputTail } from './output.js';

/** A sink whose writes are kept, as a job log would keep them. */
function sink(limits?: { maxLines: number; maxBytes: number }) {
  const written: string[] = [];
  const s = new LineSink(
    async (text) => {
      written.push(...text.split('\n'));
    },
    (err) => {
      throw err;
    },
    limits,
  );
  return { s, written };
}

describe('LineSink', () => {
  it('writes every line in order', async () => {
    const { s, written } = sink();
    for (let i = 0; i < 100; i++) s.push(`line ${i}`);
    await s.flush();
    expect(written).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i}`));
  });

  it('stops at the line limit with one line saying so', async () => {
    const { s, written } = sink({ maxLines: 3, maxBytes: 1 << 20 });
    for (let i = 0; i < 10; i++) s.push(`line ${i}`);
    await s.flush();
    expect(written.slice(0, 3)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(written).toHaveLength(4);
    expect(written[3]).toMatch(/^loopabull: log cut at 3 lines, 21 bytes \(workers\.log_max_lines/);
  });

  it('stops at the byte limit, counting UTF-8 bytes', async () => {
    const { s, written } = sink({ maxLines: 1000, maxBytes: 10 });
    s.push('ééé'); // 6 bytes and a newline
    s.push('abc'); // 4 more: over 10
    s.push('never');
    await s.flush();
    expect(written).toEqual([
      'ééé',
      expect.stringMatching(/^loopabull: log cut at 1 lines, 7 bytes/),
    ]);
  });
});

describe('OutputTail', () => {
  it('keeps the last lines, and the last characters of them', () => {
    const tail = new OutputTail(2, 5);
    for (const l of ['one', 'two', 'three']) tail.push(l);
    expect(tail.text()).toBe('…three');
  });
});
