import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { once } from 'node:events';
import { AutomationHost, createLogger } from '@loopabull/core';
import { startServer, type RunningServer } from '@loopabull/server';
import {
  cleanUpTest,
  freePort,
  removeTempDirs,
  testConfig,
  waitFor,
  watchPublished,
} from '@test/support';
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
  return { config, server, close };
}

let server: RunningServer;
let config: Awaited<ReturnType<typeof serving>>['config'];
let close: () => Promise<void>;
beforeAll(async () => ({ config, server, close } = await serving()));
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

describe('the started automation', () => {
  it('offers the trigger and the runner to handler files as ctx.automation("taskotron", key)', async () => {
    const host = await new AutomationHost(config, [taskotron], logger).start();
    try {
      const [started] = host.started;
      expect(Object.keys(started!.instance.handlers ?? {})).toEqual(['default', 'trigger', 'run']);
      expect(typeof host.handler('taskotron', 'run')).toBe('function');
    } finally {
      await host.stop();
    }
  });
});

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

  it('publishes each POSTed result as ResultsDB did: resultsdb.result.new always, taskotron.result.new when the outcome changed', async () => {
    const published = await watchPublished(config, '*.result.new');
    try {
      const item = `events-${Date.now()}`;
      for (const outcome of ['PASSED', 'PASSED', 'FAILED']) {
        const res = await post(
          { ...RESULT, outcome, data: { item, type: 'koji_build' } },
          { authorization: `Bearer ${TOKEN}` },
        );
        expect(res.status).toBe(201);
      }
      // In the order sent: once the FAILED one is in, a legacy event of the second would be too.
      await waitFor(() => published.events.some((e) => e.body.result?.outcome === 'FAILED'), {
        what: 'the legacy event of the FAILED result',
      });
      const { events } = published;
      expect(events.filter((e) => e.topic === 'resultsdb.result.new')).toHaveLength(3);
      expect(
        events
          .filter((e) => e.topic === 'taskotron.result.new')
          .map((e) => [e.body.result.prev_outcome, e.body.result.outcome]),
      ).toEqual([
        [null, 'PASSED'],
        ['PASSED', 'FAILED'],
      ]);
    } finally {
      await published.close();
    }
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

describe('artifacts over HTTP', () => {
  it("serves a job's files and lists its directory, so that ref_urls resolve", async () => {
    const dir = join(config.dir, 'var', 'artifacts', 'job-1');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'a <b>.log'), 'the log\n');
    writeFileSync(join(dir, '.loopabull-journal.json'), '{}');
    const file = await fetch(`${server.url}/artifacts/job-1/logs/a%20%3Cb%3E.log`);
    expect(file.status).toBe(200);
    expect(await file.text()).toBe('the log\n');
    expect(file.headers.get('content-security-policy')).toMatch(/^sandbox/);
    const list = await fetch(`${server.url}/artifacts/job-1/logs/`);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain('a &lt;b&gt;.log</a>');
    const top = await fetch(`${server.url}/artifacts/job-1`);
    expect(top.status).toBe(200);
    expect(await top.text()).toMatch(/logs\/<\/a>/);
  });

  it('serves nothing outside the artifacts directory (403 or 404), and no hidden file', async () => {
    const dir = join(config.dir, 'var', 'artifacts', 'job-2');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(config.dir, 'secret.txt'), 'secret');
    symlinkSync(join(config.dir, 'secret.txt'), join(dir, 'link.txt'));
    writeFileSync(join(dir, '.loopabull-job'), 'owner');
    const host = new URL(server.url).host;
    for (const path of [
      '/artifacts/job-2/link.txt',
      '/artifacts/job-2/.loopabull-job',
      '/artifacts/../secret.txt',
      '/artifacts/%2e%2e/secret.txt',
      '/artifacts/job-2/..%2f..%2fsecret.txt',
    ]) {
      // As sent: fetch and URL would resolve the dots first.
      const { hostname, port } = new URL(server.url);
      const req = request({ hostname, port, path, headers: { host } });
      req.end();
      const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
      let body = '';
      for await (const chunk of res) body += String(chunk);
      expect([path, [403, 404].includes(res.statusCode!), body]).toEqual([
        path,
        true,
        expect.not.stringContaining('secret'),
      ]);
    }
  });
});
