import { describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';
import type { CommandEnv } from '@loopabull/core';
import { takesApi } from './cli-help.js';
import { slaveallocCommand } from './cli.js';

/** Parsing only: an action that ran would load it. */
const env: CommandEnv = {
  loadConfig: () => {
    throw new Error('an example ran its action');
  },
};

/** What `loopabull slavealloc ARGS --help` prints. */
function helpOf(...args: string[]): string {
  let text = '';
  const group = slaveallocCommand(env);
  for (const c of [group, ...group.commands])
    c.exitOverride().configureOutput({ writeOut: (t) => void (text += t) });
  expect(() => group.parse(['node', 'slavealloc', ...args, '--help'])).toThrow('(outputHelp)');
  return text;
}

/** The arguments of a shell command line, with '…' quoting as the examples use it. */
const words = (line: string) =>
  [...line.matchAll(/'([^']*)'|(\S+)/g)].map(([, quoted, word]) => quoted ?? word!);

/** Stops a parse once Commander would run the action: the arguments were accepted. */
class Parsed extends Error {}

/** Parses `loopabull slavealloc ARGS` without running it; rejects with Commander's usage error. */
async function parse(args: string[]): Promise<void> {
  const group = slaveallocCommand(env);
  for (const c of [group, ...group.commands])
    c.exitOverride().configureOutput({ writeErr: () => undefined });
  group.hook('preAction', () => {
    throw new Parsed();
  });
  await group.parseAsync(['node', 'slavealloc', ...args]).catch((err: unknown) => {
    if (!(err instanceof Parsed)) throw err;
  });
}

const names = (commands: readonly Command[]) => commands.map((c) => c.name());

describe('loopabull slavealloc --help', () => {
  const subcommands = slaveallocCommand(env).commands;
  const admin = names(subcommands.filter(takesApi));

  it('names the commands that take -A: the admin commands, not the db* ones', () => {
    expect(admin).toEqual(['gettac', 'lock', 'disable', 'enable', 'notes']);
    expect(helpOf().replace(/\s+/g, ' ')).toContain(
      '-A, --api <url> a slavealloc API instead of the database, for gettac, lock, disable, enable, notes (the db* commands work on a database only)',
    );
    for (const name of names(subcommands))
      expect([name, helpOf(name).includes('-A, --api')]).toEqual([name, admin.includes(name)]);
  });

  it.each(names(subcommands))(
    '%s: ends with its exit codes and examples that parse',
    async (name) => {
      const help = helpOf(name);
      const end = help.slice(help.indexOf('\nExit codes:\n'));
      expect(end).toMatch(
        /^\nExit codes:\n {2}0 {2}.+\n {2}1 {2}[^]+\n {2}2 {2}a usage or configuration error, such as\n/,
      );
      // What -A is to it: refused by the db* commands, a URL for the others.
      expect(end).toContain(
        admin.includes(name)
          ? '-A that is not a URL or has a query, or -A with -D'
          : '-A: the db* commands work on a database only',
      );
      const examples = end.slice(end.indexOf('\nExamples:\n')).trim().split('\n').slice(1);
      expect(examples.length).toBeGreaterThan(0);
      for (const line of examples) {
        // Each command of a pipe, up to a redirection: `loopabull slavealloc ARGS`, one of
        // them this command.
        const commands = line.split(' | ').map((c) => words(c.split(/ [<>] /)[0]!));
        for (const [loopabull, group, ...args] of commands) {
          expect([line, loopabull, group]).toEqual([line, 'loopabull', 'slavealloc']);
          await parse(args);
        }
        expect([line, commands.some((c) => c.includes(name))]).toEqual([line, true]);
      }
    },
  );
});
