/**
 * Pruning the git cache with the real git and flock: mirrors made by the trigger's look of bare
 * repositories over file:// URLs, another process holding a mirror's lock as a fetch into it
 * does, and `loopabull taskotron prune-git-cache` as an operator runs it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  gitHead,
  gitRepo,
  processTree,
  removeTempDirs,
  runCli,
  tempDir,
  testConfig,
  waitFor,
} from '@test/support';
import { discoverChecks, mirrorOf, withCommit } from './git.js';
import { pruneGitCache } from './git-cache-prune.js';

afterAll(() => removeTempDirs());

const DAY = 86_400;
const CHECK = '- hosts: localhost\n  tasks: []\n';
const git = { timeoutSeconds: 20 };

/** A cache holding the mirrors of two repositories, the second last used 40 days ago. */
async function cacheOfTwo() {
  const cacheDir = join(tempDir('gitcache'), 'cache');
  const [used, old] = ['used', 'old'].map((name) =>
    gitRepo({ main: { 'x/tests.yml': CHECK } }, name),
  );
  for (const repo of [used!, old!])
    await discoverChecks({ repo, branch: 'main', recursive: false }, { ...git, cacheDir });
  const longAgo = new Date(Date.now() - 40 * DAY * 1000);
  const stale = mirrorOf(cacheDir, old!);
  utimesSync(stale.lock, longAgo, longAgo);
  return { cacheDir, used: used!, old: old!, stale, longAgo };
}

/**
 * Another process holding `lock`, as a worker fetching into the mirror does, until `release`;
 * it exits 0 if the mirror at `path` was whole when it let go.
 */
async function holdLock(lock: string, path: string) {
  const holder = spawn('flock', [lock, 'sh', '-c', 'read line; test -f "$0/HEAD"', path], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  await waitFor(() => processTree(holder.pid!).length >= 2, { what: 'the lock held' });
  return {
    release: async () => {
      const exited = once(holder, 'exit') as Promise<[number | null]>;
      holder.stdin.end('\n');
      return (await exited)[0];
    },
  };
}

/** The prune's flock, waiting for `lock`. */
const waitingFor = (lock: string) =>
  waitFor(
    () =>
      processTree(process.pid).some((pid) => {
        try {
          const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          return args[0] === 'flock' && args.includes(lock);
        } catch {
          return false;
        }
      }),
    { what: 'the prune waiting for the lock' },
  );

describe('pruneGitCache', () => {
  const unused = { unusedForSeconds: 30 * DAY, timeoutSeconds: 20 };

  it('removes the mirrors unused for the time given once it holds their lock, keeps the others and one used while it waited', async () => {
    const { cacheDir, used, old, stale, longAgo } = await cacheOfTwo();
    const fresh = mirrorOf(cacheDir, used);
    const gone = { mirror: stale.path, last_used: longAgo.toISOString() };
    expect(await pruneGitCache(cacheDir, { ...unused, dryRun: true })).toEqual({
      removed: [gone],
      kept: 1,
      failed: [],
    });
    expect(existsSync(stale.path)).toBe(true);

    // A fetch into the old mirror running: the prune waits for it; a job reads the mirror
    // meanwhile, which makes it used, and the prune keeps it.
    let fetching = await holdLock(stale.lock, stale.path);
    let pruning = pruneGitCache(cacheDir, unused);
    await waitingFor(stale.lock);
    const commit = gitHead(old, 'main');
    expect(await withCommit(old, 'main', commit, { ...git, cacheDir }, async () => 'read')).toBe(
      'read',
    );
    expect(await fetching.release()).toBe(0);
    expect(await pruning).toEqual({ removed: [], kept: 2, failed: [] });

    // Unused again: removed once the fetch has let go of the lock, never under it.
    utimesSync(stale.lock, longAgo, longAgo);
    fetching = await holdLock(stale.lock, stale.path);
    pruning = pruneGitCache(cacheDir, unused);
    await waitingFor(stale.lock);
    expect(await fetching.release()).toBe(0);
    expect(await pruning).toEqual({ removed: [gone], kept: 1, failed: [] });
    expect(existsSync(stale.path)).toBe(false);
    // Its lock file stays (a worker may wait on it); the other mirror is whole.
    expect(readdirSync(cacheDir).sort()).toEqual(
      [fresh.path, fresh.lock, stale.lock].map((p) => p.slice(cacheDir.length + 1)).sort(),
    );
    expect(await pruneGitCache(cacheDir, unused)).toEqual({ removed: [], kept: 1, failed: [] });
    // Used again, the repository is fetched into a new mirror.
    expect(
      await withCommit(old, 'main', commit, { ...git, cacheDir }, async (dir) =>
        readdirSync(join(dir, 'x')),
      ),
    ).toEqual(['tests.yml']);
    expect(existsSync(join(stale.path, 'HEAD'))).toBe(true);
  });

  it('leaves a mirror whose lock is held past the timeout, saying why, and prunes the others', async () => {
    const { cacheDir, used, stale, longAgo } = await cacheOfTwo();
    const other = mirrorOf(cacheDir, used);
    utimesSync(other.lock, longAgo, longAgo);
    const fetching = await holdLock(stale.lock, stale.path);
    try {
      expect(await pruneGitCache(cacheDir, { ...unused, timeoutSeconds: 1 })).toEqual({
        removed: [{ mirror: other.path, last_used: longAgo.toISOString() }],
        kept: 0,
        failed: [
          {
            mirror: stale.path,
            last_used: longAgo.toISOString(),
            reason: `the git cache lock ${stale.lock}: held by another process for longer than 1 s (a fetch into the mirror)`,
          },
        ],
      });
      expect(existsSync(other.path)).toBe(false);
    } finally {
      expect(await fetching.release()).toBe(0);
    }
  });

  it('finds nothing to prune in a git cache not made yet', async () => {
    expect(await pruneGitCache(join(tempDir('gitcache'), 'none'), unused)).toEqual({
      removed: [],
      kept: 0,
      failed: [],
    });
  });
});

describe('loopabull taskotron prune-git-cache', () => {
  it('says which mirrors it removes (--dry-run: would remove), as text or --json, and refuses without a git cache', async () => {
    const { cacheDir, stale, longAgo } = await cacheOfTwo();
    const config = testConfig({ overrides: { taskotron: { git_cache_dir: cacheDir } } });
    const prune = (...args: string[]) =>
      runCli(['taskotron', 'prune-git-cache', ...args, '--config', config.configPath]);
    const last = longAgo.toISOString();
    expect(await prune('--dry-run')).toMatchObject({
      code: 0,
      stdout: `would remove ${stale.path} (last used ${last})\n${cacheDir}: 1 mirror to remove, 1 kept (used within 30d)\n`,
    });
    expect(existsSync(stale.path)).toBe(true);
    // 41 days: neither is that old.
    const kept = await prune('--unused-for', '41d', '--json');
    expect(JSON.parse(kept.stdout)).toEqual({ removed: [], kept: 2, failed: [] });
    expect(await prune('--unused-for', '4w')).toMatchObject({
      code: 0,
      stdout: `removed ${stale.path} (last used ${last})\n${cacheDir}: 1 mirror removed, 1 kept (used within 28d)\n`,
    });
    expect(existsSync(stale.path)).toBe(false);

    // A mirror whose fetch hangs past taskotron.git_timeout: left, said, exit code 1.
    const hung = await cacheOfTwo();
    const hungConfig = testConfig({
      overrides: { taskotron: { git_cache_dir: hung.cacheDir, git_timeout: 1 } },
    });
    const fetching = await holdLock(hung.stale.lock, hung.stale.path);
    try {
      expect(
        await runCli(['taskotron', 'prune-git-cache', '--config', hungConfig.configPath]),
      ).toMatchObject({
        code: 1,
        stdout: `${hung.cacheDir}: 0 mirrors removed, 1 not removed, 1 kept (used within 30d)\n`,
        stderr: `loopabull: could not remove ${hung.stale.path}: the git cache lock ${hung.stale.lock}: held by another process for longer than 1 s (a fetch into the mirror)\n`,
      });
    } finally {
      expect(await fetching.release()).toBe(0);
    }

    expect(await prune('--unused-for', 'soon')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--unused-for "soon": expected a duration (30d, 12h, 90m)'),
    });
    const uncached = testConfig();
    const none = await runCli(['taskotron', 'prune-git-cache', '--config', uncached.configPath]);
    expect(none).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'taskotron.git_cache_dir is null: there is no git cache to prune',
      ),
    });
  });
});
