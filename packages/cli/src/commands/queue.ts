import { Command } from 'commander';
import { DEPTH_SAMPLE, DEPTH_STATES, type QueueDepth } from '@loopabull/core';
import {
  jsonOption,
  printJson,
  printTable,
  withConfig,
  positiveInt,
  withQueue,
  type ConfigOpts,
  type Cli,
} from '../options.js';

function show(depth: QueueDepth, json: boolean) {
  if (json) return printJson(depth);
  printTable([...DEPTH_STATES], [DEPTH_STATES.map((s) => depth[s])]);
  process.stdout.write(
    `oldest waiting: ${Math.round(depth.oldest_waiting_seconds)} s${depth.paused ? '   (PAUSED: loopabull resume)' : ''}\n`,
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

export const queueCommand = (cli: Cli) =>
  withConfig(new Command('queue'))
    .description('show the backlog: jobs by state, waiting jobs by topic, age of the oldest')
    .addOption(jsonOption())
    .option(
      '--watch [seconds]',
      'print again every few seconds (default 2) until Ctrl-C; on a terminal, in place',
      positiveInt,
    )
    .addHelpText(
      'after',
      `
--json prints one object: waiting, active, delayed, failed, completed, unrouted, parked
(numbers), paused, by_topic (topic -> waiting) and oldest_waiting_seconds. These two look
at the next ${DEPTH_SAMPLE} jobs to run at most; by_topic_counted says how many they looked at.
Each job is counted under one state: "completed" leaves out the unrouted ones.`,
    )
    .action(async (opts: ConfigOpts & { json?: boolean; watch?: number | boolean }) =>
      withQueue(cli, opts, async ({ work }) => {
        if (!opts.watch) return show(await work.depth(), Boolean(opts.json));
        const every = typeof opts.watch === 'number' ? opts.watch : 2;
        // A terminal shows the latest print alone; a pipe or a file gets each one after the last.
        const tty = Boolean(process.stdout.isTTY);
        for (let first = true; ; first = false) {
          const before = tty ? '\x1b[2J\x1b[H' : first ? '' : '\n';
          if (!opts.json) process.stdout.write(`${before}${new Date().toISOString()}\n`);
          show(await work.depth(), Boolean(opts.json));
          await new Promise((r) => setTimeout(r, every * 1000));
        }
      }),
    );
