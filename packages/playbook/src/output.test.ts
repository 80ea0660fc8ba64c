import { describe, expect, it } from '@jest/globals';
import { LineSink, OutputTail, StreamLines, UsageErrorWatch } from './output.js';

/** A sink whose writes are kept, as a job log would keep them, and counted. */
function sink(limits?: { maxLines: number; maxBytes: number }) {
  const written: string[] = [];
  const writes = { count: 0 };
  const s = new LineSink(
    async (text) => {
      writes.count += 1;
      written.push(...text.split('\n'));
    },
    (err) => {
      throw err;
    },
    limits,
  );
  return { s, written, writes };
}

describe('LineSink', () => {
  it('writes every line in order', async () => {
    const { s, written } = sink();
    for (let i = 0; i < 100; i++) s.push(`line ${i}`);
    await s.flush();
    expect(written).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i}`));
  });

  it('writes the lines pushed one after the other (a chunk of output) in one write', async () => {
    const { s, written, writes } = sink();
    for (const line of ['one', 'two', 'three']) s.push(line);
    await s.flush();
    expect(written).toEqual(['one', 'two', 'three']);
    expect(writes.count).toBe(1);
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

describe('StreamLines', () => {
  /** The lines of `chunks` written in turn, then the stream's end. */
  const linesOf = (...chunks: Buffer[]) => {
    const lines: string[] = [];
    const stream = new StreamLines((line) => lines.push(line));
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
    return lines;
  };

  it('splits at \\n, dropping a \\r before it, and ends with what came after the last one', () => {
    expect(linesOf(Buffer.from('a\r\n\nb\nlast'))).toEqual(['a', '', 'b', 'last']);
    expect(linesOf(Buffer.from('a\n'))).toEqual(['a']);
    expect(linesOf()).toEqual([]);
  });

  it('joins a line that came in pieces, a UTF-8 character cut between chunks included', () => {
    const text = Buffer.from('hé 😀\r\nnext');
    const bytes = [...text].map((b) => Buffer.from([b]));
    expect(linesOf(...bytes)).toEqual(['hé 😀', 'next']);
  });
});

describe('OutputTail', () => {
  it('keeps the last lines, and the last characters of them', () => {
    const tail = new OutputTail(2, 5);
    for (const l of ['one', 'two', 'three']) tail.push(l);
    expect(tail.text()).toBe('…three');
  });
});

describe('UsageErrorWatch', () => {
  const watch = (lines: string[]) => {
    const w = new UsageErrorWatch();
    for (const line of lines) w.push(line);
    return w.line;
  };

  it('catches argparse error line after its usage line, in colour too', () => {
    const error = 'ansible-playbook: error: unrecognized arguments: --bogus';
    expect(watch(['[WARNING]: w', 'usage: ansible-playbook [-h]', '   [-v]', error, '  -h'])).toBe(
      error,
    );
    expect(
      watch([
        '\x1b[1;34musage: \x1b[0m\x1b[1;35mansible-playbook\x1b[0m [-h]',
        '\x1b[1;35mansible-playbook\x1b[0m: \x1b[1;31merror:\x1b[0m unrecognized arguments: --bogus',
      ]),
    ).toBe(error);
  });

  it('takes nothing from a play, nor an error line without a usage line before it', () => {
    expect(watch(['PLAY [x]', 'usage: x', 'x: error: y'])).toBeNull();
    expect(watch(['ansible-playbook: error: y'])).toBeNull();
    expect(watch(['usage: tool', 'other: error: y'])).toBeNull();
  });
});
