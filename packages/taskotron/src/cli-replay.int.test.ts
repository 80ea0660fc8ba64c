/**
 * `loopabull taskotron replay` as an operator runs it: the built CLI on a config file, the real
 * Redis (dedup window), RabbitMQ (the taskotron.job messages it publishes) and the job log in the
 * SQLite file beside the config.
 */
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { createLogger } from '@loopabull/core';
import { Database } from '@loopabull/database';
import {
  cleanUpTest,
  processAlive,
  processTree,
  readFixture,
  removeTempDirs,
  runCli,
  settleable,
  startCli,
  testConfig,
  waitFor,
} from '@test/support';
import { JobLog, jobLogMigrations } from './job-log.js';
import { JOB_TOPIC, type TriggerJob } from './trigger.js';

const fixture = readFixture<{ topic: string; msg_id: string; msg: Record<string, unknown> }>(
  'fedmsg/buildsys.build.state.change.json',
);
const ITEM = 'ansible-1.8.3-1.el7';

describe('loopabull taskotron replay', () => {
  const config = testConfig();
  const file = join(config.dir, 'dump.jsonl');
  const scratch = {
    topic: fixture.topic,
    id: 'scratch-1',
    body: { ...fixture.msg, name: 'scratchy', scratch: true },
  };
  writeFileSync(file, [fixture, scratch].map((m) => JSON.stringify(m)).join('\n'));
  let model: ChannelModel;
  let ch: Channel;
  let queue: string;
  let db: Database;
  let jobLog: JobLog;

  const replay = (...args: string[]) =>
    runCli(['taskotron', 'replay', ...args, '--config', config.configPath]);
  /** The taskotron.job messages published since the last call. */
  const published = async () => {
    const jobs: TriggerJob[] = [];
    for (let m = await ch.get(queue); m; m = await ch.get(queue)) {
      jobs.push(JSON.parse(m.content.toString()) as TriggerJob);
      ch.ack(m);
    }
    return jobs;
  };

  beforeAll(async () => {
    model = await amqp.connect(config.bus.url);
    ch = await model.createChannel();
    await ch.assertExchange(config.bus.publish_exchange, 'topic', { durable: true });
    ({ queue } = await ch.assertQueue('', { exclusive: true }));
    await ch.bindQueue(queue, config.bus.publish_exchange, JOB_TOPIC);
    db = await Database.open(config.database.url, {
      baseDir: config.dir,
      logger: createLogger('database', 'error'),
    });
    jobLog = await JobLog.open(db);
  });
  afterAll(async () => {
    await model?.close();
    await db?.close();
    await cleanUpTest(config);
    removeTempDirs();
  });

  it('says with --dry-run what saved messages would schedule, and schedules nothing', async () => {
    const res = await replay(file, '--dry-run');
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toBe(
      [
        `message ${fixture.msg_id} (${fixture.topic}): KojiBuildPackageCompleted ${ITEM}; would schedule name-lint/noarch; would schedule always-info/noarch`,
        `message scratch-1 (${fixture.topic}): skipped: scratch build`,
        'dry run: 2 messages: 2 jobs would be scheduled, 0 duplicates within the window, 1 skipped; nothing was scheduled',
        '',
      ].join('\n'),
    );
    expect(await jobLog.recent(10, { item: ITEM })).toEqual([]);
    expect(await published()).toEqual([]);
  });

  it('re-triggers saved messages: publishes and logs the jobs, once within the window', async () => {
    const res = await replay(file);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /scheduled name-lint\/noarch as [0-9a-f-]{36}; scheduled always-info/,
    );
    const jobs = await published();
    expect(jobs.map((j) => j.taskname).sort()).toEqual(['always-info', 'name-lint']);
    const logged = await jobLog.recent(10, { item: ITEM });
    expect(logged.map((j) => j.uuid).sort()).toEqual(jobs.map((j) => j.uuid).sort());
    expect(logged[0]!.trigger).toEqual({
      topic: fixture.topic,
      msg_id: fixture.msg_id,
      rules: ['koji-build'],
    });

    const again = await replay(file);
    expect(again.stdout).toContain(
      '2 messages: 0 jobs scheduled, 2 duplicates within the window (--force schedules them), 1 skipped',
    );
    expect(await published()).toEqual([]);
    const forced = await replay(file, '--force');
    expect(forced.stdout).toContain('2 messages: 2 jobs scheduled, 0 duplicates');
    expect(await published()).toHaveLength(2);
  });

  it('publishes the jobs of a time range of the job log again with new uuids', async () => {
    const before = await jobLog.recent(100, { item: ITEM });
    const dry = await replay('--since', '1h', '--dry-run');
    expect(dry.stdout).toContain(
      `dry run: ${before.length} logged jobs: 0 jobs would be scheduled`,
    );
    const res = await replay('--since', '1h', '--force', '--json');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { lines: Array<{ from: string }>; summary: string };
    expect(out.lines.map((l) => l.from).sort()).toEqual(before.map((j) => j.uuid).sort());
    const jobs = await published();
    expect(jobs).toHaveLength(before.length);
    for (const job of jobs) expect(before.map((j) => j.uuid)).not.toContain(job.uuid);
    expect(await jobLog.recent(100, { item: ITEM })).toHaveLength(2 * before.length);
  });

  it('reads a time without an offset as UTC, as the job log shows times, in any time zone', async () => {
    await replay(file, '--force');
    await published();
    const logged = await jobLog.recent(100, { item: ITEM });
    expect(logged.length).toBeGreaterThan(0);
    // An hour ago in UTC, written without Z: read as New York time it would be 4 h ahead.
    const since = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19);
    const res = await runCli(
      ['taskotron', 'replay', '--since', since, '--dry-run', '--config', config.configPath],
      { env: { TZ: 'America/New_York' } },
    );
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`dry run: ${logged.length} logged jobs:`);
  });

  it('refuses files and --since together, and a time it cannot read, with exit code 2', async () => {
    expect(await replay(file, '--since', '1h')).toMatchObject({ code: 2 });
    const res = await replay('--since', 'yesterday');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      '--since "yesterday": expected an ISO 8601 time, or how long ago (90m, 2d)',
    );
    expect((await replay()).stderr).toContain('give message files or --since');
  });

  it('refuses a range with no time in it, naming its ends, with exit code 2', async () => {
    const backwards = await replay('--since', '2h', '--until', '3h');
    expect(backwards).toMatchObject({ code: 2, stdout: '' });
    expect(backwards.stderr).toMatch(
      /--until "3h" \(\S+Z\) is not after --since "2h" \(\S+Z\): the range holds no time/,
    );
    const future = await replay('--since', '2099-01-01T00:00Z', '--dry-run');
    expect(future).toMatchObject({ code: 2, stdout: '' });
    expect(future.stderr).toMatch(
      /--since "2099-01-01T00:00Z" \(2099-01-01T00:00:00\.000Z\) is not before now \(\S+Z\)/,
    );
    expect(await published()).toEqual([]);
  });

  it('replays a discovered check from the job log with its repository, branch and commit', async () => {
    const item = 'discovered-1.0-1.fc41';
    const git = {
      git_repo: 'https://src.example.org/rpms/discovered',
      git_branch: 'f41',
      git_commit: '0123456789abcdef0123456789abcdef01234567',
    };
    await jobLog.scheduled({
      uuid: 'discovered-job',
      item,
      item_type: 'koji_build',
      taskname: 'tests/smoke',
      arch: 'x86_64',
      ...git,
      trigger: { topic: fixture.topic, msg_id: 'd-1', rules: ['dist-git'] },
    });
    expect(await jobLog.get('discovered-job')).toMatchObject(git);
    await published();
    expect((await replay('--since', '1h', '--force')).code).toBe(0);
    const again = (await published()).filter((j) => j.item === item);
    expect(again).toEqual([
      {
        item,
        item_type: 'koji_build',
        taskname: 'tests/smoke',
        arch: 'x86_64',
        uuid: expect.any(String),
        ...git,
      },
    ]);
    const logged = await jobLog.get(again[0]!.uuid);
    expect(logged).toMatchObject({ taskname: 'tests/smoke', ...git });
  });

  it('makes and migrates no database on a dry run', async () => {
    const missing = testConfig({ overrides: { database: { url: 'sqlite:///log/jobs.db' } } });
    const path = join(missing.dir, 'log', 'jobs.db');
    const dry = (...args: string[]) =>
      runCli(['taskotron', 'replay', ...args, '--dry-run', '--config', missing.configPath]);
    try {
      // Saved messages ask only Redis whether each job would be a duplicate.
      expect(await dry(file)).toMatchObject({ code: 0, stderr: '' });
      const since = await dry('--since', '1h');
      expect(since.code).toBe(2);
      expect(since.stderr).toContain(
        `the job log's database ${path} does not exist (a worker makes it): check database.url`,
      );
      expect(existsSync(join(missing.dir, 'log'))).toBe(false);

      mkdirSync(join(missing.dir, 'log'));
      const open = () =>
        Database.open(missing.database.url, {
          baseDir: missing.dir,
          logger: createLogger('database', 'error'),
        });
      await (await open()).close();
      const old = await dry('--since', '1h');
      expect(old.code).toBe(2);
      expect(old.stderr).toMatch(
        /the job log in .*jobs\.db is not up to date \(0001_[^)]+ to run\)/,
      );
      const reopened = await open();
      try {
        expect(await reopened.pending('taskotron_jobs', jobLogMigrations('sqlite'))).not.toEqual(
          [],
        );
      } finally {
        await reopened.close();
      }
    } finally {
      await cleanUpTest(missing);
    }
  });

  it('kills the git it runs when interrupted (Ctrl-C): none is left hanging on a remote', async () => {
    // git runs in its own process group, which the terminal's SIGINT does not reach.
    const reached = settleable();
    const server = createServer(() => reached.resolve()); // Never answers.
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const rules = join(config.dir, 'discover-rules.yml');
    writeFileSync(
      rules,
      `- {name: d, when: {}, do: [{discover: {repo: 'http://127.0.0.1:${port}/\${name}.git', branch: f41}}]}\n`,
    );
    const interrupted = testConfig({ overrides: { taskotron: { rules } } });
    const cli = startCli([
      'taskotron',
      'replay',
      file,
      '--dry-run',
      '--config',
      interrupted.configPath,
    ]);
    const exit = once(cli.child, 'exit');
    try {
      await reached.promise;
      const git = processTree(cli.child.pid!).slice(1);
      expect(git.length).toBeGreaterThan(0);
      process.kill(-cli.child.pid!, 'SIGINT');
      expect(await exit).toEqual([null, 'SIGINT']);
      await waitFor(() => git.every((pid) => !processAlive(pid)), {
        timeout: 5_000,
        what: 'git to be gone',
      });
    } finally {
      await cli.killGroup();
      server.closeAllConnections();
      server.close();
      await cleanUpTest(interrupted);
    }
  });
});
