import { Command, Option } from 'commander';
import {
  configOption,
  ConfigError,
  counted,
  exitCodesAndExamples,
  formatDuration,
  parseDuration,
  printJson,
  type CommandEnv,
} from '@loopabull/core/cli';

interface PruneOpts {
  config?: string;
  unusedFor: string;
  dryRun?: boolean;
  json?: boolean;
}

/** `loopabull taskotron prune-git-cache`: remove the mirrors of taskotron.git_cache_dir no longer used. */
export function pruneCommand(env: CommandEnv): Command {
  return configOption(new Command('prune-git-cache'))
    .description('remove the mirrors of taskotron.git_cache_dir that nothing has used for a while')
    .option(
      '--unused-for <duration>',
      'remove a mirror no look of the trigger and no job has used for this long: 30d, 12h, 90m',
      '30d',
    )
    .option('--dry-run', 'say which mirrors would be removed, remove nothing')
    .addOption(
      new Option(
        '--json',
        'print {removed: [{mirror, last_used}], kept, failed: [{mirror, last_used, reason}]} as JSON',
      ),
    )
    .addHelpText(
      'after',
      `
The git cache keeps one bare mirror per repository of discovered checks,
<git_cache_dir>/<sha256 of the URL>.git; nothing else removes them. Each look of the trigger and
each job's checkout marks its mirror used (the mtime of <sha256>.lock beside it). A mirror unused
for --unused-for is removed while holding that lock, so a fetch into it is never cut short (the
command waits for it, up to taskotron.git_timeout); one used while it waited is kept. Its empty
lock file stays. Removing a mirror still needed costs one full fetch of its repository when it
is next used. A mirror whose lock stays held past the timeout (a fetch that hangs) is left, said
on standard error, and the others are pruned all the same; the exit code is then 1. Safe while
workers run; run it from a timer (docs/operating.md).
` +
        exitCodesAndExamples(
          `0 pruned (also when nothing was unused), 1 a mirror was left (its lock held past
taskotron.git_timeout, or removing it failed; the others are pruned) or git_cache_dir cannot be
read, 2 a --unused-for that is no duration, taskotron.git_cache_dir null, or a configuration
error.`,
          [
            'loopabull taskotron prune-git-cache --unused-for 30d --dry-run',
            'loopabull taskotron prune-git-cache --json',
          ],
        ),
    )
    .action(async (opts: PruneOpts) => {
      const unusedFor = parseDuration(opts.unusedFor);
      if (unusedFor === null)
        throw new ConfigError(
          `--unused-for ${JSON.stringify(opts.unusedFor)}: expected a duration (30d, 12h, 90m)`,
        );
      const config = env.loadConfig(opts);
      const [{ commandSettings, taskotronPaths }, { pruneGitCache }] = await Promise.all([
        import('./section.js'),
        import('./git-cache-prune.js'),
      ]);
      const settings = commandSettings(config);
      const { gitCacheDir } = taskotronPaths(settings);
      if (gitCacheDir === null)
        throw new ConfigError('taskotron.git_cache_dir is null: there is no git cache to prune');
      const result = await pruneGitCache(gitCacheDir, {
        unusedForSeconds: unusedFor,
        timeoutSeconds: settings.section.git_timeout,
        dryRun: opts.dryRun === true,
      });
      if (result.failed.length) process.exitCode = 1;
      if (opts.json) return printJson((t) => process.stdout.write(t), result);
      for (const m of result.failed)
        process.stderr.write(`loopabull: could not remove ${m.mirror}: ${m.reason}\n`);
      const verb = opts.dryRun ? 'would remove' : 'removed';
      const lines = result.removed.map((m) => `${verb} ${m.mirror} (last used ${m.last_used})`);
      const failed = result.failed.length ? `, ${result.failed.length} not removed` : '';
      const summary = `${gitCacheDir}: ${counted(result.removed.length, 'mirror')} ${opts.dryRun ? 'to remove' : 'removed'}${failed}, ${result.kept} kept (used within ${formatDuration(unusedFor)})`;
      process.stdout.write([...lines, summary, ''].join('\n'));
    });
}
