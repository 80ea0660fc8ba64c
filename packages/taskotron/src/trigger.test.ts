import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  createLogger,
  PermanentError,
  type Config,
  type HandlerContext,
  type Logger,
  type LoopabullEvent,
} from '@loopabull/core';
import { taskotron } from './automation.js';
import { loadRules, type Rule } from './rules.js';
import { SHIPPED_RULES, taskotronSection } from './section.js';
import { Database } from '@loopabull/database';
import { JOB_LOG_OWNER, jobLogMigrations, type NewJob } from './job-log.js';
import { RESULTS_OWNER, resultsMigrations } from './resultsdb/tables.js';
import {
  dedupKey as keyOf,
  JOB_TOPIC,
  taskotronTrigger,
  type TriggerOptions,
  type TriggerResult,
} from './trigger.js';

const envelope = JSON.parse(
  readFileSync(
    new URL('../../../test/fixtures/fedmsg/buildsys.build.state.change.json', import.meta.url),
    'utf8',
  ),
) as { topic: string; msg: Record<string, unknown> };
const rules = loadRules(readFileSync(SHIPPED_RULES, 'utf8'), SHIPPED_RULES);

/** A job log in memory. */
function fakeJobLog() {
  const rows = new Map<string, NewJob>();
  return {
    rows,
    scheduled: async (job: NewJob) => void rows.set(job.uuid, job),
    forget: async (uuid: string) => void rows.delete(uuid),
  };
}

/** A handler context with an in-memory Redis (SET NX EX, DEL) and a recording publish. */
function fakeContext(failPublish = false) {
  const keys = new Map<string, string>();
  const published: Array<[string, unknown]> = [];
  const lines: string[] = [];
  const ctx = {
    config: { redis: { prefix: 'lb' }, queue: { name: 'q' } },
    redis: {
      set: async (key: string, value: string, _ex: string, _s: number, nx: string) => {
        if (nx === 'NX' && keys.has(key)) return null;
        keys.set(key, value);
        return 'OK';
      },
      del: async (key: string) => Number(keys.delete(key)),
    },
    publish: async (topic: string, body: unknown) => {
      if (failPublish) throw new Error('bus down');
      published.push([topic, body]);
    },
    log: async (line: string) => void lines.push(line),
  } as unknown as HandlerContext;
  return { ctx, keys, published, lines };
}

let n = 0;
const jobLog = fakeJobLog();
/** The trigger with `ruleSet`, the fake job log, numbered uuids and valid_arches [x86_64]. */
const triggerOf = (ruleSet: readonly Rule[], discover?: TriggerOptions['discoverChecks']) =>
  taskotronTrigger({
    rules: () => ruleSet,
    critpathPkgs: () => [],
    dedupWindow: 3600,
    validArches: ['x86_64'],
    jobLog,
    newUuid: () => `uuid-${++n}`,
    git: { timeoutSeconds: 5 },
    ...(discover ? { discoverChecks: discover } : {}),
  });
const trigger = triggerOf(rules);
const run = async (ctx: HandlerContext, topic: string, body: unknown, id = 'msg-1') =>
  (await trigger({ id, topic, body } as LoopabullEvent, ctx)) as TriggerResult;

describe('the taskotron trigger', () => {
  it('turns the real koji build message into the jobs the shipped rules say', async () => {
    const { ctx, published, lines } = fakeContext();
    const result = await run(ctx, envelope.topic, envelope.msg);
    const item = 'ansible-1.8.3-1.el7';
    expect(result.scheduled.map(({ uuid: _, ...job }) => job)).toEqual([
      { item, item_type: 'koji_build', taskname: 'name-lint', arch: 'noarch' },
      { item, item_type: 'koji_build', taskname: 'always-info', arch: 'noarch' },
    ]);
    expect(published).toEqual(result.scheduled.map((job) => [JOB_TOPIC, job]));
    expect(new Set(result.scheduled.map((j) => j.uuid)).size).toBe(2);
    expect(result.matched).toEqual(['koji-build']);
    expect(lines.filter((l) => l.includes('scheduled as'))).toHaveLength(2);
  });

  it('schedules no arch outside valid_arches, and logs why', async () => {
    const { ctx, lines } = fakeContext();
    const arches = loadRules(
      '- name: arm\n  when: {}\n  do: [{tasks: [rpmlint], arches: [armhfp, x86_64]}]\n',
    );
    const armless = triggerOf(arches);
    const event = { id: 'msg-arm', topic: envelope.topic, body: envelope.msg } as LoopabullEvent;
    const result = (await armless(event, ctx)) as TriggerResult;
    expect(result.scheduled.map((j) => j.arch)).toEqual(['x86_64']);
    expect(result.dropped).toEqual([
      {
        rule: 'arm',
        arch: 'armhfp',
        reason: 'arch armhfp is not in taskotron.valid_arches (x86_64)',
      },
    ]);
    expect(lines).toContain(
      'rule arm: not scheduled: arch armhfp is not in taskotron.valid_arches (x86_64)',
    );
  });

  it('records each scheduled job in the job log with its topic, message id and rules', async () => {
    const { ctx } = fakeContext();
    const result = await run(ctx, envelope.topic, envelope.msg, 'msg-logged');
    for (const job of result.scheduled)
      expect(jobLog.rows.get(job.uuid)).toEqual({
        ...job,
        trigger: { topic: envelope.topic, msg_id: 'msg-logged', rules: ['koji-build'] },
      });
  });

  it('does not schedule the same item, task and arch twice within the window (a redelivery)', async () => {
    const { ctx, published } = fakeContext();
    await run(ctx, envelope.topic, envelope.msg);
    const again = await run(ctx, envelope.topic, envelope.msg);
    expect(again.scheduled).toEqual([]);
    expect(again.duplicates).toEqual([
      { taskname: 'name-lint', arch: 'noarch' },
      { taskname: 'always-info', arch: 'noarch' },
    ]);
    expect(published).toHaveLength(2);
  });

  it.each<[string, string, unknown]>([
    ['a scratch build', envelope.topic, { ...envelope.msg, scratch: true }],
    ['a failed build', envelope.topic, { ...envelope.msg, new: 3 }],
    ['another koji instance', envelope.topic, { ...envelope.msg, instance: 'ppc' }],
    ['a topic the trigger does not know', 'org.fedoraproject.prod.fas.user.create', {}],
    [
      'an item too long to log',
      envelope.topic,
      { ...envelope.msg, name: 'n'.repeat(1000), version: 'v'.repeat(100) },
    ],
    // PostgreSQL fails on it: each try failed, to be parked after the last.
    ['an item holding a NUL character', envelope.topic, { ...envelope.msg, name: 'a\0b' }],
    ['an item holding a lone surrogate', envelope.topic, { ...envelope.msg, name: 'a\ud800' }],
  ])('schedules nothing for %s, saying why', async (_what, topic, body) => {
    const { ctx, published, lines } = fakeContext();
    const result = await run(ctx, topic, body);
    expect(result.scheduled).toEqual([]);
    expect(result.skipped).toBeTruthy();
    expect(published).toEqual([]);
    expect(lines[0]).toMatch(/^nothing to schedule: /);
  });

  it('schedules nothing for a message no rule matches, and says so', async () => {
    const { ctx, lines } = fakeContext();
    const body = { commit: { namespace: 'rpms', repo: 'vim', rev: 'abc' } };
    const result = await run(ctx, 'org.fedoraproject.prod.git.receive', body);
    expect(result).toMatchObject({ scheduled: [], matched: [], message_type: 'DistGitCommit' });
    expect(lines).toEqual(['DistGitCommit rpms/vim#abc: no rule schedules anything']);
  });

  it('gives the claim and the log record back when publishing fails, so a retry schedules the job', async () => {
    const failing = fakeContext(true);
    const before = jobLog.rows.size;
    await expect(run(failing.ctx, envelope.topic, envelope.msg)).rejects.toThrow('bus down');
    expect(failing.keys.size).toBe(0);
    expect(jobLog.rows.size).toBe(before);
  });

  it('keys the window by item, type, task and arch under the queue prefix', () => {
    const { ctx } = fakeContext();
    const job = { item: 'a', item_type: 'koji_build' as const, taskname: 't', arch: 'noarch' };
    const dedupKey = (j: Parameters<typeof keyOf>[1], msgId: string | null = 'm1') =>
      keyOf(ctx, j, { msg_id: msgId });
    expect(dedupKey(job)).toMatch(/^lb:q:_lb:taskotron:dedup:[0-9a-f]{64}$/);
    expect(dedupKey(job)).not.toBe(dedupKey({ ...job, arch: 'x86_64' }));
    // A discovered check is also keyed by its repository, branch and commit: `tests` of two
    // repositories, of two branches of one, or of a branch before and after a push, are two.
    const discovered = { ...job, git_repo: 'https://h/a', git_branch: 'f41' };
    const pinned = { ...discovered, git_commit: 'a'.repeat(40) };
    expect(dedupKey(pinned)).not.toBe(dedupKey(discovered));
    expect(dedupKey(pinned)).not.toBe(dedupKey({ ...pinned, git_commit: 'b'.repeat(40) }));
    expect(dedupKey(discovered)).not.toBe(dedupKey(job));
    expect(dedupKey(discovered)).not.toBe(dedupKey({ ...discovered, git_repo: 'https://h/b' }));
    expect(dedupKey(discovered)).not.toBe(dedupKey({ ...discovered, git_branch: 'master' }));
    // A build is the same whichever message announces it; a tag's builds change with each tag
    // change, so its key holds the message (the fuse's first): a redelivery is the same.
    expect(dedupKey(job, 'm2')).toBe(dedupKey(job, 'm1'));
    const tag = { ...job, item: 'f41-updates-pending', item_type: 'koji_tag' as const };
    expect(dedupKey(tag, 'm2')).not.toBe(dedupKey(tag, 'm1'));
    expect(dedupKey(tag, 'm1')).toBe(dedupKey(tag, 'm1'));
    expect(dedupKey(tag, null)).not.toBe(dedupKey(tag, 'm1'));
  });

  it('looks into each repository once, merges what several rules found, and schedules the rest when one fails', async () => {
    const { ctx, lines } = fakeContext();
    const asked: string[] = [];
    const COMMIT = 'c0ffee'.repeat(6) + 'c0ff';
    const discover: TriggerOptions['discoverChecks'] = async (d) => {
      asked.push(`${d.repo} ${d.branch}`);
      if (d.repo.endsWith('/broken')) throw new Error(`git clone ${d.repo}: it broke`);
      return {
        branch: 'main',
        commit: COMMIT,
        checks: ['tests'],
        skipped: [{ path: 'x y', reason: 'odd' }],
      };
    };
    const ruleSet = loadRules(
      [
        "- {name: one, when: {}, do: [{discover: {repo: 'https://h/${name}', branch: f41}}, {tasks: [rpmlint]}]}",
        "- {name: two, when: {}, do: [{discover: {repo: 'https://h/${name}', branch: f41}, arches: [x86_64]}]}",
        "- {name: three, when: {}, do: [{discover: {repo: 'https://h/broken', branch: f41}}]}",
        "- {name: four, when: {}, do: [{discover: {repo: '${release}', branch: f41}}]}",
        '',
      ].join('\n'),
    );
    const event = { id: 'msg-disc', topic: envelope.topic, body: envelope.msg } as LoopabullEvent;
    const result = (await triggerOf(ruleSet, discover)(event, ctx)) as TriggerResult;
    expect(asked).toEqual(['https://h/ansible f41', 'https://h/broken f41']);
    // The commit the repository was looked into at: the jobs run that, not the branch later.
    const git = { git_repo: 'https://h/ansible', git_branch: 'main', git_commit: COMMIT };
    expect(result.scheduled.map(({ uuid: _, item: __, item_type: ___, ...j }) => j)).toEqual([
      { taskname: 'rpmlint', arch: 'noarch' },
      { taskname: 'tests', arch: 'noarch', ...git },
      { taskname: 'tests', arch: 'x86_64', ...git },
    ]);
    expect(result.discover_failed).toEqual([
      {
        rule: 'three',
        repo: 'https://h/broken',
        branch: 'f41',
        reason: 'git clone https://h/broken: it broke',
      },
      {
        rule: 'four',
        repo: '1.el7',
        branch: 'f41',
        reason: 'repository "1.el7" is not an http, https, git or file URL (protocol://...)',
      },
    ]);
    expect(lines).toContain(
      'rule three: no checks discovered in https://h/broken (f41): git clone https://h/broken: it broke',
    );
    expect(lines).toContain('rule one: https://h/ansible x y left out: odd');
    expect(
      lines.some((l) =>
        l.includes(`tests/noarch from https://h/ansible main at ${COMMIT} scheduled as`),
      ),
    ).toBe(true);
    expect(
      lines.some((l) => l.startsWith(`rule one: 1 checks in https://h/ansible main at ${COMMIT}`)),
    ).toBe(true);
  });

  it('stops looking into a repository when the worker stops, and then schedules nothing', async () => {
    // A remote that never answers: without the handler's signal, git would hang on it (a
    // detached process group, so it outlives the worker) until git_timeout.
    const server = createServer(() => {});
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const stop = new AbortController();
    const { ctx, published } = fakeContext();
    Object.assign(ctx, { signal: stop.signal });
    const ruleSet = loadRules(
      `- {name: d, when: {}, do: [{tasks: [rpmlint]}, {discover: {repo: 'http://127.0.0.1:${port}/\${name}.git', branch: f41}}]}\n`,
    );
    const slow = taskotronTrigger({
      rules: () => ruleSet,
      critpathPkgs: () => [],
      dedupWindow: 3600,
      validArches: ['x86_64'],
      jobLog,
      git: { timeoutSeconds: 60 },
    });
    const event = { id: 'msg-stop', topic: envelope.topic, body: envelope.msg } as LoopabullEvent;
    try {
      setTimeout(() => stop.abort(), 300);
      const started = Date.now();
      await expect(slow(event, ctx)).rejects.toThrow(/stopped: the worker is shutting down/);
      expect(Date.now() - started).toBeLessThan(5_000);
      // The job goes back to the queue: its retry schedules, not this stopped run.
      expect(published).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('starting the automation', () => {
  // An in-memory SQLite database: the job log's, opened by start; `http` names the artifacts URL.
  const config = {
    database: { url: 'sqlite://' },
    dir: tmpdir(),
    http: { host: '127.0.0.1', port: 8080 },
  } as Config;
  const start = (section: Record<string, unknown>, logger = createLogger('test', 'error')) =>
    taskotron.start!({
      config,
      section: taskotronSection.parse(section),
      logger,
      resolvePath: (p) => p,
    });

  it('has a doctor check that counts the rules', async () => {
    const env = {
      config: {} as Config,
      section: taskotronSection.parse({}),
      logger: createLogger('test', 'error'),
      resolvePath: (p: string) => p,
    };
    const [check] = await taskotron.doctor!(env);
    expect(check!.name).toBe('taskotron rules');
    expect(await check!.probe()).toBe(`2 rules (0 disabled) in ${SHIPPED_RULES}`);
    const broken = await taskotron.doctor!({
      ...env,
      section: taskotronSection.parse({ rules: '/nonexistent.yml' }),
    });
    await expect(broken[0]!.probe()).rejects.toThrow(/nonexistent\.yml/);
  });

  it('has a doctor check that reads the job log and migrates nothing', async () => {
    const env = {
      config,
      section: taskotronSection.parse({}),
      logger: createLogger('test', 'error'),
      resolvePath: (p: string) => p,
    };
    const check = (await taskotron.doctor!(env))[1]!;
    expect(check.name).toBe('taskotron database');
    // Every open of `sqlite://` is a new, empty database.
    expect(await check.probe()).toMatch(
      /^sqlite:\/\/: tables not created yet; the next start of loopabull serve or a worker applies \d+ migrations$/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'taskotron-doctor-'));
    try {
      const file = { ...config, database: { url: 'sqlite:///t.db' }, dir } as Config;
      const probe = async () => (await taskotron.doctor!({ ...env, config: file }))[1]!.probe();
      await expect(probe()).resolves.toMatch(/t\.db does not exist yet/);
      const db = await Database.open(file.database.url, { baseDir: dir, logger: env.logger });
      await db.migrate(JOB_LOG_OWNER, jobLogMigrations(db.dialect));
      await expect(probe()).resolves.toMatch(/: tables not created yet;/);
      await db.migrate(RESULTS_OWNER, resultsMigrations(db.dialect));
      await db.close();
      await expect(probe()).resolves.toBe('job log in sqlite:///t.db: no jobs yet');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // With results sent to another ResultsDB no process makes the built-in one's tables.
    const remote = mkdtempSync(join(tmpdir(), 'taskotron-doctor-'));
    try {
      const file = { ...config, database: { url: 'sqlite:///t.db' }, dir: remote } as Config;
      const section = taskotronSection.parse({ resultsdb_url: 'https://rdb.example.org/api/v2.0' });
      const probe = async () =>
        (await taskotron.doctor!({ ...env, section, config: file }))[1]!.probe();
      const db = await Database.open(file.database.url, { baseDir: remote, logger: env.logger });
      await db.migrate(JOB_LOG_OWNER, jobLogMigrations(db.dialect));
      await db.close();
      await expect(probe()).resolves.toBe('job log in sqlite:///t.db: no jobs yet');
    } finally {
      rmSync(remote, { recursive: true, force: true });
    }
    const unreachable = { ...config, database: { url: 'postgresql://nobody@127.0.0.1:1/x' } };
    await expect(
      (await taskotron.doctor!({ ...env, config: unreachable as Config }))[1]!.probe(),
    ).rejects.toThrow(/cannot open the PostgreSQL database/);
  });

  it.each([
    [
      'a rules file holding an error, naming file, line, rule and key',
      'rules',
      '- when: {message_type: X}\n  do: [{tasks: [a]}]\n- when:\n    name: {$bad: 1}\n  do: [{tasks: [a]}]\n',
      (file: string) =>
        `taskotron rules unusable: ${file}:3: rule 2: when.name.$bad: unknown operator`,
    ],
    [
      'a critpath_file holding a bad line, naming file and line',
      'critpath_file',
      'glibc\nfoo bar\n',
      (file: string) =>
        `taskotron critpath_file unusable: ${file}:2: "foo bar" is not a package name (one per line: letters, digits, - . _ +, starting with a letter or digit)`,
    ],
  ])('starts with %s, and fails each trigger job saying so', async (_what, key, text, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'tasko-start-'));
    const file = join(dir, 'file');
    writeFileSync(file, text);
    const logged: string[] = [];
    const logger = createLogger('test', 'error');
    logger.error = ((line: string) => (logged.push(line), logger)) as Logger['error'];
    const instance = await start({ [key]: file }, logger);
    try {
      const { ctx, published } = fakeContext();
      const run = instance.handlers!.trigger!(
        { id: 'm', topic: envelope.topic, body: envelope.msg } as LoopabullEvent,
        ctx,
      );
      const err: unknown = await Promise.resolve(run).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as Error).message).toBe(message(file));
      expect(published).toEqual([]);
      expect(logged).toEqual([(err as Error).message]);
    } finally {
      await instance.stop?.();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
