import { readFileSync, writeFileSync } from 'node:fs';
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

/** `--json` output for scripts; `write` is a parameter so tests can take the text. */
export function printJson(write: (text: string) => unknown, value: unknown): void {
  write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * The text of a file named on the command line, `-` being standard input. One that cannot be read
 * is a usage error (exit 2) that says which argument named it, like a file that does not parse,
 * rather than Node's bare `ENOENT` with exit 1.
 */
export function readCommandFile(path: string, named = path): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${named} cannot be read: ${(err as Error).message}`);
  }
}

/** Writes a file named on the command line; one that cannot be written is a usage error (exit 2). */
export function writeCommandFile(path: string, text: string, named = path): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new ConfigError(`${named} cannot be written: ${(err as Error).message}`);
  }
}
