/**
 * A worker killed with SIGKILL mid-job (its whole process group, as systemd's control-group
 * kill does): the job is picked up and completed by another worker.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import { jobIdFor, openQueueServices } from '@loopabull/core';
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
  completedJob,
  cleanUpTest,
} from '@test/support';

const started: CliProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.killGroup()));
  removeTempDirs();
});

it('completes on another worker when its worker is SIGKILLed mid-job', async () => {
  const out = tempDir('crash');
  const config = testConfig({ overrides: { workers: { lock_timeout: 2 } } });
  const cfg = ['--config', config.configPath];
  writeAutomation(
    config.ansible.playbooks_dir,
    'org.example.slow.yml',
    localPlaybook([
      {
        'ansible.builtin.copy': {
          content: 'x',
          dest: `${out}/started-{{ lookup('env', 'LOOPABULL_WORKER_ID') }}`,
        },
      },
      // Holds the first run until the test has killed its worker.
      { 'ansible.builtin.wait_for': { path: `${out}/release`, timeout: 120 } },
      {
        'ansible.builtin.copy': {
          content: 'x',
          dest: `${out}/done-{{ lookup('env', 'LOOPABULL_WORKER_ID') }}`,
        },
      },
    ]),
  );
  const services = await openQueueServices(config);
  try {
    const looper = startCli(['looper', ...cfg]);
    const workers = {
      a: startCli(['worker', '--id', 'a', ...cfg]),
      b: startCli(['worker', '--id', 'b', ...cfg]),
    };
    started.push(looper, workers.a, workers.b);
    await Promise.all([
      looper.waitForOutput(/consuming/i),
      workers.a.waitForOutput(/taking jobs/i),
      workers.b.waitForOutput(/taking jobs/i),
    ]);

    expect((await runCli(['publish', 'org.example.slow', '--id', 'slow-1', ...cfg])).code).toBe(0);
    const first = await waitFor(
      () =>
        readdirSync(out)
          .find((f) => f.startsWith('started-'))
          ?.slice('started-'.length) as 'a' | 'b' | undefined,
      { what: 'the first run to start' },
    );
    await workers[first].killGroup();
    writeFileSync(join(out, 'release'), '');

    const other = first === 'a' ? 'b' : 'a';
    await waitFor(() => existsSync(join(out, `done-${other}`)), {
      timeout: 60_000,
      what: `worker ${other} to finish the job`,
    });
    const job = await waitFor(() => completedJob(services.work.queue, jobIdFor('slow-1')), {
      what: 'the job to complete',
    });
    expect(job.returnvalue).toMatchObject({ outcome: 'ran' });
    expect(existsSync(join(out, `done-${first}`))).toBe(false);
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await services.close();
    await cleanUpTest(config);
  }
}, 120_000);
