import { Command } from 'commander';
import { ConfigError, topicAllowed, topicProblem } from '@loopabull/core/cli';
import { jsonOption, printJson, withConfig, type ConfigOpts, type Cli } from '../options.js';

export const resolveCommand = (cli: Cli) =>
  withConfig(new Command('resolve'))
    .description('which file a topic would run, and why')
    .argument('<topic>', 'e.g. org.fedoraproject.prod.buildsys.build.state.change')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
A topic that routing_keys does not list is "filtered": the looper acks and drops its messages,
so nothing runs whatever file exists (--json adds "filtered": true).
Exit code 0 whether a file is found or the topic is unrouted or filtered; 1 when the playbooks
directory is missing (jobs then fail and are retried, never unrouted); 2 for a topic that is not
valid.`,
    )
    .action(async (topic: string, opts: ConfigOpts & { json?: boolean }) => {
      // A usage error, as for `run` and `publish`: the topic names no file it could run.
      const problem = topicProblem(topic);
      if (problem) throw new ConfigError(problem);
      const { resolveAutomation } = await import('@loopabull/worker');
      const config = cli.loadConfig(opts);
      const resolution = resolveAutomation(config, topic);
      // 0.0.7's filter runs before any of this: a topic it drops never becomes a job.
      const filtered = !topicAllowed(topic, config.routing_keys);
      if (opts.json) return printJson(filtered ? { ...resolution, filtered } : resolution);
      if (filtered) {
        process.stdout.write(
          `filtered: routing_keys does not list ${topic}: the looper drops its messages, nothing runs\n` +
            `  without the filter: ${resolution.found ? resolution.found.file : 'no automation'}\n`,
        );
      } else if (resolution.found) {
        process.stdout.write(
          `${resolution.found.file}\n  ${resolution.found.kind}: ${resolution.found.why}\n`,
        );
      } else {
        process.stdout.write(
          `unrouted: no automation for ${topic}\n  tried: ${resolution.tried.join('\n         ')}\n`,
        );
      }
    });
