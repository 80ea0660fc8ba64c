import { Command } from 'commander';
import {
  bindingsDeliver,
  ConfigError,
  exitCodesAndExamples,
  topicAllowed,
  topicProblem,
} from '@loopabull/core/cli';
import { jsonOption, printJson, withConfig, type ConfigOpts, type Cli } from '../options.js';
import { resolveText } from './resolve-text.js';

export const resolveCommand = (cli: Cli) =>
  withConfig(new Command('resolve'))
    .description('which file a topic would run, and why')
    .argument('<topic>', 'e.g. org.fedoraproject.prod.buildsys.build.state.change')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
A topic that no entry of bus.bindings matches is "unbound": the broker never delivers its
messages to the looper, so nothing runs whatever file exists (--json adds "unbound": true); what
would run were it delivered follows. A topic that routing_keys does not list is "filtered": the
looper acks and drops its messages, so nothing runs either (--json adds "filtered": true).`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['a file is found, or the topic is unrouted, unbound or filtered'],
          1: [
            'the playbooks directory does not exist (jobs would fail and be retried, not end unrouted)',
          ],
          2: ['a usage or configuration error, such as', 'a topic that breaks the topic rule'],
        },
        [
          'loopabull resolve org.fedoraproject.prod.buildsys.build.state.change',
          'loopabull resolve loopabull.demo.build.state.change --json',
        ],
      ),
    )
    .action(async (topic: string, opts: ConfigOpts & { json?: boolean }) => {
      // A usage error, as for `run` and `publish`: the topic names no file it could run.
      const problem = topicProblem(topic);
      if (problem) throw new ConfigError(problem);
      // Resolution alone, not the worker: no BullMQ, ioredis or execa to load for a lookup.
      const { resolveAutomation } = await import('@loopabull/worker/resolve');
      const config = cli.loadConfig(opts);
      const resolution = resolveAutomation(config, topic);
      // The broker decides first: a message no binding matches never reaches the looper.
      const unbound = !bindingsDeliver(config.bus, topic);
      // 0.0.7's filter runs next: a topic it drops never becomes a job.
      const filtered = !topicAllowed(topic, config.routing_keys);
      if (opts.json)
        return printJson({
          ...resolution,
          ...(filtered ? { filtered } : {}),
          ...(unbound ? { unbound } : {}),
        });
      process.stdout.write(
        resolveText(resolution, { filtered, unbound: unbound ? config.bus.bindings : null }),
      );
    });
