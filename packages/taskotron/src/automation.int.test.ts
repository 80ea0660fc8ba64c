import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AutomationHost, createLogger } from '@loopabull/core';
import { startServer, type RunningServer } from '@loopabull/server';
import { cleanUpTest, freePort, removeTempDirs, testConfig } from '@test/support';
import { taskotron } from './automation.js';

const TOKEN = 'taskotron-test-token';
const logger = createLogger('test', 'error');
const ITEM = 'ansible-1.8.3-1.el7';

/** `loopabull serve` with only taskotron enabled, on a fresh SQLite file beside the config. */
async function serving(section: Record<string, unknown> = {}) {
  const config = testConfig({
    overrides: {
      loglevel: 'error',
      http: { port: await freePort(), token: TOKEN },
      taskotron: section,
    },
    automations: [taskotron],
  });
  const host = await new AutomationHost(config, [taskotron], logger).start();
  const server = await startServer(config, host);
  const close = async () => {
    await server.close();
    await host.stop();
    await cleanUpTest(config);
  };
  return { server, close };
}

let server: RunningServer;
let close: () => Promise<void>;
beforeAll(async () => ({ server, close } = await serving()));
afterAll(async () => {
  await close();
  removeTempDirs();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/v2.0/results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const RESULT = {
  testcase: 'dist.name-lint',
  outcome: 'PASSED',
  data: { item: ITEM, type: 'koji_build' },
};

describe('the ResultsDB API under loopabull serve', () => {
  it('refuses writes without the bearer token (the server guard), takes them with it', async () => {
    expect((await post(RESULT)).status).toBe(401);
    expect((await post(RESULT, { authorization: 'Bearer wrong' })).status).toBe(401);
    const res = await post(RESULT, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      outcome: 'PASSED',
      testcase: { name: 'dist.name-lint' },
    });
  });

  it('refuses POST /groups and /testcases without the bearer token, takes them with it', async () => {
    const write = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/api/v2.0/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const [path, body] of [
      ['groups', { uuid: 'serve-group' }],
      ['testcases', { name: 'dist.serve' }],
    ] as const) {
      expect((await write(path, body)).status).toBe(401);
      expect((await write(path, body, auth)).status).toBe(201);
    }
  });

  it('lets Bodhi read the latest results of a build without a token', async () => {
    const res = await fetch(`${server.url}/api/v2.0/results/latest?item=${ITEM}&type=koji_build`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ outcome: string; data: unknown }> };
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      outcome: 'PASSED',
      data: { item: [ITEM], type: ['koji_build'] },
    });
  });

  it('mounts nothing when results go to a remote ResultsDB', async () => {
    const remote = await serving({ resultsdb_url: 'https://resultsdb.example/api/v2.0' });
    try {
      expect((await fetch(`${remote.server.url}/api/v2.0/results`)).status).toBe(404);
    } finally {
      await remote.close();
    }
  });
});
