import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from './errors.js';

/**
 * Every command takes `-c, --config`; the lookup order is in `--help`. Here, not in the CLI, so an
 * automation's commands say the same without importing the CLI.
 */
export function configOption(cmd: Command): Command {
  return cmd.option(
    '-c, --config <path>',
    'config file (default: $LOOPABULL_CONFIG, ./loopabull.yml, /etc/loopabull/loopabull.yml, else built-in defaults)',
  );
}

/** Why a command exits with each code: its reasons, one a line, by exit code. */
type ExitReasons = Readonly<Record<number, readonly string[]>>;

/**
 * The end of a command's `--help`, for `addHelpText('after', ...)`: what each exit code means
 * for this command (the program's --help gives only the general 0 / 1 / 2), then command lines
 * to copy. One wording everywhere, so a script's author finds them the same way under any command.
 * `exitCodes` is a sentence, or the reasons for each code, listed one a line under it.
 */
export function exitCodesAndExamples(
  exitCodes: string | ExitReasons,
  examples: readonly string[],
): string {
  const heading = examples.length === 1 ? 'Example' : 'Examples';
  const codes =
    typeof exitCodes === 'string' ? ` ${exitCodes}` : `\n${indented(reasonsByCode(exitCodes))}`;
  return `\nExit codes:${codes}\n\n${heading}:\n${indented(examples)}`;
}

/**
 * `0  done`, each code's further reasons below its first, lined up once indented; in the order of
 * the codes, as an object's integer keys come.
 */
const reasonsByCode = (codes: ExitReasons): string[] =>
  Object.entries(codes).map(
    ([code, reasons]) => `${code}  ${reasons.join(`\n${' '.repeat(code.length + 4)}`)}`,
  );

const indented = (lines: readonly string[]) => lines.map((l) => `  ${l}`).join('\n');

/** `--json` output for scripts; `write` is a parameter so tests can take the text. */
export function printJson(write: (text: string) => unknown, value: unknown): void {
  write(JSON.stringify(value, null, 2) + '\n');
}

/** How long to wait for a writer that has not written yet (EAGAIN) before reading again. */
const STDIN_WAIT_MS = 10;

/**
 * The most a command reads from a file or standard input: far above any dump, replay file or
 * machine list, and an end to `--file /dev/zero` (or a pipe that never stops), which grew the
 * process until the kernel killed it.
 */
export const COMMAND_INPUT_MAX_BYTES = 256 * 1024 * 1024;

/** `max` bytes as an operator reads them: `1048576 bytes` is `1 MiB`. */
function byteSize(max: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const)
    if (max >= size && max % size === 0) return `${max / size} ${unit}`;
  return `${max} bytes`;
}

/** The usage error for input over `max` bytes, named as the operator gave it, saying `why`. */
export function inputTooLarge(
  named: string,
  max = COMMAND_INPUT_MAX_BYTES,
  why = 'the most a command reads: split it',
): ConfigError {
  return new ConfigError(`${named} is over ${byteSize(max)}, ${why}`);
}

/**
 * All of a file descriptor, read synchronously, up to `max` bytes (null beyond). Standard input
 * needs this rather than `readFileSync(0)`: importing `node:process` from an ES module (execa
 * does, when the CLI loads the automations' commands) creates `process.stdin`, which makes a pipe
 * non-blocking, and a read of a pipe whose writer is still busy (`loopabull slavealloc dbdump |
 * loopabull slavealloc dbload -`) then fails with EAGAIN instead of waiting. Here that wait
 * happens, until end of file.
 */
function readFdSync(fd: number, max: number): Buffer | null {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(65536);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, STDIN_WAIT_MS);
      continue;
    }
    if (n === 0) return Buffer.concat(chunks);
    total += n;
    if (total > max) return null;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
}

/** A file argument of `-` is standard input, as Unix tools take it. */
const STDIN = '-';

/**
 * A file named on the command line as messages name it: `-` is "standard input", which the
 * operator typed to mean it (`--file -`), rather than a file called `-`; another file is named
 * with the option that named it, if any (`--file body.json`).
 */
export const commandFileName = (path: string, option?: string): string =>
  path === STDIN ? 'standard input' : option ? `${option} ${path}` : path;

/**
 * The text of a file named on the command line, `-` being standard input. One that cannot be read
 * is a usage error (exit 2) that says which argument named it, like a file that does not parse,
 * rather than Node's bare `ENOENT` with exit 1; so is one over `max` bytes, saying `why` there is
 * a limit.
 */
export function readCommandFile(
  path: string,
  named = commandFileName(path),
  { max, why }: { max?: number; why?: string } = {},
): string {
  let bytes: Buffer | null;
  try {
    const cap = max ?? COMMAND_INPUT_MAX_BYTES;
    if (path === STDIN) bytes = readFdSync(0, cap);
    else {
      const fd = openSync(path, 'r');
      try {
        bytes = readFdSync(fd, cap);
      } finally {
        closeSync(fd);
      }
    }
  } catch (err) {
    throw new ConfigError(`${named} cannot be read: ${(err as Error).message}`);
  }
  if (bytes === null) throw inputTooLarge(named, max, why);
  return bytes.toString('utf8');
}

/** Writes a file named on the command line; one that cannot be written is a usage error (exit 2). */
export function writeCommandFile(path: string, text: string, named = path): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new ConfigError(`${named} cannot be written: ${(err as Error).message}`);
  }
}
