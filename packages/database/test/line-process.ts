import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The built package, as a process of its own loads it (the tests that use it need a build). */
export const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/**
 * A Node process of its own running the ES module `script`, spoken to a line at a time: lines
 * sent to its stdin, lines read from its stdout. Several of them held at a line and then sent the
 * next together make the races of real deployments, such as five workers starting at once.
 */
export function lineProcess(script: string) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const closed = once(child, 'close') as Promise<[number | null]>;
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    /** The next line it prints; rejects with its stderr when it ends instead. */
    next: async (): Promise<string> => {
      const line = await lines.next();
      if (!line.done) return line.value as string;
      const [code] = await closed;
      throw new Error(`the process exited with ${String(code)} before printing a line: ${err}`);
    },
    send: (line: string) => void child.stdin.write(`${line}\n`),
    /** Ends its stdin and waits for it to exit; rejects unless it exits with 0. */
    end: async (): Promise<void> => {
      child.stdin.end();
      const [code] = await closed;
      if (code !== 0) throw new Error(`the process exited with ${String(code)}: ${err}`);
    },
  };
}
