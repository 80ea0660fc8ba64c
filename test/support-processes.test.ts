/**
 * The test helpers leave no process behind: a redis-server a test started stops with the test
 * process, when the helper stops it and when the test process is killed outright.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from '@jest/globals';
import { processAlive, processTree, removeTempDirs, startRedis, waitFor } from './support/index.js';

const HELPER = fileURLToPath(new URL('support/redis-server.ts', import.meta.url));

afterAll(removeTempDirs);

it('stops a redis-server and its guard when the helper stops it', async () => {
  const before = new Set(processTree(process.pid));
  const redis = await startRedis();
  const started = processTree(process.pid).filter((pid) => !before.has(pid));
  expect(started.length).toBeGreaterThan(0);
  await redis.stop();
  await waitFor(() => started.every((pid) => !processAlive(pid)), {
    what: `redis-server and its guard (${started.join(', ')}) to be gone`,
  });
});

it('stops a redis-server when the process that started it is killed with SIGKILL', async () => {
  const script = `const { startRedis } = await import(${JSON.stringify(HELPER)}); await startRedis(); console.log('up');`;
  const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  owner.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  const exited = once(owner, 'exit');
  let below: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      owner.stdout!.on('data', (d: Buffer) => d.toString().includes('up') && resolve());
      void exited.then(() =>
        reject(new Error(`the owner exited before its Redis was up:\n${errors}`)),
      );
    });
    below = processTree(owner.pid!).slice(1);
    expect(below.length).toBeGreaterThan(0);
    owner.kill('SIGKILL');
    await exited;
    await waitFor(() => below.every((pid) => !processAlive(pid)), {
      what: `the orphaned redis-server (${below.join(', ')}) to stop`,
    });
  } finally {
    if (owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL');
    // What a broken guard left.
    for (const pid of below) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
});
