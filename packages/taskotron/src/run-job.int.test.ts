/**
 * The `taskotron.job` handler as a worker runs it: the shipped playbooks/taskotron.job.mjs
 * through `runOnce` (what `loopabull run` does), the automation started by an AutomationHost on
 * a SQLite database, real ansible-playbook, and the result events on a real RabbitMQ.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  AutomationHost,
  createLogger,
  jobIdFor,
  openQueueServices,
  type Config,
} from '@loopabull/core';
import { Database } from '@loopabull/database';
import { startServer } from '@loopabull/server';
import { runOnce } from '@loopabull/worker';
import {
  cleanUpTest,
  entriesOfTempDirs,
  freePort,
  gitHead,
  gitPush,
  gitRepo,
  localPlaybook,
  processAlive,
  processTree,
  removeTempDirs,
  runCli,
  startCli,
  tempDir,
  testConfig,
  testEvent,
  undoAfterEach,
  waitFor,
  watchPublished,
} from '@test/support';
import { taskotron } from './automation.js';
import { cloneDirPrefix } from './git.js';
import { JobLog } from './job-log.js';
import { JOB_TOPIC } from './trigger.js';
import { ResultsStore } from './resultsdb/store.js';

afterAll(() => removeTempDirs());
const undo = undoAfterEach();

const PLAYBOOKS = new URL('../../../playbooks', import.meta.url).pathname;
const logger = createLogger('test', 'error');
const ITEM = 'ansible-1.8.3-1.el7';
const TOKEN = 'run-job-test-token';

async function started(
  section: Record<string, unknown> = {},
  http: Record<string, unknown> = {},
  queue: Record<string, unknown> = {},
  ansible: Record<string, unknown> = {},
) {
  const config = testConfig({
    overrides: {
      loglevel: 'error',
      queue,
      ansible: { playbooks_dir: PLAYBOOKS, ...ansible },
      http,
      taskotron: { artifacts_dir: tempDir('artifacts'), ...section },
    },
    automations: [taskotron],
  });
  undo(() => cleanUpTest(config));
  const host = await new AutomationHost(config, [taskotron], logger).start();
  undo(() => host.stop());
  return { config, host };
}

/** The job, run as `loopabull run taskotron.job` runs it; the same `id` is a retry of the job. */
const runJob = (
  config: Config,
  host: AutomationHost,
  body: unknown,
  id: string = `ev-${Math.random()}`,
) =>
  runOnce(config, testEvent(JOB_TOPIC, { id, body }), {
    automation: (name, key) => host.handler(name, key),
  });

const job = (over: Record<string, unknown> = {}) => ({
  item: ITEM,
  item_type: 'koji_build',
  taskname: 'name-lint',
  arch: 'noarch',
  uuid: `u${Math.random().toString(16).slice(2)}`,
  ...over,
});

/** What the automation wrote, read through a connection of the test's own. */
async function stored(config: Config) {
  const db = await Database.open(config.database.url, { baseDir: config.dir, logger });
  undo(() => db.close());
  return { jobs: await JobLog.open(db), store: await ResultsStore.open(db) };
}

/** `loopabull serve` for `started`'s automation, closed after the test. */
async function serving(remote: Awaited<ReturnType<typeof started>>) {
  const server = await startServer(remote.config, remote.host);
  undo(() => server.close());
  return server;
}

/** A task that writes `content` as the check's results.yml. */
const writesResults = (content: string) => ({
  'ansible.builtin.copy': { dest: '{{ artifacts }}/results.yml', content },
});

/** A check in its own tasks directory, named `check`. */
function taskDir(tasks: unknown[]): string {
  const dir = tempDir('tasks');
  mkdirSync(join(dir, 'check'));
  writeFileSync(join(dir, 'check', 'tests.yml'), localPlaybook(tasks));
  return dir;
}

describe('the taskotron.job handler', () => {
  it('runs the shipped name-lint, stores its result with ref_url and group, logs the job, and publishes both result events', async () => {
    const { config, host } = await started();
    const published = await watchPublished(config, '*.result.new');
    undo(() => published.close());
    const j = job();
    const out = await runJob(config, host, j);
    const value = out.result?.value as { results: Array<{ id: number }> };
    expect(value).toMatchObject({
      uuid: j.uuid,
      execution_status: 'OK',
      status: '1 PASSED',
      artifacts: `http://127.0.0.1:8080/artifacts/${j.uuid}`,
      results: [
        {
          testcase: 'dist.name-lint',
          outcome: 'PASSED',
          ref_url: `http://127.0.0.1:8080/artifacts/${j.uuid}/tests.yml/name-lint.log`,
          id: expect.any(Number),
        },
      ],
    });

    const { jobs, store } = await stored(config);
    const [result] = (await store.list({ data: [] }, { page: 0, limit: 10 })).rows;
    expect(result).toMatchObject({
      testcase: { name: 'dist.name-lint' },
      outcome: 'PASSED',
      groups: [j.uuid],
      ref_url: `http://127.0.0.1:8080/artifacts/${j.uuid}/tests.yml/name-lint.log`,
      data: { item: [ITEM], type: ['koji_build'], arch: ['noarch'], package: ['ansible'] },
    });
    expect(await store.group(j.uuid)).toMatchObject({
      ref_url: `http://127.0.0.1:8080/artifacts/${j.uuid}`,
    });
    // Created with the result, with its wiki page as libtaskotron created a missing testcase.
    expect(await store.testcase('dist.name-lint')).toEqual({
      name: 'dist.name-lint',
      ref_url: 'https://fedoraproject.org/wiki/Taskotron/Tasks/dist.name-lint',
    });
    expect(await jobs.get(j.uuid)).toMatchObject({
      execution_status: 'OK',
      status: '1 PASSED',
      started_at: expect.any(String),
      finished_at: expect.any(String),
    });

    await waitFor(() => published.events.length === 2, { what: 'both result events' });
    const { events } = published;
    expect(events.map((e) => e.topic).sort()).toEqual([
      'resultsdb.result.new',
      'taskotron.result.new',
    ]);
    expect(events.find((e) => e.topic === 'taskotron.result.new')!.body).toEqual({
      task: { item: ITEM, type: 'koji_build', name: 'dist.name-lint' },
      result: {
        id: value.results[0]!.id,
        submit_time: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/),
        prev_outcome: null,
        outcome: 'PASSED',
        log_url: `http://127.0.0.1:8080/artifacts/${j.uuid}/tests.yml/name-lint.log`,
      },
    });
    expect(events.find((e) => e.topic === 'resultsdb.result.new')!.body).toMatchObject({
      outcome: 'PASSED',
      testcase: {
        name: 'dist.name-lint',
        ref_url: 'https://fedoraproject.org/wiki/Taskotron/Tasks/dist.name-lint',
        href: expect.stringMatching(/^http:\/\/127\.0\.0\.1:8080\/api\/v2\.0\/testcases\//),
      },
    });
  });

  it('links results and events to loopabull serve on the http.port of the config when artifacts_url is not set', async () => {
    const port = await freePort();
    const { config, host } = await started({}, { port });
    const origin = `http://127.0.0.1:${port}`;
    const published = await watchPublished(config, 'resultsdb.result.new');
    undo(() => published.close());
    const out = await runJob(config, host, job());
    const value = out.result?.value as { artifacts: string; results: Array<{ ref_url: string }> };
    expect(value.artifacts.startsWith(`${origin}/artifacts/`)).toBe(true);
    const [result] = value.results;
    expect(result!.ref_url.startsWith(`${origin}/artifacts/`)).toBe(true);
    await waitFor(() => published.events.length === 1, { what: 'the result event' });
    expect(published.events[0]!.body).toMatchObject({
      href: expect.stringMatching(new RegExp(`^${origin}/api/v2\\.0/results/\\d+$`)),
    });
    // The link is where the server answers: the log the result names.
    await serving({ config, host });
    const log = await fetch(result!.ref_url);
    expect(log.status).toBe(200);
    expect(await log.text()).toContain('outcome: PASSED');
  });

  it('completes a job whose check fails with NOT_OK in the job log and no result', async () => {
    const tasks_dir = taskDir([{ 'ansible.builtin.fail': { msg: 'the check broke' } }]);
    const { config, host } = await started({ tasks_dir });
    const j = job({ taskname: 'check' });
    const out = await runJob(config, host, j);
    expect(out.result?.value).toMatchObject({
      execution_status: 'NOT_OK',
      status: 'the playbook exited with 2',
      results: [],
    });
    const { jobs, store } = await stored(config);
    expect(await jobs.get(j.uuid)).toMatchObject({
      execution_status: 'NOT_OK',
      status: 'the playbook exited with 2',
    });
    expect((await store.list({ data: [] }, { page: 0, limit: 10 })).rows).toEqual([]);
  });

  it('ends a check that runs past taskotron.check_timeout NOT_OK, killed with everything it started, instead of failing the job for a retry', async () => {
    const pidFile = join(tempDir('pid'), 'pid');
    const tasks_dir = taskDir([
      { 'ansible.builtin.shell': `echo $$ > ${pidFile}; exec sleep 300` },
    ]);
    // Long enough for ansible-playbook to start and reach the shell task on a loaded machine:
    // it takes 3 s on 2 cores at load 3.5, and CI runs at up to 8.
    const { config, host } = await started({ tasks_dir, check_timeout: 15 });
    const j = job({ taskname: 'check' });
    // It resolves: a job that throws is retried.
    const out = await runJob(config, host, j);
    const timedOut = {
      execution_status: 'NOT_OK',
      status: 'the playbook timed out after 15 s',
    };
    expect(out.result?.value).toMatchObject({ ...timedOut, results: [] });
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    expect(processAlive(sleeper)).toBe(false);
    const ansible = processTree(process.pid).filter(
      (pid) =>
        processAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ansible'),
    );
    expect(ansible).toEqual([]);
    const { jobs } = await stored(config);
    expect(await jobs.get(j.uuid)).toMatchObject(timedOut);
  });

  it("stores only the results whose checkname namespace the check's origin may use; the job ends NOT_OK saying why", async () => {
    const tasks_dir = taskDir([
      writesResults(
        'results:\n- {item: x, outcome: PASSED, checkname: dist.mine}\n- {item: x, outcome: PASSED, checkname: evil.mine}\n- {item: x, outcome: INFO, checkname: scratch.mine}\n',
      ),
    ]);
    const { config, host } = await started({
      tasks_dir,
      namespaces_whitelist: { dist: ['/srv/official-tasks'] },
    });
    const out = await runJob(config, host, job({ taskname: 'check' }));
    expect(out.result?.value).toMatchObject({
      execution_status: 'NOT_OK',
      status:
        '2 PASSED, 1 INFO; ResultsDB refused 2 of 3 results: This repo is not allowed to post results into dist namespace: ' +
        `${tasks_dir}/check/ is not in taskotron.namespaces_whitelist.dist`,
      results: [
        { testcase: 'dist.mine', refused: expect.stringMatching(/^This repo is not allowed/) },
        {
          testcase: 'evil.mine',
          refused: expect.stringMatching(/^No namespace for task evil\.mine/),
        },
        { testcase: 'scratch.mine', id: expect.any(Number) },
      ],
    });
    const { store } = await stored(config);
    const rows = (await store.list({ data: [] }, { page: 0, limit: 10 })).rows;
    expect(rows.map((r) => r.testcase.name)).toEqual(['scratch.mine']);
  });

  it('runs every tests*.yml of a check: one crashing makes the job NOT_OK, the results of the others are stored, and a refused one is said too', async () => {
    const tasks_dir = taskDir([
      writesResults(
        'results:\n- {item: x, outcome: PASSED, checkname: scratch.a, artifact: a.log}\n- {item: x, outcome: PASSED, checkname: evil.a}\n',
      ),
    ]);
    writeFileSync(
      join(tasks_dir, 'check', 'tests_crash.yml'),
      localPlaybook([{ 'ansible.builtin.fail': { msg: 'boom' } }]),
    );
    const { config, host } = await started({ tasks_dir });
    const j = job({ taskname: 'check' });
    const out = await runJob(config, host, j);
    const end = {
      execution_status: 'NOT_OK',
      status:
        'tests.yml: 2 PASSED; tests_crash.yml: the playbook exited with 2; ResultsDB refused 1 of 2 results: No namespace for task evil.a exists: a checkname starts with one of scratch., dist., pkg.',
    };
    expect(out.result?.value).toMatchObject({
      ...end,
      results: [
        {
          testcase: 'scratch.a',
          id: expect.any(Number),
          ref_url: `http://127.0.0.1:8080/artifacts/${j.uuid}/tests.yml/a.log`,
        },
        { testcase: 'evil.a', refused: expect.stringMatching(/^No namespace for task evil\.a/) },
      ],
    });
    const { jobs, store } = await stored(config);
    expect(await jobs.get(j.uuid)).toMatchObject(end);
    const rows = (await store.list({ data: [] }, { page: 0, limit: 10 })).rows;
    expect(rows.map((r) => r.testcase.name)).toEqual(['scratch.a']);
  });

  it('stores the data of a check as ResultsDB stored what libtaskotron posted, under a tmt plan name served by loopabull serve', async () => {
    const checkname = 'scratch.tmt./plans/basic.functional';
    const tasks_dir = taskDir([
      writesResults(
        `results:\n- {item: x, outcome: PASSED, checkname: ${checkname}, score: 1.0, ` +
          'passed: yes, runs: [1, 2.50, 1e3], wall: 1:30, hex: 0x1F, quoted: "1.0"}\n',
      ),
    ]);
    const local = await started({ tasks_dir }, { port: await freePort(), token: TOKEN });
    const out = await runJob(local.config, local.host, job({ taskname: 'check' }));
    expect(out.result?.value).toMatchObject({ execution_status: 'OK', status: '1 PASSED' });
    const data = {
      item: ['x'],
      type: ['koji_build'],
      arch: ['noarch'],
      score: ['1.0'],
      passed: ['True'],
      runs: ['1', '2.5', '1e3'],
      wall: ['90'],
      hex: ['31'],
      quoted: ['1.0'],
    };
    const { store } = await stored(local.config);
    expect((await store.list({ data: [] }, { page: 0, limit: 10 })).rows).toMatchObject([
      { testcase: { name: checkname }, data },
    ]);
    const server = await serving(local);
    const api = `${server.url}/api/v2.0`;
    for (const path of [checkname, encodeURIComponent(checkname)]) {
      const res = await fetch(`${api}/testcases/${path}/results`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        data: [{ testcase: { name: checkname, href: `${api}/testcases/${checkname}` }, data }],
      });
    }
  });

  it('refuses a second job with the uuid of another, leaving the log and results of that one alone', async () => {
    const { config, host } = await started();
    const j = job({ taskname: 'always-info' });
    await runJob(config, host, j, 'first');
    await expect(runJob(config, host, j, 'second')).rejects.toMatchObject({
      permanent: true,
      message: expect.stringMatching(
        /Multiple jobs with same UUID detected: .* belongs to job first$/,
      ),
    });
    const { jobs, store } = await stored(config);
    expect(await jobs.get(j.uuid)).toMatchObject({ execution_status: 'OK', status: '1 INFO' });
    expect((await store.list({ data: [] }, { page: 0, limit: 10 })).rows).toHaveLength(1);
  });

  it('fails a job with a bad body at once, naming the field', async () => {
    const { config, host } = await started();
    const bad = runJob(config, host, job({ taskname: '../../bin' }));
    await expect(bad).rejects.toThrow(
      /handler taskotron\.job\.mjs failed: taskotron\.job ev-[\d.]+: taskname: not a task name/,
    );
    await expect(bad).rejects.toMatchObject({ permanent: true });
  });

  it('reports to a remote ResultsDB with its token; while it is down the try fails, and the retry reports without running the check again', async () => {
    const runs = join(tempDir('runs'), 'runs.txt');
    const tasks_dir = taskDir([
      { 'ansible.builtin.shell': `echo ran >> ${runs}` },
      writesResults(
        'results:\n- {item: "{{ item }}", outcome: INFO, checkname: scratch.one}\n- {item: "{{ item }}", outcome: PASSED, checkname: scratch.two}\n',
      ),
    ]);
    const port = await freePort();
    const { config, host } = await started({
      tasks_dir,
      resultsdb_url: `http://127.0.0.1:${port}/api/v2.0/`,
      resultsdb_token: TOKEN,
    });
    const remote = await started({}, { port, token: TOKEN });
    const j = job({ taskname: 'check' });
    // Asking for the result's testcase first, as libtaskotron's resultsdb directive did.
    await expect(runJob(config, host, j, 'retried')).rejects.toThrow(
      /ResultsDB at http:\/\/127\.0\.0\.1:\d+\/api\/v2\.0\/testcases\/scratch\.one did not answer/,
    );
    const server = await serving(remote);
    const out = await runJob(config, host, j, 'retried');
    expect(out.result?.value).toMatchObject({
      execution_status: 'OK',
      status: '1 PASSED, 1 INFO',
      results: [
        { testcase: 'scratch.one', id: 1 },
        { testcase: 'scratch.two', id: 2 },
      ],
    });
    expect(readFileSync(runs, 'utf8')).toBe('ran\n');
    const res = await fetch(`${server.url}/api/v2.0/results?groups=${j.uuid}`);
    expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(2);
    // The runner created the testcases, with their wiki pages.
    const testcase = await fetch(`${server.url}/api/v2.0/testcases/scratch.two`);
    expect(await testcase.json()).toMatchObject({
      ref_url: 'https://fedoraproject.org/wiki/Taskotron/Tasks/scratch.two',
    });
  });

  it('ends its last try in the job log, parked, when the run times out waiting for a remote ResultsDB', async () => {
    // A ResultsDB that takes the connection and never answers.
    const sockets = new Set<Socket>();
    let closed = 0;
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => closed++);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    undo(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const { port } = silent.address() as AddressInfo;
    const { config, host } = await started(
      {
        tasks_dir: taskDir([
          writesResults('results:\n- {item: x, outcome: PASSED, checkname: scratch.p}\n'),
        ]),
        resultsdb_url: `http://127.0.0.1:${port}/api/v2.0`,
      },
      {},
      { attempts: 1 },
      { timeout: 16 },
    );
    const j = job({ taskname: 'check' });
    await expect(runJob(config, host, j)).rejects.toThrow('stopped: timed out after 16 s');
    // At the timeout, not when the sink's own 30 s limit ends the request long after.
    await waitFor(() => closed > 0, { timeout: 5_000, what: 'the ResultsDB request stopped' });
    const { jobs } = await stored(config);
    const logged = await waitFor(
      async () => {
        const row = await jobs.get(j.uuid);
        return row?.parked_at ? row : null;
      },
      { timeout: 5_000, what: 'the job log parked' },
    );
    expect(logged).toMatchObject({
      execution_status: 'NOT_OK',
      status: 'stopped: the run timed out after 16 s (ansible.timeout)',
    });
  }, 45_000);

  it('counts a result the remote ResultsDB refuses in a NOT_OK end, and keeps the others', async () => {
    const tasks_dir = taskDir([
      writesResults(
        'results:\n- {item: x, outcome: CRASHED, checkname: scratch.c}\n- {item: x, outcome: PASSED, checkname: scratch.p}\n',
      ),
    ]);
    const server = await serving(await started({}, { port: await freePort(), token: TOKEN }));
    const { config, host } = await started({
      tasks_dir,
      resultsdb_url: `${server.url}/api/v2.0`,
      resultsdb_token: TOKEN,
    });
    const out = await runJob(config, host, job({ taskname: 'check' }));
    expect(out.result?.value).toMatchObject({
      execution_status: 'NOT_OK',
      status: expect.stringMatching(
        /^1 PASSED, 1 CRASHED; ResultsDB refused 1 of 2 results: outcome must be one of/,
      ),
      results: [
        { testcase: 'scratch.c', refused: expect.stringMatching(/^outcome must be/) },
        { testcase: 'scratch.p', id: expect.any(Number) },
      ],
    });
  });
});

describe('the taskotron.job handler for a discovered check (git_repo, git_branch, git_commit)', () => {
  /** This process's clones: the jobs run in it; other test files clone in theirs. */
  const clones = () => entriesOfTempDirs(cloneDirPrefix(process.pid));
  const results = (checkname: string) =>
    localPlaybook([
      writesResults(
        `results:\n- {item: x, outcome: PASSED, checkname: ${checkname}}\n- {item: x, outcome: INFO, checkname: dist.mine}\n`,
      ),
    ]);

  it('runs the check from a shallow clone of git_branch, reports pkg. only for a whitelisted repository, and removes the clone', async () => {
    const repo = gitRepo(
      {
        main: { 'tests/smoke/tests.yml': results('pkg.wrong-branch') },
        f41: { 'tests/smoke/tests.yml': results('pkg.smoke'), README: 'x' },
      },
      'vim',
    );
    const before = clones().length;
    const { config, host } = await started({
      namespaces_whitelist: { dist: ['/srv/official-tasks'], pkg: [repo.replace(/vim\.git$/, '')] },
    });
    const j = job({ taskname: 'tests/smoke', git_repo: repo, git_branch: 'f41' });
    const out = await runJob(config, host, j);
    expect(out.result?.value).toMatchObject({
      uuid: j.uuid,
      taskname: 'tests/smoke',
      execution_status: 'NOT_OK',
      status: `1 PASSED, 1 INFO; ResultsDB refused 1 of 2 results: This repo is not allowed to post results into dist namespace: ${repo} is not in taskotron.namespaces_whitelist.dist`,
      results: [
        { testcase: 'pkg.smoke', id: expect.any(Number) },
        { testcase: 'dist.mine', refused: expect.stringMatching(/^This repo is not allowed/) },
      ],
    });
    expect(clones().length).toBe(before);
    // The commit it ran, what f41 held: in the job log, as for a job the trigger pinned.
    const { jobs } = await stored(config);
    expect(await jobs.get(j.uuid)).toMatchObject({ git_commit: gitHead(repo, 'f41') });
    // Another repository may not report pkg.: the whitelist names repositories by URL prefix.
    const other = gitRepo({ f41: { 'tests/smoke/tests.yml': results('pkg.smoke') } }, 'other');
    const refused = await runJob(
      config,
      host,
      job({ taskname: 'tests/smoke', git_repo: other, git_branch: 'f41' }),
    );
    expect(refused.result?.value).toMatchObject({
      results: [
        {
          testcase: 'pkg.smoke',
          refused: expect.stringContaining(`${other} is not in taskotron.namespaces_whitelist.pkg`),
        },
        {},
      ],
    });
  });

  it('fails the try when the repository cannot be cloned, naming it and why, and the retry runs the check once it can', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': results('scratch.ok') } });
    const path = repo.slice('file://'.length);
    const { config, host } = await started();
    const j = job({ taskname: 'tests', git_repo: repo, git_branch: 'main' });
    renameSync(path, `${path}.away`);
    const first = runJob(config, host, j, 'clone-retried');
    await expect(first).rejects.toThrow(
      new RegExp(
        `the check could not be fetched: git clone ${repo} \\(branch main\\): .*does not appear to be a git repository`,
      ),
    );
    await expect(first).rejects.not.toMatchObject({ permanent: true });
    // Not the last of queue.attempts' tries: the job is still under way.
    const { jobs } = await stored(config);
    expect(await jobs.get(j.uuid)).toMatchObject({
      started_at: expect.any(String),
      finished_at: null,
      execution_status: null,
      parked_at: null,
    });
    renameSync(`${path}.away`, path);
    const out = await runJob(config, host, j, 'clone-retried');
    // The check ran: its scratch. result is stored (dist. is for tasks_dir's checks only).
    expect(out.result?.value).toMatchObject({
      results: [{ testcase: 'scratch.ok', id: expect.any(Number) }, { testcase: 'dist.mine' }],
    });
  });

  it('fails a job whose commit the server no longer has, naming the repository and the commit, and parks it after its last try', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': results('scratch.a') } });
    const a = gitHead(repo, 'main');
    // Pushed over, and the old commit garbage-collected, between the trigger and the job.
    gitPush(repo, 'main', { 'tests/tests.yml': results('scratch.b') }, { rewrite: true });
    const { config, host } = await started({}, {}, { attempts: 1 });
    const j = job({ taskname: 'tests', git_repo: repo, git_branch: 'main', git_commit: a });
    const reason = new RegExp(
      `the check could not be fetched: git fetch ${repo} \\(branch main, commit ${a}\\): the server has no such commit: .*branch main, fetched whole, does not hold it`,
    );
    const before = clones().length;
    const run = runJob(config, host, j);
    await expect(run).rejects.toThrow(reason);
    expect(clones().length).toBe(before);
    await expect(run).rejects.not.toMatchObject({ permanent: true });
    const { jobs } = await stored(config);
    const logged = await jobs.get(j.uuid);
    expect(logged).toMatchObject({
      git_commit: a,
      execution_status: 'NOT_OK',
      status: expect.stringMatching(new RegExp(`^${reason.source}`)),
      parked_at: expect.any(String),
    });
  });

  it('runs two jobs of one repository at once from taskotron.git_cache_dir, each at its commit, keeping one mirror', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': results('scratch.a') } });
    const a = gitHead(repo, 'main');
    const b = gitPush(repo, 'main', { 'tests/tests.yml': results('scratch.b') });
    const cache = join(tempDir('gitcache'), 'mirrors');
    const { config, host } = await started({ git_cache_dir: cache });
    const jobAt = (git_commit: string) =>
      job({ taskname: 'tests', git_repo: repo, git_branch: 'main', git_commit });
    const runs = await Promise.all([
      runJob(config, host, jobAt(a)),
      runJob(config, host, jobAt(b)),
    ]);
    expect(runs.map((r) => r.result?.value)).toMatchObject([
      { results: [{ testcase: 'scratch.a', id: expect.any(Number) }, { testcase: 'dist.mine' }] },
      { results: [{ testcase: 'scratch.b', id: expect.any(Number) }, { testcase: 'dist.mine' }] },
    ]);
    expect(readdirSync(cache).filter((n) => n.endsWith('.git'))).toHaveLength(1);
  });

  it('runs a job without git_commit from taskotron.git_cache_dir too: its branch fetched into the mirror, the commit it ran in the job log', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': results('scratch.a') } });
    const a = gitHead(repo, 'main');
    const cache = join(tempDir('gitcache'), 'mirrors');
    const { config, host } = await started({ git_cache_dir: cache });
    const unpinned = () => job({ taskname: 'tests', git_repo: repo, git_branch: 'main' });
    const ran = (testcase: string) => ({
      results: [{ testcase, id: expect.any(Number) }, { testcase: 'dist.mine' }],
    });
    const first = unpinned();
    expect((await runJob(config, host, first)).result?.value).toMatchObject(ran('scratch.a'));
    const mirrors = readdirSync(cache).filter((n) => n.endsWith('.git'));
    expect(mirrors).toHaveLength(1);
    // Pushed since: the next such job runs the new head, fetched into the same mirror.
    const b = gitPush(repo, 'main', { 'tests/tests.yml': results('scratch.b') });
    const second = unpinned();
    expect((await runJob(config, host, second)).result?.value).toMatchObject(ran('scratch.b'));
    expect(readdirSync(cache).filter((n) => n.endsWith('.git'))).toEqual(mirrors);
    for (const commit of [a, b])
      execFileSync('git', ['cat-file', '-e', `${commit}^{commit}`], {
        cwd: join(cache, mirrors[0]!),
      });
    const { jobs } = await stored(config);
    expect(await jobs.get(first.uuid)).toMatchObject({ git_commit: a });
    expect(await jobs.get(second.uuid)).toMatchObject({ git_commit: b });
  });

  it('fails a job for good when its check is not in the repository, or is a symlink out of it', async () => {
    const outside = taskDir([writesResults('results: []\n')]);
    const repo = gitRepo({
      main: { 'tests/tests.yml': results('scratch.ok'), escape: { symlink: outside } },
    });
    const { config, host } = await started();
    for (const [taskname, why] of [
      ['tests/gone', 'no such directory'],
      ['escape/check', 'it is a symlink out of the repository'],
    ]) {
      const j = job({ taskname, git_repo: repo, git_branch: 'main' });
      const run = runJob(config, host, j);
      await expect(run).rejects.toThrow(`no check in ${repo} (branch main) ${taskname}: ${why}`);
      await expect(run).rejects.toMatchObject({ permanent: true });
      const { jobs } = await stored(config);
      expect(await jobs.get(j.uuid)).toMatchObject({
        execution_status: 'NOT_OK',
        status: `no check in ${repo} (branch main) ${taskname}: ${why}`,
        parked_at: expect.any(String),
      });
    }
  });

  it('runs no playbook that is a symlink out of the clone: /etc/passwd is no check, a playbook of the machine is left out', async () => {
    // A playbook of the machine, which a symlink in the repository must not make the runner run.
    const marker = join(tempDir('marker'), 'ran');
    const outside = join(
      taskDir([
        { 'ansible.builtin.file': { path: marker, state: 'touch' } },
        writesResults('results:\n- {item: x, outcome: PASSED, checkname: scratch.outside}\n'),
      ]),
      'check',
      'tests.yml',
    );
    const repo = gitRepo({
      main: {
        'passwd/tests.yml': { symlink: '/etc/passwd' },
        'tests/tests.yml': results('scratch.ok'),
        'tests/tests_inside.yml': { symlink: 'tests.yml' },
        'tests/tests_z.yml': { symlink: outside },
      },
    });
    const { config, host } = await started();
    const passwd = runJob(config, host, job({ taskname: 'passwd', git_repo: repo }));
    await expect(passwd).rejects.toThrow(
      `no check in ${repo} (branch default) passwd: tests.yml: symlinks out of the repository`,
    );
    await expect(passwd).rejects.toMatchObject({ permanent: true });

    const out = await runJob(config, host, job({ taskname: 'tests', git_repo: repo }));
    // tests.yml and tests_inside.yml (a link inside the clone) ran, tests_z.yml did not.
    expect(out.result?.value).toMatchObject({
      status: expect.stringMatching(/^2 PASSED, 2 INFO; /),
      results: [
        { testcase: 'scratch.ok', id: expect.any(Number) },
        { testcase: 'dist.mine' },
        { testcase: 'scratch.ok', id: expect.any(Number) },
        { testcase: 'dist.mine' },
      ],
      warnings: ['tests_z.yml: not run: it is a symlink out of the repository'],
    });
    expect(() => readFileSync(marker)).toThrow(/ENOENT/);
  });

  it('removes, when it starts, the clones a worker killed mid-clone left', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const left = join(tmpdir(), `${cloneDirPrefix(gone)}AbC123`);
    mkdirSync(join(left, 'clone-XyZ789', 'repo'), { recursive: true });
    await started();
    expect(existsSync(left)).toBe(false);
  });

  it('ends a job whose last try fails in the job log, NOT_OK and parked with the reason', async () => {
    const repo = gitRepo({ main: { 'tests/tests.yml': results('scratch.ok') } });
    const path = repo.slice('file://'.length);
    renameSync(path, `${path}.away`);
    const { config, host } = await started({}, {}, { attempts: 1 });
    const j = job({ taskname: 'tests', git_repo: repo, git_branch: 'main' });
    await expect(runJob(config, host, j)).rejects.toThrow(/the check could not be fetched/);
    const { jobs } = await stored(config);
    const logged = await jobs.get(j.uuid);
    expect(logged).toMatchObject({
      finished_at: expect.any(String),
      execution_status: 'NOT_OK',
      status: expect.stringMatching(
        new RegExp(`^the check could not be fetched: git clone ${repo} \\(branch main\\): `),
      ),
      parked_at: logged?.finished_at,
    });
  });
});

describe('a taskotron.job a worker parks', () => {
  it('is ended in the job log, NOT_OK and parked with the reason, after its last try; replay --unfinished finds it', async () => {
    const config = testConfig({
      overrides: {
        queue: { attempts: 2 },
        ansible: { playbooks_dir: PLAYBOOKS, playbook_cmd: '/nonexistent/ansible-playbook' },
        taskotron: { artifacts_dir: tempDir('artifacts'), tasks_dir: taskDir([]) },
      },
    });
    undo(() => cleanUpTest(config));
    const services = await openQueueServices(config);
    undo(() => services.close());
    const worker = startCli(['worker', '--id', 'parks', '--config', config.configPath]);
    undo(() => worker.stop());
    await worker.waitForOutput(/taking jobs/i);
    const j = job({ taskname: 'check' });
    const event = testEvent(JOB_TOPIC, { body: j });
    await services.work.enqueue(event);
    const parked = await waitFor(
      async () => {
        const q = await services.work.queue.getJob(jobIdFor(event.id));
        return q?.finishedOn ? q : null;
      },
      { what: 'the job to be parked' },
    );
    expect(parked.attemptsMade).toBe(2);
    const { jobs } = await stored(config);
    expect(await jobs.get(j.uuid)).toMatchObject({
      execution_status: 'NOT_OK',
      status: expect.stringMatching(/^could not start \/nonexistent\/ansible-playbook: /),
      parked_at: expect.any(String),
    });
    const replay = await runCli([
      'taskotron',
      'replay',
      '--since',
      '1h',
      '--unfinished',
      '--dry-run',
      '--config',
      config.configPath,
    ]);
    expect(replay.stdout).toContain(
      `job ${j.uuid} (check/noarch of ${ITEM}, parked): would be scheduled again`,
    );
  }, 30_000);
});
