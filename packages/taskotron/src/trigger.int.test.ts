/**
 * The trigger through the engine as deployed: real messages published on RabbitMQ, `loopabull
 * looper` and `loopabull worker` running the shipped `playbooks/` handler files, the job log in
 * the SQLite database beside the config, the scheduled jobs on the bus as `taskotron.job`. The
 * looper is bound to the trigger's topics only: the jobs are read from the bus by the test, and
 * no runner takes them.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import {
  BusPublisher,
  createLogger,
  jobIdFor,
  openQueueServices,
  type JobResult,
  type LoopabullEvent,
  type QueueServices,
} from '@loopabull/core';
import { Database } from '@loopabull/database';
import {
  allJobs,
  cleanUpTest,
  completedJob,
  gitHead,
  gitPush,
  gitRepo,
  localPlaybook,
  readFixture,
  removeTempDirs,
  startCli,
  testConfig,
  testEvent,
  waitFor,
  type CliProcess,
} from '@test/support';
import { FUSE_TOPIC } from './fuse.js';
import { JobLog, type LoggedJob } from './job-log.js';
import { JOB_TOPIC, type TriggerJob, type TriggerResult } from './trigger.js';

const PLAYBOOKS = new URL('../../../playbooks', import.meta.url).pathname;
const KOJI_BUILD = 'org.fedoraproject.prod.buildsys.build.state.change';
const KOJI_TAG = 'org.fedoraproject.prod.buildsys.tag';
const GIT = 'org.fedoraproject.prod.git.receive';
const fixture = readFixture<{ msg: Record<string, unknown> }>(
  'fedmsg/buildsys.build.state.change.json',
);
/** The fixture's build under another name, so that each test has items of its own. */
const build = (name: string, changes: Record<string, unknown> = {}) => ({
  ...fixture.msg,
  name,
  ...changes,
});
const FUSE_SECONDS = 2;

interface TriggerWorker {
  config: ReturnType<typeof testConfig>;
  /** Enqueues the events and waits for each one's trigger result. */
  results(events: LoopabullEvent[]): Promise<TriggerResult[]>;
  /** The job log's entries for an item, read from the config's database. */
  logged(item: string): Promise<LoggedJob[]>;
}

/**
 * A `loopabull worker` on the shipped handler files, with `rules` as the rules file and
 * `taskotron: {rules: rules.yml, <section>}`; `prepare` writes more files beside the config.
 */
async function withTriggerWorker(
  opts: { id: string; rules: readonly string[]; section?: string; prepare?: (dir: string) => void },
  use: (t: TriggerWorker) => Promise<void>,
): Promise<void> {
  const config = testConfig({ overrides: { ansible: { playbooks_dir: PLAYBOOKS } } });
  writeFileSync(join(config.dir, 'rules.yml'), [...opts.rules, ''].join('\n'));
  opts.prepare?.(config.dir);
  const section = opts.section ? `, ${opts.section}` : '';
  writeFileSync(
    config.configPath,
    readFileSync(config.configPath, 'utf8') + `taskotron: { rules: rules.yml${section} }\n`,
  );
  const services = await openQueueServices(config);
  const worker = startCli(['worker', '--id', opts.id, '--config', config.configPath]);
  try {
    await worker.waitForOutput(/taking jobs/i);
    await use({
      config,
      results: async (events) => {
        for (const event of events) await services.work.enqueue(event);
        return Promise.all(
          events.map(async (event) => {
            const job = await waitFor(() => completedJob(services.work.queue, jobIdFor(event.id)), {
              what: `the trigger job of ${event.id}`,
            });
            return (job.returnvalue as JobResult).value as TriggerResult;
          }),
        );
      },
      logged: async (item) => {
        const db = await Database.open(config.database.url, {
          baseDir: config.dir,
          logger: createLogger('database', 'error'),
        });
        try {
          return await JobLog.reading(db).recent(10, { item });
        } finally {
          await db.close();
        }
      },
    });
  } finally {
    await worker.stop();
    await services.close();
    await cleanUpTest(config);
  }
}

describe('the taskotron trigger on the bus', () => {
  const exchange = `taskotron-trigger-${randomBytes(4).toString('hex')}`;
  const config = testConfig({
    overrides: {
      ansible: { playbooks_dir: PLAYBOOKS },
      bus: {
        publish_exchange: exchange,
        bindings: [KOJI_BUILD, KOJI_TAG, GIT].map((routing_key) => ({ exchange, routing_key })),
      },
      taskotron: { fuse_delay: FUSE_SECONDS },
    },
  });
  let amqpModel: ChannelModel;
  let ch: Channel;
  let jobQueue: string;
  /** Every taskotron.job message published so far. */
  const published: TriggerJob[] = [];
  const cfg = ['--config', config.configPath];
  let looper: CliProcess;
  let worker: CliProcess;
  let services: QueueServices;
  let publisher: BusPublisher;
  let db: Database;
  let jobLog: JobLog;
  let n = 0;

  beforeAll(async () => {
    amqpModel = await amqp.connect(config.bus.url);
    ch = await amqpModel.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: true });
    ({ queue: jobQueue } = await ch.assertQueue('', { exclusive: true }));
    await ch.bindQueue(jobQueue, exchange, JOB_TOPIC);
    services = await openQueueServices(config);
    publisher = new BusPublisher(config);
    looper = startCli(['looper', ...cfg]);
    worker = startCli(['worker', '--id', 'trigger', ...cfg]);
    await Promise.all([looper.waitForOutput(/consuming/i), worker.waitForOutput(/taking jobs/i)]);
    db = await Database.open(config.database.url, {
      baseDir: config.dir,
      logger: createLogger('database', 'error'),
    });
    jobLog = await JobLog.open(db);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([looper?.stop(), worker?.stop()]);
    await amqpModel?.close();
    await publisher?.close();
    await db?.close();
    await services?.close();
    await cleanUpTest(config);
    removeTempDirs();
  });

  const publish = async (
    topic: string,
    body: unknown,
    messageId = `trigger-${++n}-${Date.now()}`,
  ) => {
    await publisher.publish(topic, body, { messageId });
    return messageId;
  };
  /** What the trigger's job returned, once it has completed. */
  const triggered = async (messageId: string) => {
    const job = await waitFor(() => completedJob(services.work.queue, jobIdFor(messageId)), {
      what: `the job of message ${messageId}`,
    });
    return (job.returnvalue as JobResult).value as TriggerResult;
  };
  /** Messages the looper has put in the queue (a redelivered one too, as the job it was). */
  const enqueued = async () =>
    Object.values((await services.counters.read()).enqueued ?? {}).reduce((a, b) => a + b, 0);
  const fuseJobs = async () =>
    (await allJobs(services.work.queue)).filter((j) => j.data.topic === FUSE_TOPIC);
  /** The `taskotron.job` messages published for an item. */
  const jobsOnBus = async (item: string) => {
    for (let m = await ch.get(jobQueue); m; m = await ch.get(jobQueue)) {
      published.push(JSON.parse(m.content.toString()) as TriggerJob);
      ch.ack(m);
    }
    return published.filter((j) => j.item === item);
  };

  it('turns a real koji build message into the jobs the rules say, logged and on the bus', async () => {
    const id = await publish(KOJI_BUILD, fixture.msg);
    const result = await triggered(id);
    const item = 'ansible-1.8.3-1.el7';
    expect(result.scheduled.map(({ uuid: _, ...job }) => job)).toEqual([
      { item, item_type: 'koji_build', taskname: 'name-lint', arch: 'noarch' },
      { item, item_type: 'koji_build', taskname: 'always-info', arch: 'noarch' },
    ]);
    const queued = await waitFor(
      async () => ((await jobsOnBus(item)).length === 2 ? jobsOnBus(item) : null),
      { what: 'two taskotron.job messages' },
    );
    expect(queued.sort((a, b) => a.uuid.localeCompare(b.uuid))).toEqual(
      [...result.scheduled].sort((a, b) => a.uuid.localeCompare(b.uuid)),
    );
    const logged = await jobLog.recent(10, { item });
    expect(logged.map((j) => j.uuid).sort()).toEqual(result.scheduled.map((j) => j.uuid).sort());
    for (const job of logged)
      expect(job.trigger).toEqual({ topic: KOJI_BUILD, msg_id: id, rules: ['koji-build'] });
  });

  it('schedules a build sent again under a new message id no second time (the dedup window)', async () => {
    const body = build('resent');
    const first = await triggered(await publish(KOJI_BUILD, body));
    const again = await triggered(await publish(KOJI_BUILD, body));
    expect(first.scheduled).toHaveLength(2);
    expect(again.scheduled).toEqual([]);
    expect(again.duplicates).toHaveLength(2);
    expect(await jobLog.recent(10, { item: 'resent-1.8.3-1.el7' })).toHaveLength(2);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a scratch build', { scratch: true }, /scratch build/],
    ['a failed build', { new: 3 }, /build state 3 is not COMPLETE/],
    ['a build of another koji instance', { instance: 'ppc' }, /koji instance "ppc"/],
  ])('schedules nothing for %s, and says why', async (what, changes, why) => {
    const name = `skip-${what.split(' ').pop()}-${n}`;
    const result = await triggered(await publish(KOJI_BUILD, build(name, changes)));
    expect(result.skipped).toMatch(why);
    expect(result.scheduled).toEqual([]);
    expect(await jobLog.recent(10, { item: `${name}-1.8.3-1.el7` })).toEqual([]);
  });

  it('schedules nothing for a message no rule matches, and goes on', async () => {
    const body = { commit: { namespace: 'rpms', repo: 'vim', rev: 'feed42', branch: 'f41' } };
    const result = await triggered(await publish(GIT, body));
    expect(result).toMatchObject({ message_type: 'DistGitCommit', matched: [], scheduled: [] });
    const next = await triggered(await publish(KOJI_BUILD, build('after-nomatch')));
    expect(next.scheduled).toHaveLength(2);
  });

  it('schedules a burst of tagging into one tag once, when the fuse has burnt', async () => {
    const tag = `f4${n % 10}-updates-testing-pending`;
    const tagged = (name: string) => ({ ...build(name), tag, owner: 'bodhi' });
    const ids: string[] = [];
    for (const name of ['one', 'two', 'three']) ids.push(await publish(KOJI_TAG, tagged(name)));
    const results = [];
    for (const id of ids) results.push(await triggered(id));
    const fuses = new Set(results.map((r) => r.fused?.job));
    expect(fuses.size).toBe(1);
    expect(results.map((r) => r.fused?.lit)).toEqual([true, false, false]);
    expect(results.every((r) => r.scheduled.length === 0)).toBe(true);

    const fuse = await fuseJobs();
    expect(fuse.map((j) => j.id)).toEqual([...fuses]);
    const burnt = await triggered(fuse[0]!.data.id);
    expect(burnt.scheduled.map(({ uuid: _, ...job }) => job)).toEqual([
      { item: tag, item_type: 'koji_tag', taskname: 'always-info', arch: 'noarch' },
    ]);
    const [logged, ...more] = await jobLog.recent(10, { item: tag });
    expect(more).toEqual([]);
    expect(logged!.trigger).toEqual({
      topic: KOJI_TAG,
      msg_id: ids[0],
      rules: ['updates-pending-tag'],
    });

    // The first message redelivered: its job is there already, so nothing runs again.
    const first = async () => (await services.work.queue.getJob(jobIdFor(ids[0]!)))!;
    const ran = (await first()).finishedOn;
    const before = await enqueued();
    await publish(KOJI_TAG, tagged('one'), ids[0]);
    await waitFor(async () => (await enqueued()) > before, { what: 'the redelivery enqueued' });
    expect((await first()).finishedOn).toBe(ran);
    expect(await fuseJobs()).toHaveLength(1);
    // A tag change after the fuse burnt, within the dedup window: the tag holds other builds
    // now, so its new fuse schedules the check again (as each of Taskotron's fuses did).
    const laterId = await publish(KOJI_TAG, tagged('four'));
    const later = await triggered(laterId);
    expect(later.fused?.lit).toBe(true);
    const second = await triggered(later.fused!.job);
    expect(second.duplicates).toEqual([]);
    expect(second.scheduled.map(({ uuid: _, ...job }) => job)).toEqual([
      { item: tag, item_type: 'koji_tag', taskname: 'always-info', arch: 'noarch' },
    ]);
    expect(await fuseJobs()).toHaveLength(2);
    const [newest] = await jobLog.recent(10, { item: tag });
    expect(newest!.trigger.msg_id).toBe(laterId);
    expect(await jobLog.recent(10, { item: tag })).toHaveLength(2);
    expect(await jobsOnBus(tag)).toHaveLength(2);
  }, 30_000);
});

describe('a rules file with an error', () => {
  it('fails the trigger jobs naming the file and line, while the worker runs everything else', async () => {
    const config = testConfig({ overrides: { ansible: { playbooks_dir: PLAYBOOKS } } });
    const rules = join(config.dir, 'rules.yml');
    writeFileSync(
      rules,
      '- when: {message_type: KojiBuildPackageCompleted}\n  do: [{tasks: []}]\n',
    );
    writeFileSync(
      config.configPath,
      readFileSync(config.configPath, 'utf8') + `taskotron: { rules: ${rules} }\n`,
    );
    const services = await openQueueServices(config);
    const worker = startCli(['worker', '--id', 'bad-rules', '--config', config.configPath]);
    try {
      await worker.waitForOutput(/taking jobs/i);
      const koji = testEvent(KOJI_BUILD, { body: fixture.msg });
      const demo = testEvent('loopabull.demo.tag', {
        body: { name: 'x', version: '1', release: '1.fc41', tag: 'f41-updates', owner: 'me' },
      });
      for (const event of [koji, demo]) await services.work.enqueue(event);
      const done = await waitFor(() => completedJob(services.work.queue, jobIdFor(demo.id)), {
        what: 'the demo handler',
      });
      expect((done.returnvalue as JobResult).value).toEqual({
        nvr: 'x-1-1.fc41',
        tag: 'f41-updates',
      });
      const failed = await waitFor(
        async () => {
          const job = await services.work.queue.getJob(jobIdFor(koji.id));
          return job?.finishedOn ? job : null;
        },
        { what: 'the trigger job to fail' },
      );
      expect(failed.failedReason).toBe(
        `handler ${KOJI_BUILD}.mjs failed: taskotron rules unusable: ${rules}:2: rule 1: do[0].tasks: needs a non-empty list of task names`,
      );
      expect(failed.attemptsMade).toBe(1);
    } finally {
      await worker.stop();
      await services.close();
      await cleanUpTest(config);
    }
  }, 30_000);
});

describe('critical-path packages from taskotron.critpath_file', () => {
  it("offers the file's packages to rules as critpath_pkgs: a $in rule schedules for a listed build only", async () => {
    const rules = [
      '- name: abicheck',
      '  when:',
      '    message_type: KojiBuildPackageCompleted',
      "    name: {$in: '${critpath_pkgs}', $nin: [kernel]}",
      '  do: [{tasks: [abicheck], arches: [x86_64]}]',
    ];
    const prepare = (dir: string) =>
      writeFileSync(join(dir, 'critpath.txt'), '# critical path\nansible\nkernel\n\nglibc\n');
    await withTriggerWorker(
      { id: 'critpath', rules, section: 'critpath_file: critpath.txt', prepare },
      async ({ results }) => {
        const got = await results(
          ['ansible', 'kernel', 'vim'].map((name) =>
            testEvent(KOJI_BUILD, { body: name === 'ansible' ? fixture.msg : build(name) }),
          ),
        );
        expect(got.map((r) => r.scheduled.map((j) => `${j.taskname}/${j.arch}`))).toEqual([
          ['abicheck/x86_64'],
          [],
          [],
        ]);
        expect(got[0]!.matched).toEqual(['abicheck']);
      },
    );
  }, 30_000);
});

describe('GitHub pull requests and composes', () => {
  it("schedules Taskotron's 2017 rules for them through the shipped handler files, and says why a malformed one schedules nothing", async () => {
    // The production rules of 2017 (docs part E.2) for these message types.
    const rules = [
      '- when: {message_type: AtomicCompose}',
      '  do: [{tasks: [upstream-atomic, fedora-cloud-tests]}]',
      '- when: {message_type: CloudCompose}',
      '  do: [{tasks: [fedora-cloud-tests]}]',
      '- when:',
      '    message_type: GitHubPullRequestOpened',
      "    repo_name: {$regex: '/^container-images\\/.+/'}",
      '  do: [{tasks: [mtf-containers]}]',
    ];
    const PR = 'org.fedoraproject.prod.github.pull_request.opened';
    const COMPOSE = 'org.fedoraproject.prod.pungi.compose.status.change';
    const pr = (repo: string) => ({
      action: 'opened',
      number: 6,
      pull_request: {
        html_url: `https://github.com/${repo}/pull/6`,
        number: 6,
        head: { sha: '54c80f816ed992a3a43c823e11cfce0a69f64d6d', ref: 'feature' },
        base: { ref: 'master' },
      },
      repository: { full_name: repo, html_url: `https://github.com/${repo}` },
    });
    const compose = (id: string) => ({
      compose_id: id,
      location: `https://kojipkgs.fedoraproject.org/compose/twoweek/${id}/compose`,
      status: 'FINISHED',
    });
    await withTriggerWorker({ id: 'pr-compose', rules }, async ({ results, logged }) => {
      const events = [
        testEvent(PR, { body: pr('container-images/memcached') }),
        testEvent(PR, { body: pr('fedora-infra/bodhi') }),
        testEvent(COMPOSE, { body: compose('Fedora-Atomic-26-20170707.1') }),
        testEvent(COMPOSE, { body: compose('Fedora-Cloud-26-20170707.0') }),
        testEvent(PR, { body: { action: 'opened', pull_request: 'nope' } }),
        testEvent(COMPOSE, { body: { ...compose('Fedora-Cloud-26-20170707.0'), location: 7 } }),
      ];
      const got = await results(events);
      const scheduled = got.map((r) =>
        r.scheduled.map((j) => `${j.taskname} ${j.item_type} ${j.item}`),
      );
      expect(scheduled).toEqual([
        ['mtf-containers pull_request https://github.com/container-images/memcached/pull/6'],
        [],
        [
          'upstream-atomic compose https://kojipkgs.fedoraproject.org/compose/twoweek/Fedora-Atomic-26-20170707.1/compose',
          'fedora-cloud-tests compose https://kojipkgs.fedoraproject.org/compose/twoweek/Fedora-Atomic-26-20170707.1/compose',
        ],
        [
          'fedora-cloud-tests compose https://kojipkgs.fedoraproject.org/compose/twoweek/Fedora-Cloud-26-20170707.0/compose',
        ],
        [],
        [],
      ]);
      expect(got.slice(0, 4).map((r) => r.message_type)).toEqual([
        'GitHubPullRequestOpened',
        'GitHubPullRequestOpened',
        'AtomicCompose',
        'CloudCompose',
      ]);
      expect(got[4]!.skipped).toBe(
        'not a github pull request message: pull_request: Invalid input: expected object, received string',
      );
      expect(got[5]!.skipped).toBe(
        'not a pungi compose message: location: Invalid input: expected string, received number',
      );
      const [entry, ...more] = await logged('https://github.com/container-images/memcached/pull/6');
      expect(more).toEqual([]);
      expect(entry).toMatchObject({ item_type: 'pull_request', taskname: 'mtf-containers' });
      expect(entry!.trigger).toEqual({ topic: PR, msg_id: events[0]!.id, rules: ['rule 3'] });
    });
  }, 30_000);
});

/** A rule that discovers the checks of `repo`'s main branch for each Koji build. */
const discoverOnBuild = (repo: string) => [
  '- name: dist-git',
  '  when: {message_type: KojiBuildPackageCompleted}',
  `  do: [{discover: {repo: '${repo}', branch: main}}]`,
];

describe('discovered checks: a discover action through a worker, with real git', () => {
  it('schedules each check of the repository per arch with git_repo, git_branch and git_commit, falling back to fallback_branch, and reports a repository it cannot clone while the rest still schedules', async () => {
    const CHECK = '- hosts: localhost\n  tasks: []\n';
    const repo = gitRepo(
      { master: { 'tests/tests.yml': CHECK, 'tests/smoke/tests.yml': CHECK, 'x.spec': '' } },
      'ansible',
    );
    const base = repo.slice(0, -'ansible.git'.length);
    const rules = [
      '- name: dist-git',
      '  when: {message_type: KojiBuildPackageCompleted}',
      '  do:',
      '    - {tasks: [name-lint]}',
      `    - discover: {repo: '${base}\${name}.git', branch: '\${distgit_branch}', fallback_branch: master, recursive: true}`,
      '      arches: [x86_64, armhfp]',
      '- name: top-level-only',
      '  when: {message_type: KojiBuildPackageCompleted}',
      `  do: [{discover: {repo: '${base}\${name}.git', branch: master}, match_host_arch: true}]`,
    ];
    try {
      await withTriggerWorker(
        { id: 'discover', rules, section: 'valid_arches: [x86_64]' },
        async ({ results, logged }) => {
          const [ok, failed] = await results([
            testEvent(KOJI_BUILD, { body: fixture.msg }),
            testEvent(KOJI_BUILD, { body: build('nosuchrepo') }),
          ]);
          // ansible-1.8.3-1.el7: dist-git branch epel7, which the repository lacks: master is used.
          const scheduled = ok!.scheduled.map(({ uuid: _, item: __, item_type: ___, ...j }) => j);
          const git = { git_repo: repo, git_branch: 'master', git_commit: gitHead(repo, 'master') };
          expect(scheduled).toEqual([
            { taskname: 'name-lint', arch: 'noarch' },
            { taskname: 'tests', arch: 'x86_64', ...git },
            { taskname: 'tests/smoke', arch: 'x86_64', ...git },
          ]);
          // armhfp is not in valid_arches; top-level-only found `tests` (not recursive) for
          // x86_64 (match_host_arch: the valid arches), which dist-git scheduled already.
          expect(ok!.dropped).toEqual([
            expect.objectContaining({ rule: 'dist-git', arch: 'armhfp' }),
          ]);
          const commit = git.git_commit;
          expect(ok!.discovered).toEqual([
            { rule: 'dist-git', repo, branch: 'master', commit, checks: ['tests', 'tests/smoke'] },
            { rule: 'top-level-only', repo, branch: 'master', commit, checks: ['tests'] },
          ]);
          expect(ok!.discover_failed).toEqual([]);
          const tests = (await logged('ansible-1.8.3-1.el7')).find((j) => j.taskname === 'tests');
          expect(tests!.trigger.rules).toEqual(['dist-git', 'top-level-only']);
          expect(tests).toMatchObject(git);

          const gone = `${base}nosuchrepo.git`;
          expect(failed!.scheduled.map((j) => j.taskname)).toEqual(['name-lint']);
          expect(failed!.discover_failed).toEqual([
            expect.objectContaining({ rule: 'dist-git', repo: gone, branch: 'epel7' }),
            expect.objectContaining({ rule: 'top-level-only', repo: gone, branch: 'master' }),
          ]);
          expect(failed!.discover_failed[0]!.reason).toMatch(
            new RegExp(`^git ls-remote ${gone}: .*does not appear to be a git repository`),
          );
        },
      );
    } finally {
      removeTempDirs();
    }
  }, 60_000);

  it('schedules a check of a build again once its repository has a new commit, and not before (the dedup window)', async () => {
    const CHECK = '- hosts: localhost\n  tasks: []\n';
    const repo = gitRepo({ main: { 'tests/tests.yml': CHECK } }, 'emacs');
    const a = gitHead(repo, 'main');
    const rules = discoverOnBuild(repo);
    try {
      await withTriggerWorker({ id: 'discover-dedup', rules }, async ({ results, logged }) => {
        const announced = async () =>
          (await results([testEvent(KOJI_BUILD, { body: build('emacs') })]))[0]!;
        const at = (git_commit: string) => [
          expect.objectContaining({ taskname: 'tests', git_branch: 'main', git_commit }),
        ];
        const first = await announced();
        expect(first.scheduled).toEqual(at(a));
        // The same build announced again, the check unchanged: a duplicate.
        const again = await announced();
        expect(again.scheduled).toEqual([]);
        expect(again.duplicates).toEqual(at(a));
        // Pushed to the check's repository since: a check that has not run on the build yet.
        const b = gitPush(repo, 'main', { 'tests/tests.yml': `${CHECK}# changed\n` });
        const pushed = await announced();
        expect(pushed.scheduled).toEqual(at(b));
        expect(pushed.duplicates).toEqual([]);
        const commits = (await logged(first.item!)).map((j) => j.git_commit);
        expect(commits.sort()).toEqual([a, b].sort());
      });
    } finally {
      removeTempDirs();
    }
  }, 60_000);

  it.each([
    ['a new clone each time', undefined],
    ['taskotron.git_cache_dir', 'git-cache'],
  ])(
    'runs the check of the commit the trigger saw, not what was pushed to the branch since (%s)',
    async (_, cache) => {
      const reports = (checkname: string) =>
        localPlaybook([
          {
            'ansible.builtin.copy': {
              dest: '{{ artifacts }}/results.yml',
              content: `results:\n- {item: x, outcome: PASSED, checkname: ${checkname}}\n`,
            },
          },
        ]);
      const repo = gitRepo({ main: { 'tests/tests.yml': reports('scratch.from-a') } }, 'vim');
      const a = gitHead(repo, 'main');
      const rules = discoverOnBuild(repo);
      try {
        const section = cache === undefined ? undefined : `git_cache_dir: ${cache}`;
        const opts = { id: 'discover-commit', rules, ...(section ? { section } : {}) };
        await withTriggerWorker(opts, async ({ config, results, logged }) => {
          const [triggered] = await results([testEvent(KOJI_BUILD, { body: build('vim') })]);
          const [job] = triggered!.scheduled;
          expect(job).toMatchObject({ taskname: 'tests', git_branch: 'main', git_commit: a });
          expect(await logged(job!.item)).toEqual([expect.objectContaining({ git_commit: a })]);
          const mirrors = () =>
            cache === undefined
              ? []
              : readdirSync(join(config.dir, cache)).filter((n) => n.endsWith('.git'));
          const made = mirrors();
          expect(made).toHaveLength(cache === undefined ? 0 : 1);
          // Pushed after the trigger looked, before the job runs.
          gitPush(repo, 'main', { 'tests/tests.yml': reports('scratch.from-b') });
          const [ran] = (await results([testEvent(JOB_TOPIC, { body: job })])) as unknown as Array<{
            execution_status: string;
            results: Array<{ testcase: string }>;
          }>;
          expect(ran).toMatchObject({
            execution_status: 'OK',
            results: [{ testcase: 'scratch.from-a' }],
          });
          // The job's checkout, served from the mirror the trigger's look made.
          expect(mirrors()).toEqual(made);
        });
      } finally {
        removeTempDirs();
      }
    },
    60_000,
  );
});
