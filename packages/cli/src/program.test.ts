import { describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';
import { configAfterCommand, configWithoutCommand, createProgram } from './program.js';

describe('configAfterCommand', () => {
  const argv = (...args: string[]) => ['node', 'loopabull', ...args];

  it('moves a --config given before the command to after it', () => {
    expect(configAfterCommand(argv('--config', 'f.yml', 'queue', '--json'))).toEqual(
      argv('queue', '--json', '--config', 'f.yml'),
    );
    expect(configAfterCommand(argv('-c', 'f.yml', 'jobs', 'list'))).toEqual(
      argv('jobs', 'list', '-c', 'f.yml'),
    );
    expect(configAfterCommand(argv('--config=f.yml', 'run', 't', '--', 'x'))).toEqual(
      argv('run', 't', '--config=f.yml', '--', 'x'),
    );
  });

  it("moves a --config given between a group and its subcommand to the subcommand's", () => {
    expect(configAfterCommand(argv('jobs', '-c', 'f.yml', 'list', '--json'))).toEqual(
      argv('jobs', 'list', '--json', '-c', 'f.yml'),
    );
    expect(configAfterCommand(argv('-c', 'a.yml', 'machines', '--config=f.yml', 'list'))).toEqual(
      argv('machines', 'list', '-c', 'a.yml', '--config=f.yml'),
    );
    // A command's own option values are not read as the group's options.
    expect(configAfterCommand(argv('run', 't', '--body', '{}', '-c', 'f.yml'))).toEqual(
      argv('run', 't', '--body', '{}', '-c', 'f.yml'),
    );
    // Nor is a -c that is the value of a command's option (`--body -c`) taken for --config.
    for (const args of [
      ['run', '--dry-run', '--body', '-c', '--json', 't'],
      ['publish', '--body', '-c', 't'],
      ['publish', '--id', '--config', '--json', 't'],
    ])
      expect(configAfterCommand(argv(...args))).toEqual(argv(...args));
  });

  it('leaves a --config after the command, or with no command, as it is', () => {
    for (const args of [
      ['queue', '--config', 'f.yml'],
      ['--config', 'f.yml'],
      ['--config', 'f.yml', '--help'],
      ['--version'],
      ['f.yml'],
    ])
      expect(configAfterCommand(argv(...args))).toEqual(argv(...args));
  });
});

describe('configWithoutCommand', () => {
  const argv = (...args: string[]) => ['node', 'loopabull', ...args];

  it('says what to type for a --config and no command', () => {
    for (const args of [['-c', 'f.yml'], ['--config', 'f.yml'], ['--config=f.yml']])
      expect(configWithoutCommand(argv(...args))).toBe(
        `${args.join(' ')} names a configuration but no command: type \`loopabull ${args.join(' ')} COMMAND\` ` +
          '(`loopabull --help` lists them), or `loopabull f.yml` to run it as Loopabull 0.0.7 did ' +
          '(a looper and a worker in one process)',
      );
  });

  it('leaves every other command line to Commander', () => {
    for (const args of [
      [],
      ['f.yml'],
      ['-c'],
      ['--config='],
      ['-c', 'f.yml', 'queue'],
      ['-c', 'f.yml', '--help'],
      ['-c', 'a.yml', '-c', 'b.yml'],
      ['queue', '-c', 'f.yml'],
    ])
      expect([args, configWithoutCommand(argv(...args))]).toEqual([args, null]);
  });
});

describe('createProgram', () => {
  const argv = (...args: string[]) => ['node', 'loopabull', ...args];

  it('loads no command for --version alone: their modules load the engine', async () => {
    for (const args of [['--version'], ['-V']]) {
      const program = await createProgram({ argv: argv(...args), automations: [] });
      expect(program.commands).toEqual([]);
      expect(program.version()).toBe('0.1.0');
    }
  });

  /** The CommanderError (or other error) parsing `args` ends with, its output kept quiet. */
  const failure = async (...args: string[]): Promise<{ code?: string; message: string }> => {
    const program = await createProgram({ argv: argv(...args), automations: [] });
    const quiet = (c: Command): void => {
      c.configureOutput({ writeOut: () => {}, writeErr: () => {} });
      c.commands.forEach(quiet);
    };
    quiet(program);
    return program.parseAsync(argv(...args)).then(
      () => ({ message: 'no error' }),
      (err: { code?: string; message: string }) => err,
    );
  };

  it('answers a group given --config and no subcommand as the group alone: its help', async () => {
    const alone = await failure('jobs');
    expect(alone.code).toBe('commander.help');
    for (const config of [['-c', 'f.yml'], ['--config=f.yml']])
      expect(await failure('jobs', ...config)).toMatchObject({ code: alone.code });
  });

  it("leaves a --config after a group's subcommand to the subcommand", async () => {
    for (const args of [
      ['jobs', 'list', '-c', '/nonexistent/l.yml'],
      ['jobs', 'list', '--json', '--config', '/nonexistent/l.yml'],
    ])
      expect((await failure(...args)).message).toBe(
        'config file /nonexistent/l.yml does not exist',
      );
  });

  it('loads the commands for help, a command, or --version beside them', async () => {
    for (const args of [['--help'], ['--version', '--help'], ['queue', '--version'], []]) {
      const program = await createProgram({ argv: argv(...args), automations: [] });
      expect(program.commands.map((c) => c.name())).toContain('looper');
    }
  });
});

describe('--help', () => {
  /** Every visible command under `cmd`, itself included, with its path. */
  const commands = (cmd: Command, path = cmd.name()): Array<[string, Command]> => [
    [path, cmd],
    ...cmd.commands
      .filter((c) => !(c as Command & { _hidden?: boolean })._hidden)
      .flatMap((c) => commands(c, `${path} ${c.name()}`)),
  ];

  /** What is wrong with the style of one description as --help shows it, else null. */
  const styleProblem = (text: string): string | null =>
    /^[A-Z][a-z]/.test(text)
      ? 'starts with a capital letter'
      : text.endsWith('.')
        ? 'ends with a period'
        : /[‘’“”]/.test(text)
          ? 'has a typographic quote'
          : /\(default(?!:)/.test(text)
            ? 'says "(default" without a colon'
            : /\) \((default|choices):/.test(text)
              ? 'ends in parentheses before the ones commander adds'
              : /\bstdin\b/.test(text)
                ? 'says stdin for standard input'
                : null;

  it('words every description alike, the automations commands as the built-in ones', async () => {
    // A configuration that does not load: every automation's commands are added.
    const program = await createProgram({
      argv: ['node', 'loopabull', '--help', '-c', '/nonexistent/loopabull.yml'],
    });
    const all = commands(program);
    expect(all.map(([path]) => path)).toEqual(
      expect.arrayContaining([
        'loopabull machines list',
        'loopabull slavealloc',
        'loopabull taskotron runtask',
      ]),
    );
    // As --help shows them: with the choices and defaults commander adds.
    const problems = all.flatMap(([path, c]) => {
      const help = c.createHelp();
      return [
        [path, c.description()],
        ...c.registeredArguments.map((a) => [`${path} <${a.name()}>`, help.argumentDescription(a)]),
        ...help.visibleOptions(c).map((o) => [`${path} ${o.flags}`, help.optionDescription(o)]),
      ].flatMap(([where, text]) => {
        const problem = styleProblem(text!);
        return problem ? [`${where}: ${problem}: ${text}`] : [];
      });
    });
    expect(problems).toEqual([]);
  });

  /** A command's help as `--help` prints it: with the text added after it, which helpInformation() leaves out. */
  const printedHelp = (cmd: Command): string => {
    let text = '';
    cmd.configureOutput({ writeOut: (s) => void (text += s) });
    cmd.outputHelp();
    return text;
  };

  it("ends every command's help with its exit codes, 0 and 2 among them, and examples of it", async () => {
    const program = await createProgram({
      argv: ['node', 'loopabull', '--help', '-c', '/nonexistent/loopabull.yml'],
    });
    // Every command that runs something; a group (jobs, machines) lists its subcommands instead.
    const runnable = commands(program).filter(([, c]) => c.commands.length === 0);
    expect(runnable.map(([path]) => path)).toEqual(
      expect.arrayContaining(
        [
          ...['looper', 'worker', 'serve', 'up', 'queue', 'publish', 'replay', 'resolve', 'run'],
          ...['pause', 'resume', 'doctor'],
          ...['list', 'show', 'logs', 'retry', 'remove'].map((sub) => `jobs ${sub}`),
          ...['list', 'preload', 'show'].map((sub) => `machines ${sub}`),
          ...['prune-git-cache', 'replay', 'runtask'].map((sub) => `taskotron ${sub}`),
          ...['dbinit', 'gettac', 'lock', 'notes'].map((sub) => `slavealloc ${sub}`),
        ].map((path) => `loopabull ${path}`),
      ),
    );
    const without = runnable.flatMap(([path, c]) => {
      // A sentence (`Exit codes: 0 done, 1 …, 2 …`) or one code a line (`  0  done`).
      const end = /\nExit codes:((?: |\n {2})0 [^]*)\n\nExamples?:\n {2}([^]*)$/.exec(
        printedHelp(c),
      );
      if (!end) return [`${path}: no "Exit codes:" then "Example:"`];
      if (!/(?:, |\n {2})2\s/.test(end[1]!)) return [`${path}: no exit code 2`];
      return end[2]!.includes(path) ? [] : [`${path}: no example runs it`];
    });
    expect(without).toEqual([]);
  });

  it('lists --config first among the options of every command that takes it', async () => {
    const program = await createProgram({
      argv: ['node', 'loopabull', '--help', '-c', '/nonexistent/loopabull.yml'],
    });
    const late = commands(program)
      .map(([path, c]) => [path, c.createHelp().visibleOptions(c)] as const)
      .filter(([, options]) => options.some((o) => o.long === '--config'))
      .filter(([, options]) => options[0]!.long !== '--config')
      .map(([path]) => path);
    expect(late).toEqual([]);
  });
});
