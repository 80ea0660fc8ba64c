/** The Quick start's `loopabull up --demo`: every part starts, the demo message runs its playbook, Ctrl-C stops all. */
import { afterAll, expect, it } from '@jest/globals';
import {
  cleanUpTest,
  freePort,
  killTree,
  processAlive,
  processTree,
  removeTempDirs,
  startCli,
  testConfig,
  waitFor,
  type CliProcess,
} from '@test/support';

afterAll(removeTempDirs);

const PARTS = ['worker@1', 'worker@2', 'looper', 'serve'];

/** `loopabull up --workers 2 --demo` on a test config, resolved once the demo has run. */
async function startUp() {
  const config = testConfig({
    overrides: {
      ansible: { playbooks_dir: new URL('../../playbooks', import.meta.url).pathname },
      http: { port: await freePort() },
    },
  });
  const up = startCli(['up', '--workers', '2', '--demo', '--config', config.configPath]);
  await up.waitForOutput(/Publish another: .*\n/, 60_000);
  return { config, up };
}

/** The parts run in process groups of their own: kill every descendant, then `up`'s group. */
async function killAll(up: CliProcess) {
  killTree(up.child.pid!);
  await up.killGroup();
}

it('runs looper, workers and server, shows the demo playbook, and stops them all on SIGTERM', async () => {
  const { config, up } = await startUp();
  try {
    expect(up.output()).toMatch(/demo job \S+: completed/);
    expect(up.output()).toContain('Build ansible-1.8.3-1.el7 by kevin is now COMPLETE');
    expect(up.output()).toMatch(
      new RegExp(`Dashboard: http://127\\.0\\.0\\.1:${config.http.port}/`),
    );
    await up.stop();
    expect(up.child.exitCode).toBe(0);
    for (const part of PARTS)
      expect(up.output()).toMatch(new RegExp(`\\[${part}\\].*SIGTERM: stopping`));
  } finally {
    await killAll(up);
    await cleanUpTest(config);
  }
}, 90_000);

it("Ctrl-C (SIGINT to the terminal's whole process group) stops each part once, gracefully", async () => {
  const { config, up } = await startUp();
  try {
    process.kill(-up.child.pid!, 'SIGINT');
    await waitFor(() => up.child.exitCode !== null, { timeout: 30_000, what: 'up to exit' });
    expect(up.child.exitCode).toBe(0);
    expect(up.output()).toMatch(/\[up\].*SIGINT: stopping/);
    for (const part of PARTS)
      expect(up.output()).toMatch(new RegExp(`\\[${part}\\].*SIGTERM: stopping`));
    // Before: the parts got the terminal's SIGINT and then up's SIGTERM, which they took for an
    // impatient second signal.
    expect(up.output()).not.toMatch(/again: exiting without waiting/);
  } finally {
    await killAll(up);
    await cleanUpTest(config);
  }
}, 90_000);

it('a part stops by itself when `up` is killed, so none outlives it', async () => {
  const { config, up } = await startUp();
  const parts = processTree(up.child.pid!).filter((pid) => pid !== up.child.pid);
  try {
    expect(parts.length).toBeGreaterThanOrEqual(PARTS.length);
    process.kill(up.child.pid!, 'SIGKILL');
    await waitFor(() => parts.every((pid) => !processAlive(pid)), {
      timeout: 30_000,
      what: 'every part to exit',
    });
    for (const part of PARTS)
      expect(up.output()).toMatch(
        new RegExp(`\\[${part}\\].*the parent process is gone: stopping`),
      );
  } finally {
    for (const pid of parts) killTree(pid);
    await killAll(up);
    await cleanUpTest(config);
  }
}, 90_000);
