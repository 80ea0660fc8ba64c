/** The Quick start's `loopabull up --demo`: every part starts, the demo message runs its playbook, Ctrl-C stops all. */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from '@jest/globals';
import { DAEMON_NODE_FLAGS } from '@loopabull/cli';
import type { Config } from '@loopabull/core';
import {
  cleanUpTest,
  freePort,
  killTree,
  processAlive,
  processTree,
  removeTempDirs,
  startCli,
  tempDir,
  testConfig,
  waitFor,
  type CliProcess,
} from '@test/support';

afterAll(removeTempDirs);

const PARTS = ['worker@1', 'worker@2', 'looper', 'serve'];

/**
 * Kills what is left of `up` and the parts it started (`parts`, or those it has now: they run in
 * process groups of their own), then cleans up after its config.
 */
async function stopUp(up: CliProcess, config: Config, parts = processTree(up.child.pid!)) {
  for (const pid of [up.child.pid!, ...parts]) killTree(pid);
  await up.killGroup();
  await cleanUpTest(config);
}

/**
 * Runs `body` with `loopabull up --workers 2 --demo` on a test config, once the demo has run,
 * and the pids of the processes it started; afterwards kills whatever is left of them (the
 * parts run in process groups of their own) and cleans up.
 */
async function withUp(
  body: (up: CliProcess, config: Config & { configPath: string }, parts: number[]) => Promise<void>,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const config = testConfig({
    overrides: {
      ansible: { playbooks_dir: new URL('../../playbooks', import.meta.url).pathname },
      http: { port: await freePort() },
    },
  });
  const up = startCli(['up', '--workers', '2', '--demo', '--config', config.configPath], { env });
  const parts: number[] = [];
  try {
    await up.waitForOutput(/Publish another: .*\n/, 60_000);
    parts.push(...processTree(up.child.pid!).filter((pid) => pid !== up.child.pid));
    await body(up, config, parts);
  } finally {
    await stopUp(up, config, parts);
  }
}

/**
 * Every part logged a line matching `what`, waiting for it: a part's last lines can still be in
 * the pipe when its exit is seen (a test process that was not scheduled for a while runs its
 * timers before it reads the pipe again).
 */
async function eachPartSaid(up: CliProcess, what: string, parts = PARTS) {
  for (const part of parts) await up.waitForOutput(new RegExp(`\\[${part}\\].*${what}`), 10_000);
}

/** A process's command line, as its arguments. */
const argvOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

/** Resolves once `up` has exited, however it ended. */
const exited = (up: CliProcess) =>
  up.child.exitCode !== null || up.child.signalCode !== null
    ? Promise.resolve()
    : once(up.child, 'exit');

it(
  'runs looper, workers and server, shows the demo playbook, and stops them all on SIGTERM',
  () =>
    withUp(
      async (up, config) => {
        expect(up.output()).toMatch(/demo job \S+: completed/);
        expect(up.output()).toContain('Build ansible-1.8.3-1.el7 by kevin is now COMPLETE');
        expect(up.output()).toMatch(
          new RegExp(`Dashboard: http://127\\.0\\.0\\.1:${config.http.port}/`),
        );
        // As `npm run demo` runs it: the commands it suggests are typed in the checkout, where
        // only npx finds `loopabull`.
        // With the config file up was given: without it they would look at another instance.
        // Typed outside the checkout's root (as here), the message file is named by its whole path.
        const file = new URL(
          '../../examples/messages/org.fedoraproject.prod.buildsys.build.state.change.json',
          import.meta.url,
        ).pathname;
        expect(up.output()).toContain(
          `Publish another: npx loopabull publish loopabull.demo.build.state.change --file ${file} -c ${config.configPath}\n`,
        );
        await up.stop();
        expect(up.child.exitCode).toBe(0);
        await eachPartSaid(up, 'SIGTERM: stopping');
      },
      { npm_lifecycle_event: 'demo' },
    ),
  90_000,
);

it(
  "Ctrl-C (SIGINT to the terminal's whole process group) stops each part once, gracefully",
  () =>
    withUp(
      async (up, config) => {
        expect(up.output()).toContain(`Backlog: loopabull queue -c ${config.configPath} `);
        process.kill(-up.child.pid!, 'SIGINT');
        await exited(up);
        expect(up.child.exitCode).toBe(0);
        await up.waitForOutput(/\[up\].*SIGINT: stopping/, 10_000);
        await eachPartSaid(up, 'SIGTERM: stopping');
        // Before: the parts got the terminal's SIGINT and then up's SIGTERM, which they took for an
        // impatient second signal.
        expect(up.output()).not.toMatch(/again: exiting without waiting/);
      },
      { npm_lifecycle_event: '' },
    ),
  90_000,
);

it(
  'the looper and workers run with the daemon node flags, and a part stops by itself when `up` is killed',
  () =>
    withUp(async (up, _config, parts) => {
      expect(parts.length).toBeGreaterThanOrEqual(PARTS.length);
      const argvs = parts.map(argvOf);
      const daemons = argvs.filter((argv) => argv.includes('looper') || argv.includes('worker'));
      expect(daemons).toHaveLength(3);
      for (const argv of daemons)
        expect(argv.slice(1, 1 + DAEMON_NODE_FLAGS.length)).toEqual(DAEMON_NODE_FLAGS);
      process.kill(up.child.pid!, 'SIGKILL');
      await waitFor(() => parts.every((pid) => !processAlive(pid)), {
        timeout: 30_000,
        what: 'every part to exit',
      });
      await eachPartSaid(up, 'the parent process is gone: stopping');
    }),
  90_000,
);

it(
  'a part that dies takes the rest down, and `up` names it and exits 1',
  () =>
    withUp(async (up, _config, parts) => {
      const worker = parts.find((pid) => argvOf(pid).join(' ').includes('worker --id 1 '))!;
      expect(worker).toBeDefined();
      process.kill(worker, 'SIGKILL');
      await exited(up);
      expect(up.child.exitCode).toBe(1);
      await up.waitForOutput(/\[up\].*worker --id 1 exited \(SIGKILL\); stopping the rest/, 10_000);
      await eachPartSaid(
        up,
        'SIGTERM: stopping',
        PARTS.filter((p) => p !== 'worker@1'),
      );
    }),
  90_000,
);

it('says at once why the demo job ended unrouted when the playbooks directory lacks its playbook', async () => {
  const config = testConfig({
    overrides: { ansible: { playbooks_dir: tempDir('no-demo') }, http: { port: await freePort() } },
  });
  const up = startCli(['up', '--workers', '1', '--demo', '--config', config.configPath]);
  try {
    // Before: `up` waited for a completed or failed job, 120 s, and then gave up without a reason.
    await up.waitForOutput(
      new RegExp(
        `\\[up\\] demo: job \\S+ ended unrouted: ${config.ansible.playbooks_dir} has no file for loopabull\\.demo\\.build\\.state\\.change; copy playbooks/loopabull\\.demo\\.build\\.state\\.change\\.yml`,
      ),
      60_000,
    );
    expect(up.output()).not.toMatch(/gave up waiting/);
  } finally {
    await stopUp(up, config);
  }
}, 90_000);

it('Ctrl-C before the demo has run stops `up` at once, without a demo error', async () => {
  const config = testConfig({
    overrides: {
      ansible: { playbooks_dir: new URL('../../playbooks', import.meta.url).pathname },
      http: { port: await freePort() },
    },
  });
  const up = startCli(['up', '--workers', '2', '--demo', '--config', config.configPath]);
  try {
    // The looper is up well before the workers and the server, so the demo is still waiting.
    await up.waitForOutput(/\[looper\] consuming/, 60_000);
    expect(up.output()).not.toMatch(/demo: published/);
    const sent = Date.now();
    process.kill(-up.child.pid!, 'SIGINT');
    await exited(up);
    // Before: `up` waited out the demo's 60 s wait for workers that had stopped, then logged it.
    expect(Date.now() - sent).toBeLessThan(20_000);
    expect(up.child.exitCode).toBe(0);
    expect(up.output()).not.toMatch(/\[up\].*demo:/);
  } finally {
    await stopUp(up, config);
  }
}, 90_000);
