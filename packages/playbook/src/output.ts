import { StringDecoder } from 'node:string_decoder';

/** The last lines of a run's output, for its failure reason: enough to see why, small enough for Redis. */
export class OutputTail {
  private readonly lines: string[] = [];

  constructor(
    private readonly maxLines = 50,
    private readonly maxChars = 8 * 1024,
  ) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.shift();
  }

  text(): string {
    const all = this.lines.join('\n');
    return all.length > this.maxChars ? '…' + all.slice(-this.maxChars) : all;
  }
}

/**
 * argparse's refusal of a command line it cannot parse (a misspelt option in
 * `ansible.playbook_cmd`): `usage: <prog> …`, then `<prog>: error: <what>`, exit code 2, the code
 * ansible-playbook also gives for a host that failed. ansible-playbook prints its whole help
 * after that line, so the output's tail never shows it: the line is caught as it goes by. Only
 * the start of a run is looked at, before its first play, so a task's output is never taken for it.
 */
export class UsageErrorWatch {
  private prog: string | null = null;
  private lines = 0;
  private done = false;
  /** argparse's `<prog>: error: …` line, once seen. */
  line: string | null = null;

  push(raw: string): void {
    if (this.done) return;
    // Python 3.14's argparse colours its messages when FORCE_COLOR is set.
    // eslint-disable-next-line no-control-regex -- the escapes that start and end a colour
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
    this.lines += 1;
    if (this.lines > 200 || line.startsWith('PLAY ')) {
      this.done = true;
      return;
    }
    if (this.prog === null) {
      this.prog = /^usage: (\S+)/.exec(line)?.[1] ?? null;
    } else if (line.startsWith(`${this.prog}: error: `)) {
      this.line = line;
      this.done = true;
    }
  }
}

/**
 * One of a run's output streams in lines, split as execa splits them (at `\n`, a `\r` before it
 * dropped; the text after the last one is a line at the end). Each stream has its own: a line of
 * stderr written while a line of stdout is half written comes out whole, and so does the stdout
 * line once its end comes, where splitting the two merged would cut both.
 */
export class StreamLines {
  private readonly decoder = new StringDecoder('utf8');
  /** The start of a line whose end has not come yet. */
  private carry = '';

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    let start = 0;
    // Only the new text is searched: a long line that comes in many chunks is not read again each time.
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      const line = this.carry + text.slice(start, end);
      this.carry = '';
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      start = end + 1;
    }
    if (start < text.length) this.carry += text.slice(start);
  }

  /** The stream ended: what came after its last line break is its last line. */
  end(): void {
    const rest = this.carry + this.decoder.end();
    this.carry = '';
    if (rest !== '') this.onLine(rest);
  }
}

/** How much of a run's output goes into its job log: a chatty playbook must not fill Redis. */
export interface LogLimits {
  maxLines: number;
  maxBytes: number;
}

/**
 * Writes lines to a job's log in order without a Redis round trip per line: lines pushed one
 * after the other (a chunk of output's) go in one write, and lines that arrive while a write is
 * in flight go together in the next one. A log that cannot be written must not fail the run, so
 * errors go to `onError`. Past its limits, one line says so and the rest is dropped (the failure
 * reason still ends with the output's tail).
 */
export class LineSink {
  private pending: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private busy = false;
  private lines = 0;
  private bytes = 0;
  private full = false;

  constructor(
    private readonly write: (text: string) => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
    private readonly limits: LogLimits = { maxLines: Infinity, maxBytes: Infinity },
  ) {}

  /** Counts toward the limits a line that was written to the same log by other means. */
  counted(line: string): void {
    this.lines += 1;
    this.bytes += Buffer.byteLength(line) + 1;
  }

  push(line: string): void {
    if (this.full) return;
    const size = Buffer.byteLength(line) + 1;
    if (this.lines + 1 > this.limits.maxLines || this.bytes + size > this.limits.maxBytes) {
      this.full = true;
      line = `loopabull: log cut at ${this.lines} lines, ${this.bytes} bytes (workers.log_max_lines, workers.log_max_bytes); the failure reason keeps the output's tail`;
    }
    this.lines += 1;
    this.bytes += size;
    this.pending.push(line);
    if (!this.busy) this.writing = this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      // The rest of the chunk this line came in is pushed before this resumes: one write for all.
      await Promise.resolve();
      while (this.pending.length > 0) {
        const batch = this.pending.join('\n');
        this.pending = [];
        await this.write(batch).catch(this.onError);
      }
    } finally {
      this.busy = false;
    }
  }

  /** Resolves when every line pushed so far is written. */
  flush(): Promise<void> {
    return this.writing;
  }
}
