/**
 * What `loopabull doctor` runs: imported by its action only (commands/doctor.ts), as it loads the
 * engine (BullMQ, ioredis, amqplib) that the command's definition and `--help` need not.
 */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { basename, sep } from 'node:path';
import {
  automationEnv,
  connectOnce,
  createLogger,
  enabledAutomations,
  openQueueServices,
  redactUrl,
  shellWord,
  vhostAndUser,
  type Config,
  type DoctorCheck,
  counted,
  whyUnreadable,
} from '@loopabull/core';
import { printJson, type ConfigOpts, type Cli } from '../options.js';
import { handlerFilesCheck } from '../handler-files.js';
import { pulseQueueProblem } from '../pulse-queue.js';

interface Outcome {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about it, when not ok. */
  fix?: string;
}

async function run({ name, fix, probe }: DoctorCheck): Promise<Outcome> {
  try {
    return { name, ok: true, detail: await probe() };
  } catch (err) {
    const problem = err as Error & { fix?: string };
    return { name, ok: false, detail: problem.message.split('\n')[0]!, fix: problem.fix ?? fix };
  }
}

const check = (name: string, fix: string, probe: () => Promise<string>): DoctorCheck => ({
  name,
  fix,
  probe,
});

/**
 * The bindings' exchanges that do not exist, when the looper only checks them (declare_exchanges
 * off, as on Pulse): it cannot start consuming until they do. Each on a channel of its own, as a
 * missing exchange closes the channel that asked.
 */
async function missingExchanges(
  conn: Awaited<ReturnType<typeof connectOnce>>,
  config: Config,
): Promise<string[]> {
  if (config.bus.declare_exchanges) return [];
  const { exchangesToDeclare } = await import('@loopabull/looper');
  const missing: string[] = [];
  for (const name of exchangesToDeclare(config.bus.bindings)) {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    const found = await ch.checkExchange(name).then(
      () => true,
      () => false,
    );
    if (found) await ch.close().catch(() => undefined);
    else missing.push(name);
  }
  return missing;
}

/**
 * How to fix a playbook command that does not run: ansible-core provides ansible-playbook, not a
 * wrapper such as Fedora's rbac-playbook, which is installed on its own.
 */
function playbookCmdFix(playbookCmd: string): string {
  const command = /^\S*/.exec(playbookCmd.trim())![0];
  return basename(command) === 'ansible-playbook'
    ? 'install it (Debian: apt-get install ansible-core) or set ansible.playbook_cmd'
    : `install ${command} (ansible.playbook_cmd names it) or set ansible.playbook_cmd, whose default ansible-playbook comes with ansible-core`;
}

/**
 * A playbook command that is there but fails to start (`--version` does not succeed): ansible's
 * own reason, not execa's first line, which says only that it failed; installing it would not help.
 */
function cannotStart(
  playbookCmd: string,
  result: {
    exitCode?: number | undefined;
    signal?: string | undefined;
    stdout: string;
    stderr: string;
    shortMessage?: string | undefined;
  },
): Error {
  const lines = `${result.stderr}\n${result.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const reason =
    lines.find((l) => /^\[?ERROR/.test(l)) ?? lines.at(-1) ?? result.shortMessage ?? 'no output';
  const how =
    result.exitCode !== undefined ? `exit ${result.exitCode}` : (result.signal ?? 'failed');
  return Object.assign(new Error(`${playbookCmd} --version (${how}): ${reason}`), {
    fix: 'it is installed but does not start: mend what its error names (the ansible.cfg it reads, a home directory where it can write ~/.ansible/tmp, its Python)',
  });
}

function engineChecks(config: Config): DoctorCheck[] {
  const { ansible } = config;
  return [
    check(
      'redis',
      `start Redis or set redis.url / $REDIS_URL (now ${redactUrl(config.redis.url)})`,
      async () => {
        // Read-only: a queue that does not exist yet must not be left with BullMQ's meta key.
        const services = await openQueueServices(config, { readOnly: true });
        try {
          const [depth, workers] = await Promise.all([
            services.work.depth(),
            services.work.workerCount(),
          ]);
          if (depth.paused)
            throw Object.assign(new Error('the queue is paused: workers take no new jobs'), {
              fix: 'run `loopabull resume` (or POST /api/resume) once the maintenance is over',
            });
          return `${redactUrl(config.redis.url)}: ${depth.waiting} waiting, ${depth.failed} failed, ${counted(workers, 'worker')} connected`;
        } finally {
          await services.close();
        }
      },
    ),
    check(
      'bus',
      `start RabbitMQ or set bus.url / $AMQP_URL (now ${redactUrl(config.bus.url)})`,
      async () => {
        const foreign = pulseQueueProblem(config.bus);
        if (foreign) throw Object.assign(new Error(foreign.problem), { fix: foreign.fix });
        const conn = await connectOnce(config);
        try {
          const ch = await conn.createChannel();
          // A missing queue closes the channel with a 404, which the rejection below reports;
          // the channel's own 'error' event would otherwise crash the process.
          ch.on('error', () => undefined);
          const q = await ch.checkQueue(config.bus.queue).catch(() => null);
          const missing = await missingExchanges(conn, config);
          if (missing.length > 0)
            throw Object.assign(
              new Error(
                `${missing.length > 1 ? 'exchanges' : 'exchange'} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist on the broker, and bus.declare_exchanges is false: the looper cannot bind its queue and retries until ${missing.length > 1 ? 'they do' : 'it does'}`,
              ),
              {
                fix: 'check the exchange names in bus.bindings (Pulse: exchange/<owner>/…, made by their publisher on its first message), or set bus.declare_exchanges: true on a broker you run',
              },
            );
          if (q && q.consumerCount === 0 && q.messageCount > 0)
            throw Object.assign(
              new Error(
                `queue ${config.bus.queue} holds ${q.messageCount} messages and no looper consumes it`,
              ),
              {
                // Its virtual host named: rabbitmqctl's default, `/`, may hold another
                // install's queue of the same name.
                fix: `start \`loopabull looper\`; if the queue is a leftover nobody needs, delete it (rabbitmqctl delete_queue -p ${shellWord(vhostAndUser(config.bus.url).vhost)} ${shellWord(config.bus.queue)}), since it keeps collecting what its bindings match`,
              },
            );
          return q
            ? `${redactUrl(config.bus.url)}: queue ${config.bus.queue} holds ${counted(q.messageCount, 'message')}, ${counted(q.consumerCount, 'consumer')}`
            : `${redactUrl(config.bus.url)}: reachable; queue ${config.bus.queue} does not exist yet (the looper declares it)`;
        } finally {
          await conn.close().catch(() => undefined);
        }
      },
    ),
    check('ansible-playbook', playbookCmdFix(ansible.playbook_cmd), async () => {
      const { execa } = await import('execa');
      const { playbookCmdProblem, playbookCommand } = await import('@loopabull/playbook');
      // In words, not as execa's `Command failed with ENOENT: … --version`.
      const problem = await playbookCmdProblem(ansible);
      // A file that is there but cannot run is not fixed by installing it.
      if (problem && /is not (a file|executable)$/.test(problem))
        throw Object.assign(new Error(`ansible.playbook_cmd: ${problem}`), {
          fix: 'set ansible.playbook_cmd to the command that runs playbooks, or make that file executable',
        });
      if (problem) throw new Error(`ansible.playbook_cmd: ${problem}`);
      // As a worker starts it: every word of playbook_cmd, with a playbook's environment.
      const { file, args, env } = playbookCommand(ansible, ['--version'], {});
      const result = await execa(file, args, {
        env,
        extendEnv: false,
        timeout: 30_000,
        reject: false,
      });
      if (result.failed) throw cannotStart(ansible.playbook_cmd, result);
      return `${ansible.playbook_cmd}: ${result.stdout.split('\n')[0]}`;
    }),
    check(
      'playbooks',
      `create ${ansible.playbooks_dir} or set ansible.playbooks_dir / $LOOPABULL_PLAYBOOKS_DIR`,
      async () => {
        const dir = ansible.playbooks_dir;
        // Said in words, not as the system call's `ENOENT: no such file or directory, stat '…'`.
        const found = await stat(dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') throw new Error(`${dir} does not exist`);
          throw err;
        });
        if (!found.isDirectory()) throw new Error(`${dir} is not a directory`);
        await access(dir, constants.R_OK | constants.X_OK).catch(() => {
          throw new Error(`${dir} cannot be read by this user (it needs read and execute)`);
        });
        const { isAutomationFile } = await import('@loopabull/worker');
        const translator = config.plugins.translator.name;
        // With rkname a topic names a file of the directory itself: its folders hold no automation.
        const names = await readdir(dir, {
          recursive: translator === 'rkdirectory',
        });
        const files = names.filter((f) => isAutomationFile(f.split(sep).join('/'), translator));
        return `${dir}: ${files.length} automations`;
      },
    ),
    ...(ansible.cfg_file_path
      ? [
          check(
            'ansible.cfg',
            `create ${ansible.cfg_file_path} or unset ansible.cfg_file_path`,
            async () => {
              const path = ansible.cfg_file_path!;
              // In words, as for the playbooks directory, not as the system call's ENOENT.
              await access(path, constants.R_OK).catch((err: NodeJS.ErrnoException) => {
                throw new Error(`${path} cannot be read: ${whyUnreadable(err)}`);
              });
              return `${path} (exported as ANSIBLE_CONFIG)`;
            },
          ),
        ]
      : []),
  ];
}

/** `loopabull doctor`: every check, printed; exit code 1 when one fails. */
export async function doctor(cli: Cli, opts: ConfigOpts & { json?: boolean }): Promise<void> {
  const config = cli.loadConfig(opts);
  const logger = createLogger('doctor', 'error');
  const automations = enabledAutomations(config, cli.automations);
  // The automations' checks are gathered one automation at a time, which imports their parts
  // (database drivers) one after the other: Jest's module loader fails an import racing another
  // for a module both load ("request for './kysely.js' is not in cache"). The probes still run
  // together.
  const automationChecks: DoctorCheck[] = [];
  for (const a of automations)
    automationChecks.push(
      ...(a.topics?.length ? [handlerFilesCheck(config, a)] : []),
      ...((await a.doctor?.(automationEnv(config, a, logger))) ?? []),
    );
  const results = [
    { name: 'config', ok: true, detail: config.source ?? 'built-in defaults (no file found)' },
    {
      name: 'automations',
      ok: true,
      detail: automations.map((a) => a.name).join(', ') || 'none enabled',
    },
    ...(await Promise.all([...engineChecks(config), ...automationChecks].map(run))),
  ];
  if (opts.json) printJson(results);
  else {
    // One column for the names, as wide as the longest ("taskotron database").
    const width = Math.max(...results.map((r) => r.name.length));
    for (const r of results) {
      process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(width)} ${r.detail}\n`);
      if (!r.ok && 'fix' in r) process.stdout.write(`     ${''.padEnd(width)} fix: ${r.fix}\n`);
    }
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}
