/**
 * A worker starts the enabled automations for their handlers and serves no HTTP: it must not
 * load the HTTP framework their routes use (about 20 MB of a worker's resident memory).
 * Checked in a process of its own, since Jest has its own module loader: Node's CommonJS cache
 * tells which packages a process loaded, imported from ESM or not.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from '@jest/globals';
import { cleanUpTest, isolatedEnv, removeTempDirs, tempDir, testConfig } from '@test/support';

afterAll(removeTempDirs);

const dist = (pkg: string, file: string) =>
  pathToFileURL(new URL(`../../${pkg}/dist/${file}`, import.meta.url).pathname).href;

const SCRIPT = `
import { createRequire } from 'node:module';
const { AutomationHost, createLogger, loadConfig } = await import(${JSON.stringify(dist('core', 'index.js'))});
const { shippedAutomations } = await import(${JSON.stringify(dist('cli', 'automations.js'))});
const config = loadConfig({ path: process.argv[1], env: {}, automations: shippedAutomations });
const host = await new AutomationHost(config, shippedAutomations, createLogger('test', 'warn')).start();
const cache = Object.keys(createRequire(import.meta.url).cache);
const loaded = ['fastify', '@fastify/static', 'prom-client'].filter((name) =>
  cache.some((file) => file.includes('/node_modules/' + name + '/')),
);
console.log(JSON.stringify({ started: host.started.map((s) => s.automation.name), loaded }));
await host.stop();
process.exit(0);
`;

it('a worker with every shipped automation enabled loads no HTTP framework', async () => {
  const dir = tempDir('worker-modules');
  const config = testConfig({
    dir,
    overrides: {
      database: { url: `sqlite:///${join(dir, 'automations.db')}` },
      hardware: { enabled: true },
      slavealloc: { enabled: true },
      taskotron: { enabled: true },
    },
  });
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', SCRIPT, config.configPath],
      { cwd: dir, env: isolatedEnv() },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      started: ['hardware', 'slavealloc', 'taskotron'],
      loaded: [],
    });
  } finally {
    await cleanUpTest(config);
  }
});
