/** An operator's path through a failing playbook with `loopabull jobs`, against a real worker. */
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

const event = (id: string): LoopabullEvent => ({
  id,
  topic: TOPIC,
  body: { version: '1.2' },
  headers: {},
  exchange: 'amq.topic',
  routing_key: TOPIC,
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
  worker = startCli(['worker', '--id', 'jobs', ...cfg]);
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
      failed_reason: expect.stringMatching(/exited 2[\s\S]*disk full on the target/),
    }),
  ]);
  expect(await cli('jobs', 'list')).toMatch(
    new RegExp(`${id}\\s+${TOPIC.replaceAll('.', '\\.')}\\s+2\\s`),
  );
  const logs = await cli('jobs', 'logs', id);
  expect(logs.match(/attempt \d/g)).toEqual(['attempt 1', 'attempt 2']);
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
    event: { body: { version: '1.2' } },
  });
  expect(await cli('jobs', 'logs', id)).toContain('deployed 1.2');

  await cli('jobs', 'remove', id);
  expect(await services.work.queue.getJob(id)).toBeUndefined();
  const gone = await runCli(['jobs', 'show', id, ...cfg]);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/no job/);
});

it('holds jobs while paused and runs them once resumed', async () => {
  await cli('pause');
  expect(JSON.parse(await cli('queue', '--json')).paused).toBe(true);
  await services.work.enqueue(event('after-pause'));
  expect(await stateOf(jobIdFor('after-pause'))).toBe('waiting');
  await cli('resume');
  await waitFor(async () => (await stateOf(jobIdFor('after-pause'))) === 'completed', {
    what: 'the job after resume',
  });
});

it('needs an id or --failed to retry, as a usage error', async () => {
  const res = await runCli(['jobs', 'retry', ...cfg]);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/either a job id or --failed/);
});
