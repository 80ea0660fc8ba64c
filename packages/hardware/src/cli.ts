import { Command } from 'commander';
import {
  COMMAND_INPUT_MAX_BYTES,
  ConfigError,
  configOption,
  exitCodesAndExamples,
  formatTable,
  inputTooLarge,
  printJson,
  printable,
  type CommandEnv,
  type Config,
} from '@loopabull/core/cli';
import { parseMachineId } from './identity.js';
import type { MachineStore } from './machine-store.js';
import { MAX_CLOCK_SKEW_SECONDS } from './observation.js';
import { isStale, machinesJson, sinceSeen, staleSummary, withStale } from './machine-view.js';
import { parseFilters } from './list-filters.js';
import { hardwareSettings } from './section.js';

/** Where the commands read and write; tests pass their own. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(text: string): unknown };
}

/** The store, with Redis, is imported when a command runs: `--help` needs neither. */
async function withStore<T>(config: Config, use: (store: MachineStore) => Promise<T>): Promise<T> {
  const { closeRedis, connectRedisOnce } = await import('@loopabull/core');
  const { MachineStore } = await import('./machine-store.js');
  const redis = await connectRedisOnce(config.redis.url);
  try {
    return await use(new MachineStore(redis));
  } finally {
    closeRedis(redis);
  }
}

/** Standard input, up to what any command reads: a pipe that never ends is refused, not held. */
async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > COMMAND_INPUT_MAX_BYTES) throw inputTooLarge('standard input');
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `loopabull machines list|show|preload`: the hardware tracker's data from the command line. */
export function machinesCommand(env: CommandEnv, overrides: Partial<CliIo> = {}): Command {
  // process.stdin is only touched when read: merely getting it opens a handle that keeps Node alive.
  const stdin = () => overrides.stdin ?? process.stdin;
  const load = (opts: { config?: string }) => env.loadConfig(opts);
  const print = (text: string) => (overrides.stdout ?? process.stdout).write(text);

  const machines = new Command('machines').description(
    'hardware last-seen tracking: machines of the configured provisioner and when each was last seen doing work',
  );

  configOption(machines.command('list'))
    .description('list machines by datacenter, with when each was last seen alive')
    .option('--datacenter <dc>', 'only machines of this datacenter (workerGroup)')
    .option(
      '--stale <duration>',
      'only machines not seen alive for at least this long (90s, 30m, 6h, 2d; at most 36500d)',
    )
    .option('--json', 'print JSON (the same object as GET /api/hardware/machines)')
    .addHelpText(
      'after',
      '\nMachines shown STALE have not been seen alive for hardware.stale_after (or --stale).\n' +
        exitCodesAndExamples(
          '0 listed (no machine too), 1 Redis cannot be reached, 2 a --datacenter that is no\n' +
            'datacenter id, a --stale that is no duration or over 36500d, or a configuration error.',
          [
            'loopabull machines list --stale 6h',
            'loopabull machines list --datacenter mdc1 --json',
          ],
        ),
    )
    .action(
      async (opts: { config?: string; datacenter?: string; stale?: string; json?: boolean }) => {
        const config = load(opts);
        // The API's filters, so that a datacenter no machine can have is an error here too.
        const filters = parseFilters({ datacenter: opts.datacenter, stale: opts.stale });
        if (!filters.ok) throw new ConfigError(`--${filters.error}`);
        const { datacenter, staleSeconds } = filters;
        const threshold = staleSeconds ?? hardwareSettings(config).stale_after;
        const list = await withStore(config, (store) => store.list({ datacenter, staleSeconds }));
        if (opts.json) {
          printJson(print, machinesJson(list, threshold));
          return;
        }
        const rows = list.map((m) => [
          m.datacenter,
          m.machine,
          m.lastseen ?? '-',
          sinceSeen(m),
          isStale(m, threshold) ? 'STALE' : '',
          m.last_state ?? '-',
          m.last_exception_reason ? `${m.last_exception_reason} (${m.last_exception_at})` : '-',
        ]);
        print(
          formatTable(
            [
              'DATACENTER',
              'MACHINE',
              'LASTSEEN (UTC)',
              'SINCE',
              '',
              'LAST STATE',
              'LAST EXCEPTION',
            ],
            rows,
          ),
        );
        print(`${staleSummary(list, threshold)}\n`);
      },
    );

  configOption(machines.command('show'))
    .argument(
      '<machine>',
      'the machine as <datacenter>:<hostname>, e.g. mdc1:t-linux64-ms-100 (split at the first colon, as the API does)',
    )
    .description(
      'show one machine: lastseen, last state and task, counts per state, exception history',
    )
    .option('--json', 'print JSON (the same object as GET /api/hardware/machines/<id>)')
    .addHelpText(
      'after',
      exitCodesAndExamples(
        '0 shown, 1 unknown machine or Redis cannot be reached, 2 an id that is not\n' +
          '<datacenter>:<hostname>, or a configuration error.',
        [
          'loopabull machines show mdc1:t-linux64-ms-100',
          'loopabull machines show mdc1:t-linux64-ms-100 --json',
        ],
      ),
    )
    .action(async (id: string, opts: { config?: string; json?: boolean }) => {
      const config = load(opts);
      if (!parseMachineId(id))
        throw new ConfigError(
          `${JSON.stringify(id)} is not <datacenter>:<hostname> (both non-empty, split at the first colon)`,
        );
      const machine = await withStore(config, (store) => store.get(id));
      if (!machine) throw new Error(`unknown machine ${id}`);
      const shown = withStale(machine, hardwareSettings(config).stale_after);
      if (opts.json) {
        printJson(print, shown);
        return;
      }
      const c = machine.counts;
      const fields: Array<[string, string]> = [
        ['machine', machine.id],
        ['datacenter', machine.datacenter],
        ['hostname', machine.machine],
        [
          'lastseen',
          machine.lastseen
            ? `${machine.lastseen} UTC (${sinceSeen(machine)})${shown.stale ? ' STALE' : ''}`
            : 'never seen alive',
        ],
        [
          'last state',
          machine.last_state ? `${machine.last_state} at ${machine.last_event_at}` : '-',
        ],
        [
          'last task',
          machine.last_task_id ? `${machine.last_task_id} run ${machine.last_run_id ?? '?'}` : '-',
        ],
        ['worker type', machine.last_worker_type ?? '-'],
        [
          'last exception',
          machine.last_exception_reason
            ? `${machine.last_exception_reason} at ${machine.last_exception_at}`
            : '-',
        ],
        [
          'counts',
          `running ${c.running}, completed ${c.completed}, failed ${c.failed}, exception ${c.exception}`,
        ],
      ];
      const width = Math.max(...fields.map(([k]) => k.length));
      // Escaped as list's table cells are: `machines` holds whatever other programs wrote there
      // (the original's preload_redis.py wrote any lastseen), which must not drive the terminal.
      print(fields.map(([k, v]) => `${k.padEnd(width)}  ${printable(v)}`).join('\n') + '\n');
      if (machine.exceptions.length > 0) {
        print('\nexceptions (latest first):\n');
        print(
          formatTable(
            ['AT (UTC)', 'REASON', 'TASK', 'WORKER TYPE', 'ALIVE'],
            machine.exceptions.map((e) => [
              e.at,
              e.reason ?? '-',
              e.task_id ? `${e.task_id}/${e.run_id ?? '?'}` : '-',
              e.worker_type ?? '-',
              e.alive ? 'yes' : 'no',
            ]),
          ),
        );
      }
    });

  configOption(machines.command('preload'))
    .description(
      'load machines from standard input, in the GET /machines format; a newer stored time is never overwritten',
    )
    .option('--json', 'print the counts, and the invalid entries with why (rejected), as JSON')
    .addHelpText(
      'after',
      `
Input: [{"machine": "t-linux64-ms-100", "datacenter": "mdc1", "lastseen": "2018-11-08T08:47:50.939514"}, ...]
An invalid entry (not an object; datacenter, machine or lastseen missing or not usable; lastseen
more than ${MAX_CLOCK_SKEW_SECONDS / 60} minutes ahead of now) is reported and skipped: the others are loaded all the same,
and the exit code is 0. The first 10 are listed under the counts, e.g.
  entry 2: lastseen is missing
  entry 3: lastseen "yesterday" is not a timestamp
--json prints {new, updated, skipped, invalid, rejected}, rejected the first 100 invalid entries
as {index, reason}.
` +
        exitCodesAndExamples(
          '0 loaded (also when invalid entries were skipped), 1 Redis cannot be reached, 2\n' +
            'standard input that is a terminal, not JSON or not a JSON array, or a configuration error.',
          [
            'curl -s https://releng-hardware.herokuapp.com/machines | loopabull machines preload',
            'loopabull machines preload --json < machines.json',
          ],
        ),
    )
    .action(async (opts: { config?: string; json?: boolean }) => {
      const config = load(opts);
      if (stdin().isTTY)
        throw new ConfigError(
          'preload reads JSON from standard input: loopabull machines preload < machines.json',
        );
      const text = await readAll(stdin());
      let entries: unknown;
      try {
        entries = JSON.parse(text);
      } catch (err) {
        throw new ConfigError(`standard input is not JSON: ${(err as Error).message}`);
      }
      if (!Array.isArray(entries))
        throw new ConfigError(
          'standard input must be a JSON array of {machine, datacenter, lastseen}',
        );
      const result = await withStore(config, (store) => store.preload(entries));
      if (opts.json) {
        printJson(print, result);
        return;
      }
      print(
        `${result.new} new, ${result.updated} updated, ${result.skipped} skipped (stored time as new or newer), ${result.invalid} invalid\n`,
      );
      // Which entries were refused and why: a count alone leaves the operator searching the file.
      const listed = result.rejected.slice(0, 10);
      for (const { index, reason } of listed) print(`  entry ${index}: ${printable(reason)}\n`);
      if (result.invalid > listed.length)
        print(`  and ${result.invalid - listed.length} more (--json lists up to 100)\n`);
    });

  return machines;
}
