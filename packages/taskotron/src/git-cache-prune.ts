/**
 * Pruning the git cache (`loopabull taskotron prune-git-cache`): the mirrors that no look of the
 * trigger and no job has used for a while (a repository no rule names any more, a package
 * retired) are removed, each under the lock its fetches take (git.ts), so that no fetch into a
 * mirror is ever cut short.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** A mirror of the git cache: `<sha256 of the URL>.git`, its lock file beside it. */
const MIRROR = /^([0-9a-f]{64})\.git$/;

export interface PrunedMirror {
  /** The mirror's path, `<git_cache_dir>/<sha256 of the repository's URL>.git`. */
  mirror: string;
  /** When a look or a job last used it (ISO 8601, UTC): its lock file's mtime. */
  last_used: string;
}

export interface PruneResult {
  /** Removed, or with `dryRun` those that would be. */
  removed: PrunedMirror[];
  /** Used within the time given (also one used while the prune waited for its lock). */
  kept: number;
  /** Unused, but not removed: its lock stayed held past the timeout, or removing it failed. */
  failed: Array<PrunedMirror & { reason: string }>;
}

export interface PruneOptions {
  /** A mirror whose last use is older than this many seconds is removed. */
  unusedForSeconds: number;
  /** How long to wait for a mirror's lock (a fetch into it running): `taskotron.git_timeout`. */
  timeoutSeconds: number;
  dryRun?: boolean;
  now?: Date;
}

/**
 * When the mirror at `path` was last used: the mtime of its lock file, which every use sets
 * (git.ts, `usedMirror`); a mirror without one, the mirror's own.
 */
const lastUsed = async (path: string, lock: string): Promise<Date> =>
  (await stat(lock).catch(() => stat(path))).mtime;

/**
 * Removes the mirrors of `cacheDir` unused for `unusedForSeconds`. Each is looked at again once
 * its lock is held, and kept if a look or a job used it meanwhile. Its lock file, empty, stays:
 * a worker may be waiting on it, and would hold the lock of a file no longer there while another
 * locks a new one of the same name. A mirror that cannot be removed (its lock held past the
 * timeout by a fetch that hangs) goes to `failed` with the reason, and the others are pruned all
 * the same. A directory that does not exist holds nothing to prune.
 */
export async function pruneGitCache(cacheDir: string, options: PruneOptions): Promise<PruneResult> {
  const cutoff = (options.now ?? new Date()).getTime() - options.unusedForSeconds * 1000;
  const result: PruneResult = { removed: [], kept: 0, failed: [] };
  const names = await readdir(cacheDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const name of names.sort()) {
    const hash = MIRROR.exec(name)?.[1];
    if (hash === undefined) continue;
    const path = join(cacheDir, name);
    const lock = join(cacheDir, `${hash}.lock`);
    const used = await lastUsed(path, lock);
    const removed = { mirror: path, last_used: used.toISOString() };
    if (used.getTime() >= cutoff) result.kept++;
    else if (options.dryRun) result.removed.push(removed);
    else
      await holding(lock, options.timeoutSeconds, async () => {
        if ((await lastUsed(path, lock)).getTime() >= cutoff) return void result.kept++;
        await rm(path, { recursive: true, force: true });
        result.removed.push(removed);
      }).catch((err: unknown) =>
        result.failed.push({ ...removed, reason: (err as Error).message }),
      );
  }
  return result;
}

/** What holds a lock for `holding`: it says so on standard output, then waits for stdin's end. */
const HOLD = "process.stdout.write('held\\n'); process.stdin.resume();";

/**
 * Runs `use` holding the exclusive lock of the file `lock`, as flock(1) takes it around git's
 * fetches, waiting for it at most `timeoutSeconds`. Node cannot flock itself: a child,
 * `flock <lock> node`, holds it, says when it has it and lets go when its standard input closes,
 * when `use` has ended or this process has, however it ended.
 */
async function holding(lock: string, timeoutSeconds: number, use: () => Promise<void>) {
  const holder = execa(
    'flock',
    ['--exclusive', '--wait', String(timeoutSeconds), lock, process.execPath, '-e', HOLD],
    { stdin: 'pipe', reject: false },
  );
  let held = false;
  try {
    held = await new Promise<boolean>((resolve) => {
      holder.stdout!.once('data', () => resolve(true));
      void holder.then(() => resolve(false));
    });
    if (held) await use();
  } finally {
    holder.stdin!.end();
  }
  const r = await holder;
  if (held) return;
  // flock --wait gives up with exit code 1 and says nothing.
  const why =
    r.exitCode === 1 && !r.stderr
      ? `held by another process for longer than ${timeoutSeconds} s (a fetch into the mirror)`
      : String(r.stderr || r.shortMessage);
  throw new Error(`the git cache lock ${lock}: ${why}`);
}
