/**
 * `worker --id` is checked before the worker starts: an id Redis cannot take as a client name
 * would leave the worker out of the dashboard's Workers table and doctor's count.
 */
import { describe, expect, it } from '@jest/globals';
import { CommanderError } from 'commander';
import { parsedOptions } from '@test/support';
import { cliWith } from '../options.js';
import { workerCommand } from './worker.js';

/** Parses `worker ARGS`; resolves to the id the action would start with, without starting it. */
const parsedId = async (...args: string[]): Promise<string> =>
  (await parsedOptions<{ id: string }>(workerCommand(cliWith([])), ...args)).id;

describe('loopabull worker --id', () => {
  it('takes a name such as systemd passes for loopabull@N', async () => {
    await expect(parsedId('--id', '3')).resolves.toBe('3');
    await expect(parsedId('--id', 'host-1.example:w_2')).resolves.toBe('host-1.example:w_2');
    await expect(parsedId()).resolves.toBe('1');
  });

  it.each([[''], ['a b'], ['line\nbreak'], ['x'.repeat(129)]])(
    'refuses %j with a usage error',
    async (id) => {
      const err = await parsedId('--id', id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommanderError);
      expect((err as CommanderError).code).toBe('commander.invalidArgument');
      expect((err as CommanderError).message).toMatch(/printable ASCII characters without spaces/);
    },
  );
});
