/**
 * git.ts with the real git: repositories are bare ones made by the test, reached by file://
 * URLs; a local HTTP server stands for a remote that asks for credentials or never answers.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  entriesOfTempDirs,
  gitHead,
  gitPush,
  gitRepo,
  processAlive,
  processTree,
  removeTempDirs,
  tempDir,
  waitFor,
} from '@test/support';
import {
  cloneDirPrefix,
  discoverChecks,
  GitError,
  sweepClones,
  withBranchHead,
  withClone,
  withCommit,
} from './git.js';

const CHECK = '- hosts: localhost\n  tasks: []\n';
const options = { timeoutSeconds: 20 };
/**
 * The clones this process has in the tmp directory: only its own, as test files running beside
 * it clone too, and a count of theirs would change while a test looks.
 */
const clones = () => entriesOfTempDirs(cloneDirPrefix(process.pid));

afterAll(() => removeTempDirs());

describe('discoverChecks', () => {
  const repo = gitRepo({
    master: { 'tests/tests.yml': CHECK, README: 'x' },
    f41: { 'tests/tests.yml': CHECK, 'tests/smoke/tests.yml': CHECK, spec: 'x' },
  });

  it('lists the checks of the branch, recursive or not, and the commit it is at', async () => {
    expect(await discoverChecks({ repo, branch: 'f41', recursive: false }, options)).toEqual({
      branch: 'f41',
      commit: gitHead(repo, 'f41'),
      checks: ['tests'],
      skipped: [],
    });
    expect(
      (await discoverChecks({ repo, branch: 'f41', recursive: true }, options)).checks,
    ).toEqual(['tests', 'tests/smoke']);
  });

  it('falls back to fallback_branch when the branch does not exist, and says when neither does', async () => {
    const d = { repo, branch: 'f99', fallback_branch: 'master', recursive: true };
    expect(await discoverChecks(d, options)).toEqual({
      branch: 'master',
      commit: gitHead(repo, 'master'),
      checks: ['tests'],
      skipped: [],
    });
    await expect(discoverChecks({ ...d, fallback_branch: 'main' }, options)).rejects.toThrow(
      `${repo} has no branch "f99" nor fallback branch "main"`,
    );
  });

  it('names the repository and what git said when it cannot be read, and leaves no clone behind', async () => {
    const before = clones().length;
    const gone = repo.replace('repo.git', 'nothing.git');
    await expect(
      discoverChecks({ repo: gone, branch: 'master', recursive: false }, options),
    ).rejects.toThrow(
      new RegExp(`^git ls-remote ${gone}: .*(does not appear to be a git repository|not found)`),
    );
    expect(clones().length).toBe(before);
  });

  it('refuses URLs that would run a command or be read as an option, before running git', async () => {
    for (const bad of [
      'ext::sh -c "touch /tmp/pwned"',
      '--upload-pack=touch /tmp/pwned',
      'ssh://h/r',
    ])
      await expect(
        discoverChecks({ repo: bad, branch: 'master', recursive: false }, options),
      ).rejects.toThrow(GitError);
    await expect(
      discoverChecks({ repo, branch: '--upload-pack=touch /tmp/pwned', recursive: false }, options),
    ).rejects.toThrow(/starts with -/);
  });
});

describe('withClone', () => {
  it('removes the clone afterwards, also when what uses it throws', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': CHECK } });
    let seen = '';
    await expect(
      withClone(repo, 'main', options, async (dir) => {
        seen = dir;
        expect(readdirSync(`${dir}/tests`)).toEqual(['tests.yml']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(clones().some((c) => seen.includes(c))).toBe(false);
  });

  const serve = async (handler: Parameters<typeof createServer>[1]) => {
    const server: Server = createServer(handler);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}/r.git`, server };
  };

  it('clones a repository served as static files (dumb HTTP), which git cannot clone shallow', async () => {
    const bare = fileURLToPath(
      gitRepo({
        master: { README: 'x' },
        f41: { 'tests/tests.yml': CHECK, 'tests/smoke/tests.yml': CHECK },
      }),
    );
    execFileSync('git', ['update-server-info'], { cwd: bare });
    // A plain file server, as `python3 -m http.server` in front of a bare repository.
    const { server, url } = await serve((req, res) => {
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname).replace(
        /^\/r\.git\//,
        '',
      );
      try {
        res.end(readFileSync(join(bare, path)));
      } catch {
        res.writeHead(404).end();
      }
    });
    try {
      const before = clones().length;
      expect(await discoverChecks({ repo: url, branch: 'f41', recursive: true }, options)).toEqual({
        branch: 'f41',
        commit: gitHead(`file://${bare}`, 'f41'),
        checks: ['tests', 'tests/smoke'],
        skipped: [],
      });
      expect(
        await withClone(url, 'f41', options, async (dir) => readdirSync(join(dir, 'tests'))),
      ).toEqual(['smoke', 'tests.yml']);
      // Nor fetch a commit by its id: the branch is fetched whole, and holds the commit.
      const seen = gitHead(`file://${bare}`, 'f41');
      gitPush(`file://${bare}`, 'f41', { 'tests/tests.yml': CHECK });
      execFileSync('git', ['update-server-info'], { cwd: bare });
      expect(
        await withCommit(url, 'f41', seen, options, async (dir) => readdirSync(join(dir, 'tests'))),
      ).toEqual(['smoke', 'tests.yml']);
      expect(clones().length).toBe(before);
    } finally {
      server.close();
    }
  });

  it('asks for no credentials: a remote that wants them fails at once', async () => {
    const { url, server } = await serve((_req, res) => {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' }).end();
    });
    try {
      const started = Date.now();
      await expect(withClone(url, 'main', options, async () => 'cloned')).rejects.toThrow(
        /^git clone http:\/\/127\.0\.0\.1:\d+\/r\.git \(branch main\): .*(terminal prompts disabled|Authentication failed|could not read Username)/,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      server.close();
    }
  });

  it('kills a clone that takes longer than the timeout, or when the worker stops, and says so', async () => {
    const { url, server } = await serve(() => {
      // Never answers.
    });
    try {
      await expect(
        withClone(url, 'main', { timeoutSeconds: 1 }, async () => 'cloned'),
      ).rejects.toThrow(/: git took longer than 1 s$/);
      // The worker stopping kills it at once.
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 200);
      const started = Date.now();
      await expect(
        withClone(url, 'main', { timeoutSeconds: 60, signal: stop.signal }, async () => 'cloned'),
      ).rejects.toThrow(/: stopped: the worker is shutting down$/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('ends a clone whose worker died (SIGKILL) a few seconds after the timeout, not never', async () => {
    const { url, server } = await serve(() => {
      // Never answers.
    });
    // A worker cloning from it (the built module, in a process of its own), then killed.
    const module = new URL('../dist/git.js', import.meta.url).href;
    const worker = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { withClone } = await import(${JSON.stringify(module)});
         await withClone(${JSON.stringify(url)}, 'main', { timeoutSeconds: 1 }, async () => 'cloned');`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const gits = await waitFor(() => {
        const below = processTree(worker.pid!).slice(1);
        return below.length >= 2 ? below : null;
      });
      worker.kill('SIGKILL');
      // git and its helpers outlive the worker, but not git_timeout and the grace after it.
      await waitFor(() => !gits.some(processAlive), {
        timeout: 12_000,
        what: 'git to end without its worker',
      });
    } finally {
      worker.kill('SIGKILL');
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('withCommit', () => {
  const check = (dir: string) => readFileSync(join(dir, 'tests', 'tests.yml'), 'utf8');

  it('checks out the commit asked for, not what the branch holds by now, and removes it afterwards', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': 'A' } });
    const a = gitHead(repo, 'main');
    gitPush(repo, 'main', { 'tests/tests.yml': 'B' });
    const before = clones().length;
    expect(await withCommit(repo, 'main', a, options, async (dir) => check(dir))).toBe('A');
    // Also a commit the branch no longer holds (pushed over), while the server keeps it.
    gitPush(repo, 'main', { 'tests/tests.yml': 'C' });
    expect(await withClone(repo, 'main', options, async (dir) => check(dir))).toBe('C');
    expect(await withCommit(repo, undefined, a, options, async (dir) => check(dir))).toBe('A');
    expect(clones().length).toBe(before);
  });

  it('fails naming the repository and the commit when the server no longer has it', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': 'A' } });
    const a = gitHead(repo, 'main');
    gitPush(repo, 'main', { 'tests/tests.yml': 'B' }, { rewrite: true });
    const before = clones().length;
    const fetching = withCommit(repo, 'main', a, options, async () => 'fetched');
    await expect(fetching).rejects.toThrow(GitError);
    await expect(fetching).rejects.toThrow(
      new RegExp(
        `^git fetch ${repo} \\(branch main, commit ${a}\\): the server has no such commit: by id: .*not our ref ${a}.*; branch main, fetched whole, does not hold it \\(pushed over\\?\\)$`,
      ),
    );
    // The branch gone too: what git said of each fetch.
    await expect(withCommit(repo, 'gone', a, options, async () => 'fetched')).rejects.toThrow(
      /: by id: .*not our ref.*; then branch gone whole: .*couldn't find remote ref refs\/heads\/gone/,
    );
    expect(clones().length).toBe(before);
  });

  it('refuses what is no full commit id before running git: no option, revision or short id', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': 'A' } });
    for (const bad of ['HEAD', 'main', '--upload-pack=touch /tmp/pwned', 'abc123', 'A'.repeat(40)])
      await expect(withCommit(repo, 'main', bad, options, async () => 'fetched')).rejects.toThrow(
        /is not a commit id \(40 or 64 lower-case hex digits\)$/,
      );
    await expect(
      withCommit('--upload-pack=x', 'main', gitHead(repo, 'main'), options, async () => 'x'),
    ).rejects.toThrow(/starts with -/);
  });
});

describe('the git cache (cacheDir)', () => {
  const check = (dir: string) => readFileSync(join(dir, 'tests', 'tests.yml'), 'utf8');
  const hashOf = (url: string) => createHash('sha256').update(url).digest('hex');

  it('serves the look and the checkout of a commit from one mirror per repository, named after the hash of its URL', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': 'A' } });
    const cacheDir = join(tempDir('gitcache'), 'cache');
    const cached = { ...options, cacheDir };
    const found = await discoverChecks({ repo, branch: 'main', recursive: false }, cached);
    const a = gitHead(repo, 'main');
    expect(found).toEqual({ branch: 'main', commit: a, checks: ['tests'], skipped: [] });
    expect(readdirSync(cacheDir).sort()).toEqual([`${hashOf(repo)}.git`, `${hashOf(repo)}.lock`]);
    const b = gitPush(repo, 'main', { 'tests/tests.yml': 'B' });
    const before = clones().length;
    // B is not in the mirror yet: fetched into it; A is.
    expect(await withCommit(repo, 'main', b, cached, async (dir) => check(dir))).toBe('B');
    expect(await withCommit(repo, 'main', a, cached, async (dir) => check(dir))).toBe('A');
    expect(clones().length).toBe(before);
    // Pushed over and gone from the server: the mirror still holds A, and serves it without it.
    gitPush(repo, 'main', { 'tests/tests.yml': 'C' }, { rewrite: true });
    const path = fileURLToPath(repo);
    execFileSync('mv', [path, `${path}.away`]);
    expect(await withCommit(repo, 'main', a, cached, async (dir) => check(dir))).toBe('A');
    execFileSync('mv', [`${path}.away`, path]);
    // A commit neither the mirror nor the server has: named, with the repository.
    const gone = 'f'.repeat(40);
    await expect(withCommit(repo, 'main', gone, cached, async () => 'x')).rejects.toThrow(
      new RegExp(
        `^git fetch ${repo} \\(branch main, commit ${gone}\\): the server has no such commit: branch main, fetched into the git cache, does not hold it \\(pushed over\\?\\); by id into the git cache: .*not our ref`,
      ),
    );
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });

  it('checks out what the branch holds now for a job without a commit: fetched into the mirror and checked out from there, its commit said', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': 'A' } });
    const cacheDir = join(tempDir('gitcache'), 'cache');
    const cached = { ...options, cacheDir };
    const head = (branch: string | undefined, opts: typeof options = cached) =>
      withBranchHead(repo, branch, opts, async (dir, commit) => [check(dir), commit]);
    const a = gitHead(repo, 'main');
    const before = clones().length;
    expect(await head('main')).toEqual(['A', a]);
    expect(readdirSync(cacheDir).sort()).toEqual([`${hashOf(repo)}.git`, `${hashOf(repo)}.lock`]);
    const b = gitPush(repo, 'main', { 'tests/tests.yml': 'B' });
    // The branch is fetched again: its new head, also as the default branch.
    expect(await head('main')).toEqual(['B', b]);
    expect(await head(undefined)).toEqual(['B', b]);
    expect(clones().length).toBe(before);
    // Both are in the mirror: a job pinned to A runs with the server away.
    const path = fileURLToPath(repo);
    execFileSync('mv', [path, `${path}.away`]);
    expect(await withCommit(repo, 'main', a, cached, async (dir) => check(dir))).toBe('A');
    await expect(head('main')).rejects.toThrow(
      new RegExp(`^git fetch ${repo} \\(branch main\\) into the git cache: `),
    );
    execFileSync('mv', [`${path}.away`, path]);
    // Without the cache: a shallow clone, and the commit it is at.
    expect(await head('main', options)).toEqual(['B', b]);
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });

  it('lets two workers fetch into one mirror at once: one waits for the lock of the other, and the mirror stays sound', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': 'A' } });
    const cacheDir = tempDir('gitcache');
    const cached = { ...options, cacheDir };
    const a = gitHead(repo, 'main');
    const b = gitPush(repo, 'main', { 'tests/tests.yml': 'B' });
    expect(
      await Promise.all([
        withCommit(repo, 'main', a, cached, async (dir) => check(dir)),
        withCommit(repo, 'main', b, cached, async (dir) => check(dir)),
        discoverChecks({ repo, branch: 'main', recursive: false }, cached).then((d) => d.commit),
        withCommit(repo, 'main', b, cached, async (dir) => check(dir)),
      ]),
    ).toEqual(['A', 'B', b, 'B']);
    const mirror = join(cacheDir, `${hashOf(repo)}.git`);
    execFileSync('git', ['fsck', '--strict'], { cwd: mirror, stdio: 'pipe' });
    // Another process holding the lock (as a worker fetching), until it is killed: the fetch
    // waits for it. Held for good rather than for a time, which a loaded machine could use up
    // before the fetch even asked for it. Its group is killed: `sleep` holds the lock too.
    const c = gitPush(repo, 'main', { 'tests/tests.yml': 'C' });
    const holder = spawn('flock', [join(cacheDir, `${hashOf(repo)}.lock`), 'sleep', '300'], {
      stdio: 'ignore',
      detached: true,
    });
    const release = () => {
      try {
        process.kill(-holder.pid!, 'SIGKILL');
      } catch {
        // Gone already.
      }
    };
    try {
      await waitFor(() => processTree(holder.pid!).length >= 2);
      await expect(
        withCommit(repo, 'main', c, { ...cached, timeoutSeconds: 1 }, async () => 'x'),
      ).rejects.toThrow(/git took longer than 1 s \(the wait for the git cache lock included\)$/);
      let released = false;
      const fetched = withCommit(repo, 'main', c, cached, async (dir) => [released, check(dir)]);
      // Still waiting a second on: nothing but the lock's release lets it go on.
      const waited = await Promise.race([
        fetched.then(() => 'finished under the lock'),
        new Promise((resolve) => setTimeout(resolve, 1000, 'waiting')),
      ]);
      expect(waited).toBe('waiting');
      released = true;
      release();
      expect(await fetched).toEqual([true, 'C']);
    } finally {
      release();
    }
  });
});

describe('sweepClones', () => {
  const GIT_JS = new URL('../dist/git.js', import.meta.url).pathname;

  // The run's tmp directory is shared with the test files running beside this one, whose workers
  // sweep it when they start (the taskotron automation does): the clones of a process killed here
  // could be gone before this sweep looked, removed by another. These tests, and the processes
  // they start, get a tmp directory of their own (tmpdir() reads TMPDIR at each call).
  const sharedTmp = process.env.TMPDIR;
  beforeAll(() => void (process.env.TMPDIR = tempDir('sweep')));
  afterAll(() => {
    if (sharedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = sharedTmp;
  });

  /**
   * Another process (the built git.ts) holding a clone of `repo` open: its clone's path. With
   * `wrap`, the command that runs it (another PID namespace).
   */
  async function holding(repo: string, wrap: string[] = []) {
    const script = `const { withClone } = await import(${JSON.stringify(GIT_JS)});
await withClone(${JSON.stringify(repo)}, 'main', { timeoutSeconds: 20 }, async (dir) => {
  console.log(dir);
  await new Promise(() => setInterval(() => {}, 1000));
});`;
    const node = [process.execPath, '--input-type=module', '-e', script];
    const [command, ...args] = [...wrap, ...node];
    const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const clone = line.toString().trim();
    // <tmpdir>/loopabull-git-<pid>-<pid namespace>-<host>-XXXXXX/clone-XXXXXX/repo
    return { child, clone, processDir: dirname(dirname(clone)) };
  }

  it("removes the clones of a process killed mid-clone, never a live process's", async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': CHECK } });
    const killed = await holding(repo);
    const live = await holding(repo);
    try {
      // Ours too: this process is alive. Made by hand: this process makes its clone directory
      // once, and may have made it in the shared tmp directory before this describe's.
      const mine = join(mkdtempSync(join(tmpdir(), cloneDirPrefix(process.pid))), 'clone-AbC123');
      mkdirSync(mine);
      killed.child.kill('SIGKILL');
      await once(killed.child, 'exit');
      expect(existsSync(killed.clone)).toBe(true);
      const removed = await sweepClones();
      expect(removed).toContain(killed.processDir);
      expect(existsSync(killed.processDir)).toBe(false);
      expect(removed).not.toContain(live.processDir);
      expect(existsSync(join(live.clone, 'tests', 'tests.yml'))).toBe(true);
      expect(existsSync(mine)).toBe(true);
    } finally {
      live.child.kill('SIGKILL');
      await once(live.child, 'exit');
    }
    expect(await sweepClones()).toContain(live.processDir);
  });

  // A new PID namespace needs root (unshare), as a container runtime has.
  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot(
    'keeps the clones of a live process of another PID namespace sharing the tmp directory and hostname',
    async () => {
      const repo = gitRepo({ main: { 'tests/tests.yml': CHECK } });
      // Its node gets a pid that no process of ours has: to us that process is not running.
      let pid = 20000;
      while (processAlive(pid)) pid++;
      const other = await holding(repo, [
        ...['unshare', '--pid', '--kill-child', '--mount-proc', 'sh', '-c'],
        `echo ${pid - 1} > /proc/sys/kernel/ns_last_pid && "$@"`,
        'sh',
      ]);
      try {
        expect(basename(other.processDir)).toMatch(new RegExp(`^loopabull-git-${pid}-`));
        expect(await sweepClones()).not.toContain(other.processDir);
        expect(existsSync(join(other.clone, 'tests', 'tests.yml'))).toBe(true);
      } finally {
        other.child.kill('SIGKILL');
        await once(other.child, 'exit');
        rmSync(other.processDir, { recursive: true, force: true });
      }
    },
  );
});
