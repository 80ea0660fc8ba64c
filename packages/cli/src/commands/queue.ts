import { Command } from 'commander';
import {
  ConfigError,
  counted,
  DEPTH_SAMPLE,
  DEPTH_STATES,
  exitCodesAndExamples,
  redactUrl,
  type Config,
  type QueueDepth,
} from '@loopabull/core/cli';
import type { QueueServices } from '@loopabull/core/queue';
import {
  jsonOption,
  lookAtQueue,
  printJson,
  printTable,
  withConfig,
  positiveInt,
  type ConfigOpts,
  type Cli,
} from '../options.js';

/** Which queue was looked at: a typo in its prefix or Redis shows an empty queue and no worker. */
interface Looked {
  where: string;
  workers: number;
}

const lookedAt = async (work: QueueServices['work'], config: Config): Promise<Looked> => ({
  where: `queue ${config.queue.name} (prefix ${config.redis.prefix}) at ${redactUrl(config.redis.url)}`,
  workers: await work.workerCount(),
});

/** The backlog, and for a person (not --json) which queue it is and who works on it. */
const look = (work: QueueServices['work'], config: Config, json: boolean | undefined) =>
  Promise.all([work.depth(), json ? undefined : lookedAt(work, config)]);

function show(depth: QueueDepth, json: boolean, looked?: Looked) {
  if (json) return printJson(depth);
  if (looked)
    process.stdout.write(
      `${looked.where}: ${looked.workers ? counted(looked.workers, 'worker') : 'no worker'} connected\n`,
    );
  printTable([...DEPTH_STATES], [DEPTH_STATES.map((s) => depth[s])]);
  process.stdout.write(
    `oldest waiting: ${depth.waiting ? `${Math.round(depth.oldest_waiting_seconds)} s` : 'none'}${depth.paused ? '   (PAUSED: loopabull resume)' : ''}\n`,
  );
  const topics = Object.entries(depth.by_topic).sort((a, b) => b[1] - a[1]);
  if (topics.length) {
    process.stdout.write(
      depth.by_topic_counted < depth.waiting
        ? `\nby topic, among the next ${depth.by_topic_counted} to run:\n`
        : '\n',
    );
    printTable(
      ['waiting', 'topic'],
      topics.map(([t, n]) => [n, t]),
    );
  }
}

const sleep = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000));

/**
 * `--watch`: prints the backlog every `every` seconds until stopped. Redis going away (a
 * restart, a failover, one that stops answering) does not end it: the reason goes to standard
 * error, below the last print, and the next try connects again, so the watch goes on once Redis
 * is back. Only a configuration error (exit 2) stops it.
 */
async function watch(cli: Cli, opts: ConfigOpts & { json?: boolean }, every: number) {
  // Ctrl-C is how a watch is meant to end, not a failure: a script or `watch && next` sees 0
  // rather than the 130 of a process killed by SIGINT.
  process.once('SIGINT', () => process.exit(0));
  // Said once per outage, not at every try.
  let said: string | null = null;
  // A terminal shows the latest print alone; a pipe or a file gets each one after the last.
  const tty = Boolean(process.stdout.isTTY);
  let first = true;
  const { CONNECT_ONCE_MS, redactUrl, withTimeout } = await import('@loopabull/core/queue');
  for (;;) {
    try {
      await lookAtQueue(cli, opts, async ({ work }, config) => {
        for (;;) {
          let depth: QueueDepth;
          let looked: Looked | undefined;
          try {
            // A frozen Redis (a stopped process, a swapping host) keeps the connection and never
            // answers: without a deadline the watch would stop printing, saying nothing.
            [depth, looked] = await withTimeout(
              look(work, config, opts.json),
              CONNECT_ONCE_MS,
              'it',
            );
          } catch (err) {
            throw new Error(
              `lost Redis at ${redactUrl(config.redis.url)}: ${(err as Error).message}`,
            );
          }
          const time = new Date().toISOString();
          // One object a line (NDJSON), each with its time: what `while read` and `jq -c` take.
          if (opts.json) process.stdout.write(`${JSON.stringify({ time, ...depth })}\n`);
          else {
            const before = tty ? '\x1b[2J\x1b[H' : first ? '' : '\n';
            process.stdout.write(`${before}${time}\n`);
            show(depth, false, looked);
          }
          first = false;
          said = null;
          await sleep(every);
        }
      });
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const why = (err as Error).message.replace(/\.$/, '');
      if (why !== said) process.stderr.write(`loopabull: ${why}; trying again every ${every} s\n`);
      said = why;
      await sleep(every);
    }
  }
}

export const queueCommand = (cli: Cli) =>
  withConfig(new Command('queue'))
    .description('show the backlog: jobs by state, waiting jobs by topic, age of the oldest')
    .addOption(jsonOption())
    .option(
      '--watch [seconds]',
      'print again every few seconds (default: 2) until Ctrl-C (exit 0); on a terminal, in place',
      positiveInt,
    )
    .addHelpText(
      'after',
      `
--json prints one object: waiting, active, delayed, failed, completed, unrouted, parked
(numbers), paused, by_topic (topic -> waiting) and oldest_waiting_seconds. These two look
at the next ${DEPTH_SAMPLE} jobs to run at most; by_topic_counted says how many they looked at.
Each job is counted under one state: "completed" leaves out the unrouted ones.
With --watch, --json prints one such object a line (NDJSON), each with its "time" (ISO 8601).
Without --json it first names the queue, its Redis and how many workers are connected to it: a
prefix or Redis that is not the services' shows an empty queue with no worker.
It only looks, as doctor and jobs list, show and logs do: nothing is written to Redis, even for a
queue that does not exist yet.`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['printed; with --watch, ended by Ctrl-C'],
          1: ['Redis cannot be reached (--watch tries again until Ctrl-C instead)'],
          2: [
            'a usage or configuration error, such as',
            'a --watch that is not a whole number of seconds',
          ],
        },
        ['loopabull queue', 'loopabull queue --json | jq .by_topic', 'loopabull queue --watch 5'],
      ),
    )
    .action(async (opts: ConfigOpts & { json?: boolean; watch?: number | boolean }) =>
      opts.watch
        ? watch(cli, opts, typeof opts.watch === 'number' ? opts.watch : 2)
        : lookAtQueue(cli, opts, async ({ work }, config) => {
            const [depth, looked] = await look(work, config, opts.json);
            show(depth, Boolean(opts.json), looked);
          }),
    );
