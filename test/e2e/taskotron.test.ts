/**
 * Taskotron through the whole engine: a real Koji build-completed message published on the bus,
 * `loopabull looper`, `loopabull worker` and `loopabull serve`, the trigger scheduling the jobs the
 * shipped rules ask for, the runner running the shipped checks with ansible-playbook, and the
 * results read back through the ResultsDB API as Bodhi reads them.
 * Everything runs through the shipped playbooks/: the koji topic's handler file hands the message
 * to the trigger, and playbooks/taskotron.job.mjs runs the check.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { jobIdFor, openQueueServices, type Config, type QueueServices } from '@loopabull/core';
import { SHIPPED_TASKS_DIR } from '@loopabull/taskotron';
import {
  cleanUpTest,
  completedJob,
  freePort,
  localPlaybook,
  readFixture,
  removeTempDirs,
  startCli,
  startReady,
  tempDir,
  testConfig,
  waitFor,
  type CliProcess,
} from '@test/support';

interface FedmsgFixture {
  msg_id: string;
  topic: string;
  msg: Record<string, unknown>;
}

const REPO = new URL('../../', import.meta.url);
const koji = readFixture<FedmsgFixture>('fedmsg/buildsys.build.state.change.json');
const ITEM = 'ansible-1.8.3-1.el7';
const TMT = 'fedora-ci.koji-build./plans/basic.functional';

interface Result {
  id: number;
  outcome: string;
  testcase: { name: string };
  groups: string[];
  note: string | null;
  ref_url: string;
  data: Record<string, string[]>;
}

describe('taskotron on the engine', () => {
  let config: Config;
  let base: string;
  let services: QueueServices;
  let bus: { model: ChannelModel; ch: ConfirmChannel };
  const processes: CliProcess[] = [];

  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(base + path);
    expect([path, res.status]).toEqual([path, 200]);
    return (await res.json()) as T;
  };
  const publish = async (topic: string, body: unknown, messageId: string) => {
    bus.ch.publish(config.bus.bindings[0]!.exchange, topic, Buffer.from(JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
      messageId,
    });
    await bus.ch.waitForConfirms();
  };
  /** A `taskotron.job` published as the trigger publishes it; resolves with its finished job. */
  const runJob = async (body: Record<string, unknown>) => {
    const messageId = `job-${body.uuid as string}`;
    await publish('taskotron.job', body, messageId);
    const id = jobIdFor(messageId);
    return waitFor(
      async () =>
        (await completedJob(services.work.queue, id)) ??
        ((await services.work.queue.getJobState(id)) === 'failed'
          ? services.work.queue.getJob(id)
          : null),
      { what: `job ${body.uuid as string}`, timeout: 60_000 },
    );
  };

  beforeAll(async () => {
    const dir = tempDir('taskotron-e2e');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const playbooks = fileURLToPath(new URL('playbooks', REPO));
    // The shipped checks, beside two that go wrong.
    const tasks = join(dir, 'tasks');
    mkdirSync(tasks);
    for (const name of ['name-lint', 'always-info'])
      symlinkSync(join(SHIPPED_TASKS_DIR, name), join(tasks, name), 'dir');
    const check = (name: string, tasks: unknown[]) => {
      mkdirSync(join(dir, 'tasks', name));
      writeFileSync(join(dir, 'tasks', name, 'tests.yml'), localPlaybook(tasks));
    };
    check('broken', [{ 'ansible.builtin.fail': { msg: 'this check is broken' } }]);
    check('malformed', [
      {
        'ansible.builtin.copy': {
          dest: '{{ artifacts }}/results.yml',
          content: 'results:\n- {outcome: PASSED}\n',
        },
      },
    ]);
    // A Fedora CI tmt plan's result, its data numbers as a check writes them.
    check('tmt', [
      {
        'ansible.builtin.copy': {
          dest: '{{ artifacts }}/results.yml',
          content: `results:\n- {item: tmt-1-1, outcome: PASSED, checkname: ${TMT}, score: 1.0, passed: yes}\n`,
        },
      },
    ]);
    config = testConfig({
      dir,
      overrides: {
        loglevel: 'info',
        http: { port },
        ansible: { playbooks_dir: playbooks },
        taskotron: {
          tasks_dir: tasks,
          artifacts_url: `${base}/artifacts/`,
          namespaces_safe: ['scratch', 'fedora-ci'],
        },
      },
    });
    services = await openQueueServices(config);
    const cfg = ['--config', join(dir, 'loopabull.yml')];
    // In order: the looper says "consuming" once its queue and bindings exist.
    processes.push(await startReady(['looper', ...cfg], /consuming/));
    processes.push(await startReady(['worker', '--id', 'tt', ...cfg], /taking jobs/));
    processes.push(startCli(['serve', ...cfg]));
    await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok, {
      what: 'loopabull serve',
    });
    const model = await amqp.connect(config.bus.url);
    bus = { model, ch: await model.createConfirmChannel() };
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await bus?.model.close();
    await services?.close();
    if (config) await cleanUpTest(config);
    removeTempDirs();
  });

  it('turns a real Koji build-completed message into stored results of the shipped checks, as Bodhi reads them', async () => {
    await publish(koji.topic, koji.msg, koji.msg_id);
    const data = await waitFor(
      async () => {
        const page = await get<{ data: Result[] }>(`/api/v2.0/results?item=${ITEM}`);
        return page.data.length >= 2 ? page.data : null;
      },
      { what: 'the results of name-lint and always-info', timeout: 60_000 },
    );
    const byName = Object.fromEntries(data.map((r) => [r.testcase.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['dist.always-info', 'dist.name-lint']);

    const lint = byName['dist.name-lint']!;
    const [uuid] = lint.groups;
    expect(lint).toMatchObject({
      outcome: 'PASSED',
      note: 'package name ansible follows Fedora naming rules',
      data: { item: [ITEM], type: ['koji_build'], arch: ['noarch'], package: ['ansible'] },
      ref_url: `${base}/artifacts/${uuid}/tests.yml/name-lint.log`,
    });
    const info = byName['dist.always-info']!;
    expect(info).toMatchObject({
      outcome: 'INFO',
      data: { item: [ITEM], type: ['koji_build'], arch: ['noarch'] },
      ref_url: `${base}/artifacts/${info.groups[0]}`,
    });
    expect(info.groups[0]).not.toBe(uuid);

    // The ref_urls resolve: the check's log, and a job's directory.
    const log = await fetch(lint.ref_url);
    expect(log.status).toBe(200);
    expect(await log.text()).toMatch(/^item: ansible-1\.8\.3-1\.el7$/m);
    const listing = await fetch(info.ref_url);
    expect(listing.status).toBe(200);
    // The job's directory holds one per playbook, as checkb's did.
    expect(await listing.text()).toContain('tests.yml/</a>');
    const playbookListing = await fetch(`${info.ref_url}/tests.yml/`);
    expect(await playbookListing.text()).toContain('results.yml</a>');

    // Bodhi: GET /results/latest?item=...&type=koji_build, and the testcases and groups it names.
    const latest = await get<{ data: Result[] }>(
      `/api/v2.0/results/latest?item=${ITEM}&type=koji_build`,
    );
    // Newest first, as ResultsDB: the two checks ran in either order.
    expect(latest.data.map((r) => [r.testcase.name, r.outcome]).sort()).toEqual([
      ['dist.always-info', 'INFO'],
      ['dist.name-lint', 'PASSED'],
    ]);
    // The runner created the testcase with its wiki page, as libtaskotron did.
    expect(await get(`/api/v2.0/testcases/dist.name-lint`)).toMatchObject({
      ref_url: 'https://fedoraproject.org/wiki/Taskotron/Tasks/dist.name-lint',
    });
    expect(await get(`/api/v2.0/groups/${uuid}`)).toMatchObject({
      uuid,
      ref_url: `${base}/artifacts/${uuid}`,
    });
  }, 90_000);

  it('completes a job whose check fails or writes malformed results with a clear NOT_OK, parks a bad job, and keeps running the next', async () => {
    const job = (taskname: string, uuid: string) => ({
      item: 'x-1-1',
      item_type: 'koji_build',
      taskname,
      arch: 'noarch',
      uuid,
    });
    const broken = await runJob(job('broken', 'e2e-broken'));
    expect(broken.returnvalue).toMatchObject({
      value: { execution_status: 'NOT_OK', status: 'the playbook exited with 2', results: [] },
    });
    const malformed = await runJob(job('malformed', 'e2e-malformed'));
    expect(malformed.returnvalue).toMatchObject({
      value: {
        execution_status: 'NOT_OK',
        status: expect.stringMatching(/^malformed results: results\.yml: .*item/),
        results: [],
      },
    });
    const bad = await runJob(job('../../bin', 'e2e-bad'));
    expect(await services.work.queue.getJobState(bad.id!)).toBe('failed');
    expect(bad.failedReason).toMatch(/taskname: not a task name/);
    expect(bad.attemptsMade).toBe(1);

    const after = await runJob(job('always-info', 'e2e-after'));
    expect(after.returnvalue).toMatchObject({
      value: { execution_status: 'OK', status: '1 INFO' },
    });
    const stored = await get<{ data: Result[] }>('/api/v2.0/results?item=x-1-1');
    expect(stored.data.map((r) => [r.testcase.name, r.groups])).toEqual([
      ['dist.always-info', ['e2e-after']],
    ]);
  }, 120_000);

  it('serves a testcase named with slashes at its raw path, with the data a check wrote as ResultsDB stored it', async () => {
    const done = await runJob({
      item: 'tmt-1-1',
      item_type: 'koji_build',
      taskname: 'tmt',
      arch: 'noarch',
      uuid: 'e2e-tmt',
    });
    expect(done.returnvalue).toMatchObject({ value: { execution_status: 'OK' } });
    const href = `${base}/api/v2.0/testcases/${TMT}`;
    // Its wiki link has the name as it is, as libtaskotron's `%s` wrote it.
    const ref_url = `https://fedoraproject.org/wiki/Taskotron/Tasks/${TMT}`;
    expect(await get(`/api/v2.0/testcases/${TMT}`)).toEqual({ name: TMT, ref_url, href });
    const page = await get<{ data: Result[] }>(`/api/v2.0/testcases/${TMT}/results`);
    expect(page.data).toMatchObject([
      { testcase: { name: TMT, href }, data: { score: ['1.0'], passed: ['True'] } },
    ]);
  }, 90_000);
});
