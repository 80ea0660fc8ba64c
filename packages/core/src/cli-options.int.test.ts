import { expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { settleable } from '@test/support';
import { COMMAND_INPUT_MAX_BYTES, readCommandFile } from './cli-options.js';
import { ConfigError } from './errors.js';

/** The built module, as the `loopabull` command loads it (`npm run build` first). */
const BUILT = pathToFileURL(new URL('../dist/cli-options.js', import.meta.url).pathname).href;

/*
 * A process that, as the CLI does once an automation's commands are loaded, has `process.stdin`
 * (which makes a pipe non-blocking), then reads `-` while the writer is still writing: the
 * `dbdump | dbload -` case, made deterministic by writing only after the reader says it reads.
 */
const READER = `
import { readCommandFile } from ${JSON.stringify(BUILT)};
void process.stdin;
process.stdout.write('reading\\n');
try {
  process.stdout.write(JSON.stringify({ text: readCommandFile('-') }) + '\\n');
} catch (err) {
  process.stdout.write(JSON.stringify({ error: err.message }) + '\\n');
}
process.exit(0);
`;

it('readCommandFile("-") waits for a writer that is slower than the reader, on a non-blocking pipe', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', READER], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const started = settleable();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    if (out.includes('reading\n')) started.resolve();
  });
  const exited = once(child, 'exit');
  await started.promise;
  child.stdin.write('{"first": ');
  await new Promise((resolve) => setTimeout(resolve, 200));
  child.stdin.end('"half"}\n');
  await exited;
  const result = JSON.parse(out.split('\n')[1]!) as { text?: string; error?: string };
  expect(result).toEqual({ text: '{"first": "half"}\n' });
});

it('readCommandFile("-") that cannot be read says standard input, as the operator meant it, not file -', async () => {
  // A directory as standard input: it opens, and every read of it fails (EISDIR).
  const directory = openSync('/', 'r');
  try {
    const child = spawn(process.execPath, ['--input-type=module', '-e', READER], {
      stdio: [directory, 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await once(child, 'exit');
    expect(JSON.parse(out.split('\n')[1]!)).toEqual({
      error: expect.stringMatching(/^standard input cannot be read: EISDIR/),
    });
  } finally {
    closeSync(directory);
  }
});

it('readCommandFile reads a file whole up to its limit and refuses one without end, naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopabull-read-'));
  try {
    const file = join(dir, 'exact.json');
    writeFileSync(file, 'x'.repeat(70_000));
    expect(readCommandFile(file, undefined, { max: 70_000 })).toHaveLength(70_000);
    expect(() => readCommandFile(file, '--file exact.json', { max: 69_999 })).toThrow(
      new ConfigError('--file exact.json is over 69999 bytes, the most a command reads: split it'),
    );
    expect(() => readCommandFile('/dev/zero', undefined, { max: 1024, why: 'why not' })).toThrow(
      '/dev/zero is over 1 KiB, why not',
    );
    expect(COMMAND_INPUT_MAX_BYTES).toBe(256 * 1024 * 1024);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
