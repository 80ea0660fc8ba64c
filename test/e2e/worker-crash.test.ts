/**
 * A worker killed with SIGKILL mid-job, with every process it started (systemd's control-group
 * kill: the playbook runs in a process group of its own, which a group kill would miss): the
 * job is picked up and completed by another worker, and nothing of the first run survives.
 */
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import { jobIdFor, openQueueServices } from '@loopabull/core';
import {
  killTree,
  localPlaybook,
  processAlive,
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

const WORKER = "{{ lookup('env', 'LOOPABULL_WORKER_ID') }}";
const started: CliProcess[] = [];
afterAll(async () => {
  for (const { child } of started)
    if (child.exitCode === null && child.signalCode === null) killTree(child.pid!);
  removeTempDirs();
});

it('completes on another worker when its worker is SIGKILLed mid-job, leaving no playbook process', async () => {
  const out = tempDir('crash');
  // Short, so the killed worker's job is taken again within seconds; not shorter, so the other
  // worker renews its lock in time on a loaded machine (renewed every half of it): a 2 s lock,
  // missed under a load average of 13, made that worker lose its own run and start it again.
  const config = testConfig({ overrides: { workers: { lock_timeout: 5 } } });
  const cfg = ['--config', config.configPath];
  writeAutomation(
    config.ansible.playbooks_dir,
    'org.example.slow.yml',
    localPlaybook([
      {
        // Writes the pid of the shell running this task, then holds the first run until the test
        // has killed its worker. Ansible prints nothing meanwhile, so nothing but the kill can
        // end it early (an orphan writing to its dead worker's pipe would die of SIGPIPE).
        'ansible.builtin.shell': `echo $$ > ${out}/started-${WORKER}; while [ -d ${out} ] && [ ! -e ${out}/release ]; do sleep 0.1; done`,
      },
      { 'ansible.builtin.copy': { content: 'x', dest: `${out}/done-${WORKER}` } },
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
          .find((f) => f.startsWith('started-') && readFileSync(join(out, f), 'utf8').trim())
          ?.slice('started-'.length) as 'a' | 'b' | undefined,
      { what: 'the first run to start' },
    );
    const playbookPid = Number(readFileSync(join(out, `started-${first}`), 'utf8'));
    const victim = workers[first].child;
    const exited = once(victim, 'exit');
    const killed = killTree(victim.pid!);
    await exited;
    expect(killed).toContain(playbookPid);
    await waitFor(() => killed.every((pid) => !processAlive(pid)), {
      what: `every process of worker ${first} to be gone`,
    });
    writeFileSync(join(out, 'release'), '');

    const other = first === 'a' ? 'b' : 'a';
    const job = await waitFor(() => completedJob(services.work.queue, jobIdFor('slow-1')), {
      timeout: 60_000,
      what: 'the job to complete',
    });
    expect(job.returnvalue).toMatchObject({ outcome: 'ran' });
    // Each attempt's log starts with the worker that ran it: the killed one, then the other.
    const { logs } = await services.work.queue.getJobLogs(job.id!);
    const ranBy = logs.flatMap((l) => /^loopabull: running .*, worker (\S+)$/.exec(l)?.[1] ?? []);
    expect(ranBy).toEqual([first, other]);
    expect(existsSync(join(out, `done-${other}`))).toBe(true);
    expect(existsSync(join(out, `done-${first}`))).toBe(false);
    // The killed worker could not say it: the one that found its job stalled does.
    expect(workers[other].output()).toMatch(
      new RegExp(`job back in the queue: its worker died .*job=${job.id}`),
    );
  } finally {
    // Lets a run that outlived a failed kill end by itself.
    writeFileSync(join(out, 'release'), '');
    await Promise.all(started.map((p) => p.stop()));
    await services.close();
    await cleanUpTest(config);
  }
}, 120_000);
