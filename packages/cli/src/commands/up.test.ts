/**
 * `up --workers` is checked before anything starts: each worker is a process of its own, so a
 * mistyped count would start thousands of them.
 */
import { describe, expect, it } from '@jest/globals';
import { CommanderError } from 'commander';
import { parsedOptions } from '@test/support';
import { cliWith } from '../options.js';
import { MAX_UP_WORKERS, upCommand } from './up.js';

/** Parses `up ARGS`; resolves to the worker count the action would start, without starting any. */
const parsedWorkers = async (...args: string[]): Promise<number> =>
  (await parsedOptions<{ workers: number }>(upCommand(cliWith([])), ...args)).workers;

describe('loopabull up --workers', () => {
  it('starts 5 by default, and up to its limit', async () => {
    await expect(parsedWorkers()).resolves.toBe(5);
    await expect(parsedWorkers('--workers', String(MAX_UP_WORKERS))).resolves.toBe(32);
  });

  it.each([['33'], ['100000'], ['0'], ['2.5']])(
    'refuses %s with a usage error naming the limit and why',
    async (count) => {
      const err = await parsedWorkers('--workers', count).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommanderError);
      expect((err as CommanderError).code).toBe('commander.invalidArgument');
      expect((err as CommanderError).message).toContain(
        'expected a whole number from 1 to 32: each worker is a node process of about 100 MB; for more jobs at once, raise workers.concurrency',
      );
    },
  );
});
