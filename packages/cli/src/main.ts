#!/usr/bin/env node
import { CommanderError } from 'commander';
// The error classes alone: the engine (`@loopabull/core`) loads only with a command that needs it.
import { ConfigError } from '@loopabull/core/errors';
import { legacyArgv } from './commands/legacy-argv.js';
import { configAfterCommand, configWithoutCommand, createProgram } from './program.js';

/** Exit codes scripts rely on (`loopabull --help`): 0 ok, 1 runtime failure, 2 usage or configuration error. */
function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof ConfigError) return 2;
  return 1;
}

// A reader that stops early (`loopabull jobs list | head`) closes the pipe: the output is no longer
// wanted, which is not an error to print a stack trace for.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  const noCommand = configWithoutCommand(process.argv);
  if (noCommand) throw new ConfigError(noCommand);
  const argv = configAfterCommand(process.argv);
  const program = await createProgram({ argv });
  const commands = program.commands.map((c) => c.name());
  await program.parseAsync(legacyArgv(argv, commands));
} catch (err) {
  const code = exitCodeFor(err);
  // Commander has already printed its own usage errors and help.
  if (!(err instanceof CommanderError))
    process.stderr.write(`loopabull: ${(err as Error).message}\n`);
  process.exit(code);
}
