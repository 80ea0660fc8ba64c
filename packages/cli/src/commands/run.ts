import { Command } from 'commander';
import { ConfigError, topicProblem, type LoopabullEvent } from '@loopabull/core';
import { runOnce } from '@loopabull/worker';
import { randomUUID } from 'node:crypto';
import {
  bodyOptions,
  configFrom,
  printJson,
  readBody,
  withConfig,
  type BodyOpts,
  type ConfigOpts,
} from '../options.js';

export const runCommand = () =>
  bodyOptions(withConfig(new Command('run')))
    .description('run the automation for a topic once, in the foreground, without the queue')
    .argument('<topic>')
    .option('--dry-run', 'show the file that would run and the variables it would get, run nothing')
    .action(async (topic: string, opts: ConfigOpts & BodyOpts & { dryRun?: boolean }) => {
      const problem = topicProblem(topic);
      if (problem) throw new ConfigError(problem);
      const config = configFrom(opts);
      const now = new Date().toISOString();
      const event: LoopabullEvent = {
        id: randomUUID(),
        topic,
        body: readBody(opts),
        headers: {},
        exchange: '',
        routing_key: topic,
        sent_at: now,
        received_at: now,
      };
      const outcome = await runOnce(config, event, {
        dryRun: Boolean(opts.dryRun),
        log: (line: string) => process.stdout.write(line + '\n'),
      });
      printJson(outcome);
    });
