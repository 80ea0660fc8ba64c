import type { Command } from 'commander';
import { exitCodesAndExamples } from '@loopabull/core/cli';

/** The end of one subcommand's --help: what its exit codes mean for it, and examples. */
interface SubcommandHelp {
  /** What exit 0 means, when more than "done". */
  ok?: string;
  /** Why it exits 1, then 2, besides what every command of its kind says (`KIND`). */
  fails: readonly string[];
  usage: readonly string[];
  /** Arguments after `loopabull slavealloc`. */
  examples: readonly string[];
}

const API = 'http://slavealloc.example.com:8080/api';

/** Each subcommand's, by name; `subcommandHelp` checks that every subcommand has one. */
const HELP: Readonly<Record<string, SubcommandHelp>> = {
  dbinit: {
    fails: ['the database holding data, and no --force'],
    usage: ['a dump file that cannot be read, or is not a dump (a row the API would refuse)'],
    examples: ['dbinit -D sqlite:///slavealloc.db', 'dbinit --force dump.json'],
  },
  dbdump: {
    fails: [],
    usage: ['a file that cannot be written'],
    examples: [
      'dbdump > dump.json',
      'dbdump -D mysql://root@db.example.com/slavealloc | loopabull slavealloc dbload -D sqlite:///copy.db -',
    ],
  },
  dbload: {
    fails: [
      'the database holding data, and no --force',
      'the database refusing a row (the load is rolled back: nothing changes)',
    ],
    usage: [
      'a dump file that cannot be read, or is not a dump (a row the API would refuse; nothing changes)',
    ],
    examples: [
      'dbload dump.json',
      'dbdump -D sqlite:///old.db | loopabull slavealloc dbload --force -',
    ],
  },
  dbimport: {
    fails: [],
    usage: [
      'no file given, or --master-data with --master-json',
      'a file that cannot be read',
      'a line the import refuses, named by file and line (nothing is imported)',
    ],
    examples: [
      'dbimport --slave-data slaves.csv --master-data masters.csv --password-data passwords.csv --enable',
      'dbimport --master-json production-masters.json',
    ],
  },
  gettac: {
    fails: ['a slave with no tac (unknown, or no enabled master in its pool)'],
    usage: [],
    examples: [
      'gettac linux-ix-slave01',
      `gettac -A ${API} --json linux-ix-slave01 w64-ix-slave01`,
    ],
  },
  lock: {
    fails: ['an unknown slave or master', '-u of a slave that is not locked'],
    usage: ['neither a master nor -u'],
    examples: ['lock linux-ix-slave01 bm01-build', `-A ${API} lock -u linux-ix-slave01`],
  },
  disable: {
    ok: 'done, or the slave was disabled already',
    fails: ['an unknown slave'],
    usage: [],
    examples: [
      "disable linux-ix-slave01 -m 'bad disk, bug 1234'",
      `-A ${API} disable linux-ix-slave01`,
    ],
  },
  enable: {
    ok: 'done, or the slave was enabled already',
    fails: ['an unknown slave'],
    usage: [],
    examples: ["enable linux-ix-slave01 -m ''", 'enable linux-ix-slave01'],
  },
  notes: {
    fails: ['an unknown slave'],
    usage: [],
    examples: ['notes linux-ix-slave01 --json', "notes linux-ix-slave01 -m 'reimaged, bug 1234'"],
  },
};

/** Whether a subcommand takes -A: the admin commands, not the db* ones (which hide it). */
export const takesApi = (cmd: Command): boolean =>
  cmd.options.some((o) => o.long === '--api' && !o.hidden);

/** What every admin command (one that takes -A), or every db* command, exits 1 and 2 for. */
const KIND = {
  admin: {
    fails: ['the database or the API failing, or -A naming no slavealloc API'],
    usage: [
      'an empty slave name, or one with a dot',
      '-A that is not a URL or has a query, or -A with -D',
    ],
  },
  db: { fails: ['the database failing'], usage: ['-A: the db* commands work on a database only'] },
};

/**
 * Adds to the --help of each of `group`'s subcommands what its exit codes mean and examples, as
 * the engine's commands end theirs (Exit codes, Examples); a configuration that does not load
 * or an unknown option exits 2 for every command (`loopabull --help`).
 */
export function subcommandHelp(group: Command): void {
  for (const cmd of group.commands) {
    const help = HELP[cmd.name()];
    if (!help) throw new Error(`slavealloc ${cmd.name()} has no exit codes or examples for --help`);
    const kind = takesApi(cmd) ? KIND.admin : KIND.db;
    cmd.addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: [help.ok ?? 'done'],
          1: [...help.fails, ...kind.fails],
          2: ['a usage or configuration error, such as', ...help.usage, ...kind.usage],
        },
        help.examples.map((e) => `loopabull ${group.name()} ${e}`),
      ),
    );
  }
}
