/**
 * `loopabull worker` on SIGTERM (README of packages/worker, `worker --help`): it takes no new
 * job, gives running ones `workers.shutdown_grace` seconds, then aborts handlers' `ctx.signal`
 * and kills playbooks' process groups (SIGTERM, SIGKILL 5 s later), and puts their jobs back.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  localPlaybook,
  openTestQueue,
  processAlive,
  removeTempDirs,
  startPart,
  testConfig,
  testEvent,
  undoAfterEach,
  waitFor,
  writeAutomation,
} from '@test/support';

afterAll(removeTempDirs);
const undo = undoAfterEach();

async function setUp(workers: Record<string, unknown>) {
  const config = testConfig({ overrides: { workers } });
  const services = await openTestQueue(config, undo);
  // Its own temp dir, where the runs' vars files go: what is left there after it is the worker's.
  const tmp = join(config.dir, 'tmp');
  mkdirSync(tmp);
  const worker = await startPart('worker', config, undo, [], { TMPDIR: tmp });
  const exited = once(worker.child, 'exit');
  const file = (name: string) => join(config.dir, name);
  return { config, services, worker, exited, file, tmp };
}

/**
 * Enqueues a job of `topic`, whose playbook's task writes its pid to the file `pid`, and resolves
 * with that pid once it runs; a task still alive after the test is killed.
 */
async function startedTask(
  services: Awaited<ReturnType<typeof openTestQueue>>,
  file: (name: string) => string,
  topic: string,
): Promise<number> {
  await services.work.enqueue(testEvent(topic));
  const pid = Number(
    await waitFor(() => existsSync(file('pid')) && readFileSync(file('pid'), 'utf8'), {
      what: 'the task to start',
    }),
  );
  undo(() => processAlive(pid) && process.kill(pid, 'SIGKILL'));
  return pid;
}

describe('a worker stopping', () => {
  it('takes no new job during its grace, then aborts ctx.signal of the running handler', async () => {
    const { config, services, worker, exited, file } = await setUp({
      concurrency: 2,
      shutdown_grace: 5,
    });
    writeAutomation(
      config.ansible.playbooks_dir,
      'org.example.held.mjs',
      `import { writeFileSync } from 'node:fs';
export default (event, ctx) => {
  writeFileSync(${JSON.stringify(config.dir)} + '/started-' + event.id, '');
  ctx.signal.addEventListener('abort', () =>
    writeFileSync(${JSON.stringify(config.dir)} + '/aborted-' + event.id, ctx.signal.reason.message));
  return new Promise(() => {});
};\n`,
    );
    const first = await services.work.enqueue(testEvent('org.example.held', { id: 'held-1' }));
    await waitFor(() => existsSync(file('started-held-1')), { what: 'the first job to start' });

    worker.child.kill('SIGTERM');
    await worker.waitForOutput(/worker stopping/);
    // A free slot (concurrency 2) and a job for it, while the grace runs.
    const second = await services.work.enqueue(testEvent('org.example.held', { id: 'held-2' }));
    expect(worker.output()).not.toMatch(/shutdown grace is over/);
    await exited;

    expect(existsSync(file('started-held-2'))).toBe(false);
    expect(await services.work.queue.getJobState(second)).toBe('waiting');
    expect(readFileSync(file('aborted-held-1'), 'utf8')).toBe('the worker is shutting down');
    const job = await services.work.queue.getJob(first);
    expect(await job!.getState()).toBe('waiting');
    expect(job!.attemptsMade).toBe(0);
  });

  it('exits once stopped, ending a handler that ignores ctx.signal with it', async () => {
    // Its job is back in the queue for another worker: the handler must not run on beside it
    // and do its work a second time, nor keep the stopped worker alive.
    const { config, services, worker, exited, file } = await setUp({ shutdown_grace: 0.5 });
    // The handler's own time, well past the grace and a stop on a loaded machine (CI: 2 cores
    // at load 8), so that a worker that waited for it cannot pass for one that did not.
    const HANDLER_MS = 6000;
    writeAutomation(
      config.ansible.playbooks_dir,
      'org.example.deaf.mjs',
      `import { writeFileSync } from 'node:fs';
export default async (event) => {
  writeFileSync(${JSON.stringify(config.dir)} + '/started', '');
  await new Promise((r) => setTimeout(r, ${HANDLER_MS}));
  writeFileSync(${JSON.stringify(config.dir)} + '/side-effect', '');
};\n`,
    );
    const id = await services.work.enqueue(testEvent('org.example.deaf', { id: 'deaf-1' }));
    await waitFor(() => existsSync(file('started')), { what: 'the handler to start' });

    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    const [code] = await exited;
    expect(Date.now() - signalled).toBeLessThan(HANDLER_MS - 1000);
    expect(code).toBe(0);
    expect(worker.output()).toMatch(/worker stopped/);
    expect(await services.work.queue.getJobState(id)).toBe('waiting');
    // Past the handler's timer: it ended with the process.
    await new Promise((r) => setTimeout(r, HANDLER_MS + 500 - (Date.now() - signalled)));
    expect(existsSync(file('side-effect'))).toBe(false);
  }, 30_000);

  it('SIGKILLs a playbook task that ignores SIGTERM before it exits', async () => {
    const { config, services, worker, exited, file } = await setUp({ shutdown_grace: 0.5 });
    writeAutomation(
      config.ansible.playbooks_dir,
      'org.example.stubborn.yml',
      localPlaybook([
        {
          // Its output goes nowhere: the shell's "Terminated" to a closed pipe would end it (SIGPIPE).
          'ansible.builtin.shell': `exec >/dev/null 2>&1; trap 'echo TERM >> ${file('term')}' TERM; echo $$ > ${file('pid')}; while :; do sleep 0.1; done`,
        },
      ]),
    );
    const pid = await startedTask(services, file, 'org.example.stubborn');

    worker.child.kill('SIGTERM');
    await waitFor(() => existsSync(file('term')), { what: 'the task to be sent SIGTERM' });
    expect(processAlive(pid)).toBe(true);
    await exited;
    expect(worker.output()).toMatch(/shutdown grace is over/);
    expect(processAlive(pid)).toBe(false);
  });

  it('on a second SIGTERM exits at once and takes its running playbooks with it', async () => {
    // `up`'s second Ctrl-C: the playbook's process group must not outlive the worker, orphaned.
    const { config, services, worker, exited, file, tmp } = await setUp({ shutdown_grace: 30 });
    writeAutomation(
      config.ansible.playbooks_dir,
      'org.example.long.yml',
      localPlaybook([
        { 'ansible.builtin.shell': `echo $$ > ${file('pid')}; exec sleep 300 >/dev/null 2>&1` },
      ]),
    );
    const pid = await startedTask(services, file, 'org.example.long');

    worker.child.kill('SIGTERM');
    await worker.waitForOutput(/worker stopping/);
    worker.child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(1);
    expect(worker.output()).toMatch(/again: exiting without waiting/);
    // Gone long before its `sleep 300` ends; how soon is up to a loaded machine.
    await waitFor(() => !processAlive(pid), { what: `the task ${pid} to be gone` });
    // The run's vars file, which holds the message, went with it.
    expect(readdirSync(tmp).filter((name) => name.startsWith('loopabull-vars-'))).toEqual([]);
  });
});
