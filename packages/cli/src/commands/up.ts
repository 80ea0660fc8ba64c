import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { counted, exitCodesAndExamples, type Config } from '@loopabull/core/cli';
import type { Logger } from '@loopabull/core';
import { DEMO_BODY, DEMO_FILE, DEMO_TOPIC, KOJI_TOPIC } from './demo-message.js';
import { positiveIntUpTo, withConfig, type ConfigOpts, type Cli } from '../options.js';
import { nodeFlagsFor } from '../memory-bounds.js';

/**
 * The demo on built-in defaults consumes from its own queue, which RabbitMQ deletes ten minutes
 * after the demo stops: a durable `loopabull` queue bound to `#` would keep collecting every
 * message published on the broker. With a config file, the file's queue is used as it is.
 */
const DEMO_QUEUE = {
  LOOPABULL_BUS_QUEUE: 'loopabull-demo',
  LOOPABULL_BUS_QUEUE_EXPIRES: '600',
};

/**
 * Most workers `up` starts. Each is a node process of about 100 MB (docs/benchmarks.md, Memory)
 * with its own Redis connections, so a mistyped count (`--workers 100000`) would swap the machine
 * to a halt, or hit Redis's maxclients, before any job ran. More jobs at once is what
 * workers.concurrency is for: one process runs that many.
 */
export const MAX_UP_WORKERS = 32;

/** How long the demo waits for its job to end before saying it gave up. */
const DEMO_JOB_WAIT_SECONDS = 120;

/**
 * What `--demo` does, from the values the code uses: `--help` is where an operator learns which
 * queue a demo takes messages from, and a help text of its own would drift from them.
 */
const DEMO_HELP = `
--demo starts the same parts: the looper, --workers workers taking its jobs from
the Redis queue queue.name, and \`loopabull serve\`.
With no config file, the looper consumes from the AMQP queue ${DEMO_QUEUE.LOOPABULL_BUS_QUEUE},
bound to # on amq.topic, which RabbitMQ deletes ${DEMO_QUEUE.LOOPABULL_BUS_QUEUE_EXPIRES} s after its last consumer
(instead of the durable queue loopabull); with one, from the file's bus.queue.
Once every worker has started and the server answers, \`up\` itself publishes one
message to bus.publish_exchange (amq.topic by default): the body of a Koji build
state change, under the topic ${DEMO_TOPIC},
which playbooks/${DEMO_TOPIC}.yml runs
(Koji's own topic runs Taskotron's trigger). With a config file, its playbooks
directory needs that file. \`up\` waits up to ${DEMO_JOB_WAIT_SECONDS} s for that job, prints its
log and commands to try next, and leaves the parts running.
`;

/** One process `up` started, named by its command (`looper`, `worker --id 2`, `serve`). */
interface Part {
  name: string;
  process: ChildProcess;
}

/**
 * Runs `loopabull <args>` as a child, the way systemd would run one unit (with the same node
 * flags). In a process group of its own, so that a terminal's Ctrl-C reaches `up` alone and each
 * part gets one SIGTERM from it: a part that got the terminal's SIGINT as well would take that
 * SIGTERM for an impatient second signal and exit without waiting for its jobs. The IPC channel
 * is the parts' way to notice that `up` is gone (killed), so that none outlives it.
 */
function child(args: string[], configPath: string | undefined, env: Record<string, string>): Part {
  const cli = process.argv[1]!;
  const argv = [
    ...nodeFlagsFor(args[0]!),
    cli,
    ...args,
    ...(configPath ? ['--config', configPath] : []),
  ];
  const proc = spawn(process.execPath, argv, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
    env: { ...process.env, ...env },
  });
  return { name: args.join(' '), process: proc };
}

/** The parts that have not exited yet. */
const running = (parts: Part[]): ChildProcess[] =>
  parts.map((p) => p.process).filter((c) => c.exitCode === null && c.signalCode === null);

async function until(
  what: string,
  logger: Logger,
  stop: AbortSignal,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    stop.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  logger.debug(`${what}: ready`);
}

/** The demo message's file in the source tree, for commands typed outside its root. */
const SHIPPED_DEMO_FILE = new URL(`../../../../${DEMO_FILE}`, import.meta.url);

/** `text` as one word of a POSIX shell command line: quoted unless it needs no quoting. */
const shellWord = (text: string) =>
  /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;

/** Publishes the demo message and prints what the playbook named after its topic did. */
async function demo(
  config: Config,
  configFile: string | undefined,
  workers: number,
  logger: Logger,
  stop: AbortSignal,
): Promise<void> {
  const { BusPublisher, jobIdFor, openQueueServices } = await import('@loopabull/core');
  const services = await openQueueServices(config);
  const publisher = new BusPublisher(config);
  try {
    await until(
      counted(workers, 'worker'),
      logger,
      stop,
      async () => (await services.work.workerCount()) >= workers,
    );
    await until(
      'the web server',
      logger,
      stop,
      async () => (await fetch(`http://${config.http.host}:${config.http.port}/healthz`)).ok,
    );
    const { messageId } = await publisher.publish(DEMO_TOPIC, DEMO_BODY);
    logger.info(`demo: published ${DEMO_TOPIC} (message ${messageId}); waiting for the playbook`);
    const jobId = jobIdFor(messageId);
    let state = '';
    await until(
      'the demo job',
      logger,
      stop,
      async () => {
        state = (await services.jobs.show(jobId))?.state ?? '';
        return state === 'completed' || state === 'failed' || state === 'unrouted';
      },
      DEMO_JOB_WAIT_SECONDS * 1000,
    );
    // A config file whose playbooks directory lacks the demo's playbook ends the job at once,
    // without a log to show: say why, rather than wait out the timeout for a state never reached.
    if (state === 'unrouted') {
      logger.error(
        `demo: job ${jobId} ended unrouted: ${config.ansible.playbooks_dir} has no file for ${DEMO_TOPIC}; ` +
          `copy playbooks/${DEMO_TOPIC}.yml of the source tree there, or run the demo without a config file`,
      );
      return;
    }
    const logs = (await services.jobs.logs(jobId)) ?? [];
    // Under `npm run demo` the commands are typed in a checkout, where `loopabull` is not on the
    // PATH but `npx loopabull` finds it; they name the config file `up` was given, or they would
    // look at another instance (or none).
    const cli = process.env.npm_lifecycle_event ? 'npx loopabull' : 'loopabull';
    const c = configFile === undefined ? '' : ` -c ${shellWord(configFile)}`;
    const file = shellWord(existsSync(DEMO_FILE) ? DEMO_FILE : fileURLToPath(SHIPPED_DEMO_FILE));
    process.stdout.write(`\n----- demo job ${jobId}: ${state} -----\n${logs.join('\n')}\n-----\n`);
    process.stdout.write(
      `Dashboard: http://${config.http.host}:${config.http.port}/   Backlog: ${cli} queue${c}   This job: ${cli} jobs logs ${jobId}${c}\n` +
        `Publish another: ${cli} publish ${DEMO_TOPIC} --file ${file}${c}\n` +
        `Taskotron's trigger: ${cli} publish ${KOJI_TOPIC} --file ${file}${c}\n\n`,
    );
  } finally {
    await publisher.close();
    await services.close();
  }
}

export const upCommand = (cli: Cli) =>
  withConfig(new Command('up'))
    .description('run the looper, N workers and the HTTP server together, for a laptop or a demo')
    .option(
      '--workers <n>',
      `worker processes, at most ${MAX_UP_WORKERS}; for more jobs at once, raise workers.concurrency`,
      positiveIntUpTo(
        MAX_UP_WORKERS,
        'each worker is a node process of about 100 MB; for more jobs at once, raise workers.concurrency',
      ),
      5,
    )
    .option('--demo', "once up, publish a demo message and print its job's log (below)")
    .addHelpText(
      'after',
      DEMO_HELP +
        '\nCtrl-C (or SIGTERM) stops every part once, letting running jobs finish within\n' +
        'workers.shutdown_grace; a second Ctrl-C stops them at once. A part whose `up`\n' +
        'is killed stops by itself. In production run them as systemd units instead:\n' +
        'see docs/operating.md.',
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['every part stopped after Ctrl-C or SIGTERM'],
          1: [
            'a part that exited by itself (up stops the others), such as serve finding its port taken',
          ],
          2: [
            'a usage or configuration error, such as',
            `a --workers that is not a whole number from 1 to ${MAX_UP_WORKERS}`,
          ],
        },
        ['loopabull up --demo', 'loopabull up --workers 2 -c loopabull.yml'],
      ),
    )
    .action(async (opts: ConfigOpts & { workers: number; demo?: boolean }) => {
      const config = cli.loadConfig(opts);
      const { createLogger } = await import('@loopabull/core');
      const logger = createLogger('up', config.loglevel);
      const env = opts.demo && config.source === null ? DEMO_QUEUE : {};
      const parts = [
        child(['looper'], opts.config, env),
        ...Array.from({ length: opts.workers }, (_, i) =>
          child(['worker', '--id', String(i + 1)], opts.config, env),
        ),
        child(['serve'], opts.config, env),
      ];
      let stopping = false;
      // Stopping before the demo has shown its job must not leave `up` waiting for parts that
      // are gone (up to the demo's two-minute timeouts) and then report that as an error.
      const demoStop = new AbortController();
      const stopAll = async () => {
        stopping = true;
        demoStop.abort();
        const left = running(parts);
        for (const c of left) c.kill('SIGTERM');
        await Promise.all(left.map((c) => once(c, 'exit')));
      };
      const exited = new Promise<number>((resolve) => {
        for (const part of parts) {
          part.process.once('exit', (code, signal) => {
            if (stopping) return;
            logger.error(`${part.name} exited (${signal ?? code}); stopping the rest`);
            void stopAll().then(() => resolve(1));
          });
        }
        for (const signal of ['SIGINT', 'SIGTERM'] as const) {
          process.on(signal, () => {
            if (!stopping) {
              logger.info(`${signal}: stopping`);
              void stopAll().then(() => resolve(0));
              return;
            }
            // A second signal: each part takes a second SIGTERM as "exit without waiting".
            logger.warn(`${signal} again: the parts exit without waiting for their jobs`);
            for (const c of running(parts)) c.kill('SIGTERM');
          });
        }
      });
      const demoRun = opts.demo
        ? demo(config, opts.config, opts.workers, logger, demoStop.signal).catch((err: Error) => {
            if (!demoStop.signal.aborted) logger.error(`demo: ${err.message}`);
          })
        : Promise.resolve();
      process.exitCode = await exited;
      await demoRun;
    });
