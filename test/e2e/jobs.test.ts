/** An operator's path through a failing playbook with `loopabull jobs`, against a real worker. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  jobIdFor,
  openQueueServices,
  type LoopabullEvent,
  type QueueServices,
} from '@loopabull/core';
import {
  localPlaybook,
  removeTempDirs,
  runCli,
  startCli,
  tempDir,
  testConfig,
  waitFor,
  writeAutomation,
  type CliProcess,
  cleanUpTest,
} from '@test/support';

const TOPIC = 'org.example.deploy';
const config = testConfig({ overrides: { queue: { attempts: 2, backoff: 0.05 } } });
const cfg = ['--config', config.configPath];
let services: QueueServices;
let worker: CliProcess;

const event = (id: string, topic = TOPIC): LoopabullEvent => ({
  id,
  topic,
  body: { version: '1.2' },
  headers: {},
  exchange: 'amq.topic',
  routing_key: topic,
  sent_at: null,
  received_at: new Date().toISOString(),
});
const stateOf = async (id: string) => (await services.work.queue.getJob(id))?.getState();
const cli = async (...args: string[]) => {
  const res = await runCli([...args, ...cfg]);
  if (res.code !== 0)
    throw new Error(`loopabull ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
  return res.stdout;
};

beforeAll(async () => {
  services = await openQueueServices(config);
  // One job at a time: the pause test relies on the worker taking its next job as it finishes one.
  worker = startCli(['worker', '--id', 'jobs', '--concurrency', '1', ...cfg]);
  await worker.waitForOutput(/taking jobs/);
});

afterAll(async () => {
  await worker.stop();
  await services.close();
  await cleanUpTest(config);
  removeTempDirs();
});

it('parks a failing playbook with its exit code, shows its log, retries it once fixed, removes it', async () => {
  writeAutomation(
    config.ansible.playbooks_dir,
    `${TOPIC}.yml`,
    localPlaybook([{ 'ansible.builtin.fail': { msg: 'disk full on the target' } }]),
  );
  const id = jobIdFor('deploy-1');
  await services.work.enqueue(event('deploy-1'));
  await waitFor(async () => (await stateOf(id)) === 'failed', { what: 'the job to be parked' });

  const failed = JSON.parse(await cli('jobs', 'list', '--json'));
  expect(failed).toEqual([
    expect.objectContaining({
      id,
      topic: TOPIC,
      state: 'failed',
      attempts: 2,
      file: `${TOPIC}.yml`,
      exit_code: 2,
      failed_reason: expect.stringMatching(/exited 2[\s\S]*disk full on the target/),
    }),
  ]);
  expect(JSON.parse(await cli('jobs', 'show', id, '--json'))).toMatchObject({
    state: 'failed',
    file: `${TOPIC}.yml`,
    exit_code: 2,
  });
  // The reason's first line ends in a colon: the row goes on with ansible's error line.
  const topic = TOPIC.replaceAll('.', '\\.');
  expect(await cli('jobs', 'list')).toMatch(
    new RegExp(
      `\\n${id}\\s+${topic}\\s+2\\s.*\\s2\\s+ansible-playbook exited 2 \\(playbook ${topic}\\.yml\\), ` +
        `one or more hosts failed: fatal: \\[localhost\\]: FAILED! .*disk full on the target.*\\n`,
    ),
  );
  const logs = await cli('jobs', 'logs', id);
  // Each try begins with the line naming it and ends with one saying how it ended.
  expect(logs.match(/^loopabull: (running .*, )?attempt \d( failed, [a-z ]+)?/gm)).toEqual([
    expect.stringMatching(/^loopabull: running .*, attempt 1$/),
    'loopabull: attempt 1 failed, to be retried',
    expect.stringMatching(/^loopabull: running .*, attempt 2$/),
    'loopabull: attempt 2 failed, the job is parked in the failed set',
  ]);
  expect(logs).toContain('disk full on the target');

  writeAutomation(
    config.ansible.playbooks_dir,
    `${TOPIC}.yml`,
    localPlaybook([{ 'ansible.builtin.debug': { msg: 'deployed {{ msg.version }}' } }]),
  );
  expect(await cli('jobs', 'retry', id)).toMatch(/put back/);
  await waitFor(async () => (await stateOf(id)) === 'completed', {
    what: 'the retried job to complete',
  });
  expect(JSON.parse(await cli('jobs', 'show', id, '--json'))).toMatchObject({
    id,
    state: 'completed',
    file: `${TOPIC}.yml`,
    exit_code: 0,
    event: { body: { version: '1.2' } },
    // One more try, the earlier ones still counted (docs/operating.md).
    attempts: 3,
  });
  const retried = await cli('jobs', 'logs', id);
  expect(retried.match(/^loopabull: running .*, attempt \d/gm)).toEqual([
    expect.stringMatching(/attempt 1$/),
    expect.stringMatching(/attempt 2$/),
    expect.stringMatching(/attempt 3$/),
  ]);
  expect(retried).toContain('deployed 1.2');

  await cli('jobs', 'remove', id);
  expect(await services.work.queue.getJob(id)).toBeUndefined();
  const gone = await runCli(['jobs', 'show', id, ...cfg]);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/no job/);
});

it('holds jobs while paused, the running one finishing, and runs them once resumed', async () => {
  const out = tempDir('pause');
  const [started, release] = [join(out, 'started'), join(out, 'release')];
  writeAutomation(
    config.ansible.playbooks_dir,
    'org.example.blocker.yml',
    localPlaybook([
      { 'ansible.builtin.copy': { content: 'x', dest: started } },
      { 'ansible.builtin.wait_for': { path: release, timeout: 120 } },
    ]),
  );
  writeAutomation(
    config.ansible.playbooks_dir,
    'org.example.held.yml',
    localPlaybook([{ 'ansible.builtin.debug': { msg: 'held no more' } }]),
  );
  const [blocker, held] = [jobIdFor('pause-blocker'), jobIdFor('pause-held')];
  try {
    await services.work.enqueue(event('pause-blocker', 'org.example.blocker'));
    await waitFor(() => existsSync(started), { what: 'the blocking job to run' });
    await cli('pause');
    expect(JSON.parse(await cli('queue', '--json')).paused).toBe(true);
    await services.work.enqueue(event('pause-held', 'org.example.held'));
    writeFileSync(release, '');
    await waitFor(async () => (await stateOf(blocker)) === 'completed', {
      what: 'the running job to finish while paused',
    });
    // A worker takes its next job in the same Redis step in which it completes one: unpaused,
    // the held job would be active by now.
    expect(await stateOf(held)).toBe('waiting');
    await cli('resume');
    await waitFor(async () => (await stateOf(held)) === 'completed', {
      what: 'the held job after resume',
    });
  } finally {
    writeFileSync(release, '');
    await services.work.resume();
  }
});

it('needs an id or --failed to retry, as a usage error', async () => {
  const res = await runCli(['jobs', 'retry', ...cfg]);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/either a job id or --failed/);
});
