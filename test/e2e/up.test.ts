/** The Quick start's `loopabull up --demo`: every part starts, the demo message runs its playbook, Ctrl-C stops all. */
import { afterAll, expect, it } from '@jest/globals';
import { freePort, removeTempDirs, startCli, testConfig, cleanUpTest } from '@test/support';

afterAll(removeTempDirs);

it('runs looper, workers and server, shows the demo playbook, and stops them all on SIGTERM', async () => {
  const config = testConfig({
    overrides: {
      ansible: { playbooks_dir: new URL('../../playbooks', import.meta.url).pathname },
      http: { port: await freePort() },
    },
  });
  const up = startCli(['up', '--workers', '2', '--demo', '--config', config.configPath]);
  try {
    await up.waitForOutput(/Publish another: .*\n/, 60_000);
    expect(up.output()).toMatch(/demo job \S+: completed/);
    expect(up.output()).toContain('Build ansible-1.8.3-1.el7 by kevin is now COMPLETE');
    expect(up.output()).toMatch(
      new RegExp(`Dashboard: http://127\\.0\\.0\\.1:${config.http.port}/`),
    );
    await up.stop();
    expect(up.child.exitCode).toBe(0);
    for (const part of ['worker@1', 'worker@2', 'looper', 'serve'])
      expect(up.output()).toMatch(new RegExp(`\\[${part}\\].*SIGTERM: stopping`));
  } finally {
    await up.killGroup();
    await cleanUpTest(config);
  }
}, 90_000);
