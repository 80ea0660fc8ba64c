import { Command, Option } from 'commander';
import {
  configOption,
  ConfigError,
  exitCodesAndExamples,
  printJson,
  type CommandEnv,
} from '@loopabull/core/cli';
import { replaySummary, type ReplayOpts } from './replay-lines.js';

/** `loopabull taskotron replay`: re-trigger from saved messages or from the job log. */
export function replayCommand(env: CommandEnv): Command {
  return configOption(new Command('replay'))
    .description(
      'schedule checks again: from saved Fedora messages, or the job log over a time range',
    )
    .argument(
      '[files...]',
      'saved messages (JSON: one, a list, or one per line; - for standard input)',
    )
    .option(
      '--since <time>',
      'replay the jobs the job log holds from this time (ISO 8601, UTC unless it has an offset; or how long ago: 90m, 2h, 2d)',
    )
    .option('--until <time>', 'with --since: up to this time, excluded (default: now)')
    .option(
      '--unfinished',
      'with --since: only jobs that never finished, and those the queue parked (their last try failed)',
    )
    .option('--force', 'schedule also what was scheduled within taskotron.dedup_window')
    .option('--dry-run', 'say what would be scheduled; schedule, publish and change nothing')
    .addOption(new Option('--json', 'print {lines, summary} as JSON'))
    .addHelpText(
      'after',
      `
From files: each message ({topic, id, body} as fedora-messaging serializes it, or
{topic, msg_id, msg} as fedmsg and datagrepper give it; a page of datagrepper's /raw too) runs
through the trigger rules in this process, as a worker would run it, and each wanted check is
published as a new taskotron.job and logged; a Koji tag change schedules at once, without its
fuse.
From the job log (--since): each logged job is published again with a new uuid and the trigger
of the original, so lost or failed runs happen again.
Either way a check scheduled within taskotron.dedup_window is a duplicate and left alone unless
--force is given.
` +
        exitCodesAndExamples(
          `0 replayed (also when nothing was scheduled: no rule wanted a check, or all were
duplicates), 1 Redis, the broker or the job log cannot be reached, or the rules file does not
load, 2 usage: files and --since together, a file that cannot be read or is not messages, a time
it cannot read, or a range with no time in it (--until not after --since, --since not before
now).`,
          [
            'loopabull taskotron replay dump.jsonl --dry-run',
            'loopabull taskotron replay --since 2h --unfinished',
            'loopabull taskotron replay --since 2026-11-29T00:00Z --until 2026-11-30T00:00Z --force',
          ],
        ),
    )
    .action(async (files: string[], opts: ReplayOpts) => {
      if (files.length === 0 && opts.since === undefined)
        throw new ConfigError('give message files or --since');
      if (files.length > 0 && opts.since !== undefined)
        throw new ConfigError('give message files or --since, not both');
      if (opts.since === undefined && (opts.until !== undefined || opts.unfinished))
        throw new ConfigError('--until and --unfinished go with --since');
      const config = env.loadConfig(opts);
      const { replayJobLog, replayMessages } = await import('./replay-run.js');
      const lines = files.length
        ? await replayMessages(config, files, opts)
        : await replayJobLog(config, opts);
      const summary = replaySummary(
        lines,
        files.length ? 'message' : 'logged job',
        opts.dryRun === true,
      );
      if (opts.json) return printJson((t) => process.stdout.write(t), { lines, summary });
      process.stdout.write([...lines.map((l) => l.what), summary, ''].join('\n'));
    });
}
