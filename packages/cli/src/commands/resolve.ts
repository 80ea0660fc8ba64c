import { Command } from 'commander';
import { ConfigError, topicProblem } from '@loopabull/core';
import { jsonOption, printJson, withConfig, type ConfigOpts, type Cli } from '../options.js';

export const resolveCommand = (cli: Cli) =>
  withConfig(new Command('resolve'))
    .description('which file a topic would run, and why')
    .argument('<topic>')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExit code 0 whether a file is found or the topic is unrouted; 1 when the playbooks directory\nis missing (jobs then fail and are retried, never unrouted); 2 for a topic that is not valid.',
    )
    .action(async (topic: string, opts: ConfigOpts & { json?: boolean }) => {
      // A usage error, as for `run` and `publish`: the topic names no file it could run.
      const problem = topicProblem(topic);
      if (problem) throw new ConfigError(problem);
      const { resolveAutomation } = await import('@loopabull/worker');
      const resolution = await resolveAutomation(cli.loadConfig(opts), topic);
      if (opts.json) return printJson(resolution);
      if (resolution.found) {
        process.stdout.write(
          `${resolution.found.file}\n  ${resolution.found.kind}: ${resolution.found.why}\n`,
        );
      } else {
        process.stdout.write(
          `unrouted: no automation for ${topic}\n  tried: ${resolution.tried.join('\n         ')}\n`,
        );
      }
    });
