import { Command, Option } from 'commander';
import type { Automation } from '@loopabull/core';
// The error class alone: the engine loads only with a command that needs it.
import { ConfigError } from '@loopabull/core/errors';
import type { Cli } from './options.js';

const VERSION = '0.1.0';

/** Commander settings do not reach commands added with addCommand: apply them to the whole tree. */
function everywhere(cmd: Command, apply: (c: Command) => void): Command {
  apply(cmd);
  for (const sub of cmd.commands) everywhere(sub, apply);
  return cmd;
}

/** How many arguments a `--config` at `arg` spans: 2 for `-c F` and `--config F`, 1 for `--config=F`, else 0. */
const configSpan = (arg: string): number =>
  arg === '-c' || arg === '--config' ? 2 : arg.startsWith('--config=') ? 1 : 0;

/** The `--config` value among the arguments, read before Commander parses them. */
function configArgument(argv: readonly string[]): string | undefined {
  for (const [i, arg] of argv.entries()) {
    const span = configSpan(arg);
    if (span === 2) return argv[i + 1];
    if (span === 1) return arg.slice('--config='.length);
  }
  return undefined;
}

/**
 * The arguments with a `--config` given before the command (`loopabull -c F jobs list`), or
 * between a command group and its subcommand (`loopabull jobs -c F list`), moved to the end,
 * before any `--`: every command takes `--config`, the program and the groups themselves none, so
 * Commander would otherwise read `F` as the command's name, or refuse the option.
 */
export function configAfterCommand(argv: readonly string[]): string[] {
  const rest = argv.slice(2);
  const moved: string[] = [];
  let i = 0;
  // The program's options: it takes none with a value, so every -c there is a --config.
  while (i < rest.length && rest[i]!.startsWith('-') && rest[i] !== '--') {
    const span = configSpan(rest[i]!);
    if (span === 0) i++;
    else moved.push(...rest.splice(i, span));
  }
  if (i === rest.length) return [...argv];
  i++; // the command's name
  // Then those right after the command's name (a group's, before its subcommand), and only those:
  // past any other option, a -c may be that option's value (`publish --body -c T`), and a group
  // takes no other option anyway.
  while (i < rest.length && configSpan(rest[i]!) > 0)
    moved.push(...rest.splice(i, configSpan(rest[i]!)));
  if (moved.length === 0) return [...argv];
  const end = rest.includes('--') ? rest.indexOf('--') : rest.length;
  return [...argv.slice(0, 2), ...rest.slice(0, end), ...moved, ...rest.slice(end)];
}

/**
 * Why `loopabull -c F` (or `--config F`, `--config=F`), a configuration and no command, is a usage
 * error, saying what to type instead; null for any other arguments. It does not run F as 0.0.7's
 * `loopabull F` does: that starts a looper and a worker, which an operator who left out the
 * command (`loopabull -c F queue`, as --help and docs/configuration.md write it) did not ask for.
 */
export function configWithoutCommand(argv: readonly string[]): string | null {
  const args = argv.slice(2);
  const path = configArgument(argv);
  if (args.length === 0 || configSpan(args[0]!) !== args.length || !path) return null;
  const given = args.join(' ');
  return (
    `${given} names a configuration but no command: type \`loopabull ${given} COMMAND\` ` +
    `(\`loopabull --help\` lists them), or \`loopabull ${path}\` to run it as Loopabull 0.0.7 did ` +
    `(a looper and a worker in one process)`
  );
}

/**
 * The arguments that are neither options nor a `--config`'s value: the subcommand first
 * (`loopabull --help -c F` names none; the program's other options take no value).
 */
function operandsOf(argv: readonly string[]): string[] {
  const args = argv.slice(2);
  const operands: string[] = [];
  for (let i = 0; i < args.length; i += Math.max(configSpan(args[i]!), 1))
    if (!args[i]!.startsWith('-')) operands.push(args[i]!);
  return operands;
}

/** The subcommand the arguments name, if any. */
const subcommandOf = (argv: readonly string[]): string | undefined => operandsOf(argv)[0];

/**
 * The command the arguments are about: the subcommand, or the one `help` is asked about
 * (`loopabull help machines`), which must be refused in the same words when it is disabled.
 */
function commandAskedFor(argv: readonly string[]): string | undefined {
  const [named, about] = operandsOf(argv);
  return named === 'help' ? about : named;
}

/**
 * The automations whose commands this run shows, the enabled ones, and the configuration file
 * that says so (null: the built-in defaults). With a configuration that does not load, all of
 * them, so that the command run reports the configuration's error itself.
 */
async function commandsShown(
  cli: Cli,
  argv: readonly string[],
): Promise<{ shown: Automation[]; source: string | null }> {
  const { enabledAutomations, loadConfig } = await import('@loopabull/core/cli');
  try {
    const config = loadConfig({ path: configArgument(argv), automations: cli.automations });
    return { shown: enabledAutomations(config, cli.automations), source: config.source };
  } catch {
    return { shown: [...cli.automations], source: null };
  }
}

/**
 * Why `named` cannot run when it is a command of an installed automation that the configuration
 * disables: Commander would call it an unknown command, as a typo. Null when none of `disabled`
 * has it. Asked only then, so a run that names a known command imports no disabled automation.
 */
async function disabledCommand(
  cli: Cli,
  disabled: readonly Automation[],
  named: string,
  source: string | null,
): Promise<string | null> {
  for (const automation of disabled) {
    const commands = (await automation.commands?.(cli)) ?? [];
    if (commands.some((c) => c.name() === named))
      return (
        `\`${named}\` is a command of the ${automation.name} automation, which is disabled in ` +
        `${source ?? 'the built-in defaults'}: set ${automation.name}.enabled: true there to use it ` +
        '(docs/configuration.md)'
      );
  }
  return null;
}

/**
 * Whether the arguments ask for the version and nothing else: Commander answers `--version`
 * before any command, so none is loaded (their definitions load the configuration's schema;
 * docs/benchmarks.md, "CLI start-up").
 */
const versionOnly = (argv: readonly string[]): boolean => {
  const args = argv.slice(2);
  return (
    subcommandOf(argv) === undefined &&
    args.some((a) => a === '-V' || a === '--version') &&
    !args.some((a) => a === '-h' || a === '--help')
  );
};

/** The CLI's own commands, and the enabled automations' when the arguments name none of its own. */
async function addCommands(program: Command, opts: ProgramOptions, argv: readonly string[]) {
  const { ownCommands } = await import('./own-commands.js');
  const { cliWith } = await import('./options.js');
  const automations = opts.automations ?? (await import('./automations.js')).shippedAutomations;
  const cli = cliWith(automations);
  for (const [command, options] of ownCommands(cli)) program.addCommand(command, options);
  const known = (name: string | undefined) => program.commands.some((c) => c.name() === name);
  if (known(subcommandOf(argv))) return;
  const { shown, source } = await commandsShown(cli, argv);
  for (const automation of shown)
    for (const command of (await automation.commands?.(cli)) ?? []) program.addCommand(command);
  const asked = commandAskedFor(argv);
  if (asked === undefined || known(asked)) return;
  const disabled = cli.automations.filter((a) => !shown.includes(a));
  const why = await disabledCommand(cli, disabled, asked, source);
  if (why) throw new ConfigError(why);
}

export interface ProgramOptions {
  /** The automation registry; the shipped one by default. */
  automations?: readonly Automation[];
  /** The arguments the program will parse, to find the configuration that decides which automations' commands exist. */
  argv?: readonly string[];
}

/**
 * The `loopabull` command. Its own commands import what they run when they run (the looper never
 * loads the worker or the HTTP server); the automations' commands are added, which imports the
 * enabled automations' code, only when the arguments name none of its own: for `--help`, `help`
 * and the automations' commands themselves.
 */
export async function createProgram(opts: ProgramOptions = {}): Promise<Command> {
  const program = new Command('loopabull')
    // So that a group's hidden --config (below) is its own only right after its name.
    .enablePositionalOptions()
    .version(VERSION)
    .description(
      'event-driven automation: bus messages run the playbook or handler named after their topic',
    );
  const argv = opts.argv ?? process.argv;
  if (!versionOnly(argv)) await addCommands(program, opts, argv);
  program.addHelpText(
    'after',
    `
Every command takes -c/--config PATH, after the command or before it
(\`loopabull -c /etc/loopabull/loopabull.yml queue\`).
\`loopabull CONFIG\` (a file, no command) runs a looper and a worker in one process, as
Loopabull 0.0.7 did: docs/compatibility.md. \`loopabull -c CONFIG\` with no command is a usage
error that says so.

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
Docs: README.md and docs/ in the source tree.`,
  );
  return everywhere(program, (c) => {
    c.exitOverride();
    c.showHelpAfterError('(add --help for usage)');
    // A group's own options are its subcommands' no more: --config goes to the subcommand
    // (configAfterCommand). With no subcommand after it (`jobs -c F`), the group takes it, hidden,
    // and answers as without it: its help, exit 2.
    if (c !== program && c.commands.length > 0)
      c.enablePositionalOptions()
        .addOption(new Option('-c, --config <path>').hideHelp())
        .addHelpText(
          'after',
          `\nEvery subcommand takes -c/--config PATH, here or after it (\`loopabull ${c.name()} -c F ${c.commands[0]!.name()}\`).`,
        );
  });
}
