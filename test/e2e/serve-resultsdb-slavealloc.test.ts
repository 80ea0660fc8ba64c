/**
 * `loopabull serve` with slavealloc and taskotron both on: both mount routes under `/api`
 * (slavealloc's `/api/<table>/<id>`, ResultsDB's `/api/v2.0/...`), and each API must answer its
 * own paths as its docs say, whatever the other mounts. Every page, theirs and the server's,
 * has the same navigation. Behind a proxy that serves ResultsDB
 * under a path of its own (`taskotron.resultsdb_public_url`), every URL it writes starts there.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  cleanUpTest,
  freePort,
  removeTempDirs,
  startCli,
  tempDir,
  testConfig,
  waitFor,
  type CliProcess,
} from '@test/support';
import type { Config } from '@loopabull/core';

const TOKEN = 'resultsdb-and-slavealloc';
const PUBLIC = 'https://taskotron.example.org/resultsdb_api/api/v2.0';

describe('loopabull serve with slavealloc and taskotron', () => {
  let config: Config;
  let base = '';
  let serve: CliProcess;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      redirect: 'manual',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      allow: res.headers.get('allow'),
      location: res.headers.get('location'),
      json: text ? (JSON.parse(text) as Record<string, unknown>) : null,
    };
  };

  beforeAll(async () => {
    const dir = tempDir('serve-rdb-slavealloc');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    config = testConfig({
      dir,
      overrides: {
        http: { port, token: TOKEN },
        database: { url: `sqlite:///${join(dir, 'loopabull.db')}` },
        slavealloc: { enabled: true },
        taskotron: { enabled: true, resultsdb_public_url: `${PUBLIC}/` },
      },
    });
    serve = startCli(['serve', '--config', join(dir, 'loopabull.yml')]);
    await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok, {
      what: 'loopabull serve',
    });
  }, 60_000);

  afterAll(async () => {
    await serve?.stop();
    if (config) await cleanUpTest(config);
    removeTempDirs();
  });

  it("answers every method on ResultsDB's paths as ResultsDB, never as slavealloc", async () => {
    const paths: Record<string, string[]> = {
      '/api/v2.0': ['GET'],
      '/api/v2.0/': ['GET'],
      '/api/v2.0/results': ['GET', 'POST'],
      '/api/v2.0/results/latest': ['GET'],
      '/api/v2.0/results/1': ['GET'],
      '/api/v2.0/groups': ['GET', 'POST'],
      '/api/v2.0/groups/g': ['GET'],
      '/api/v2.0/groups/g/results': ['GET'],
      '/api/v2.0/testcases': ['GET', 'POST'],
      '/api/v2.0/testcases/t': ['GET'],
      '/api/v2.0/testcases/t/results': ['GET'],
      '/api/v2.0/healthcheck': ['GET'],
    };
    for (const [path, takes] of Object.entries(paths)) {
      const allow = [...takes, 'HEAD', 'OPTIONS'].sort().join(', ');
      for (const method of ['PUT', 'DELETE', 'PATCH', 'POST']) {
        if (takes.includes(method)) continue;
        const res = await call(method, path, {});
        expect([method, path, res.status, res.allow]).toEqual([method, path, 405, allow]);
        // ResultsDB's clients read `message`; slavealloc answers `{success, error}`.
        expect(res.json).toEqual({ message: expect.stringContaining(`${method} is not allowed`) });
      }
      const options = await call('OPTIONS', path);
      expect([path, options.status, options.allow]).toEqual([path, 200, allow]);
    }
    expect(
      (await call('POST', '/api/v2.0/results', { testcase: 't', outcome: 'PASSED' })).status,
    ).toBe(201);
  });

  it('keeps the slavealloc API answering as docs/slavealloc.md says', async () => {
    const slaves = await call('GET', '/api/slaves');
    expect([slaves.status, slaves.json]).toEqual([200, []]);
    expect((await call('GET', '/api/slaves/1')).status).toBe(404);
    const unknown = await call('PUT', '/api/secrets/1', { name: 'x' });
    expect([unknown.status, unknown.json?.error]).toEqual([
      404,
      expect.stringMatching(/^unknown table "secrets"/),
    ]);
    const put = await call('PUT', '/api/masters/9', { notes: 'x' });
    expect([put.status, put.json?.success]).toEqual([404, false]);
    expect((await call('POST', '/api/slaves', { name: 'x' })).status).toBe(400);
    expect((await call('OPTIONS', '/api/slaves/1')).allow).toBe('DELETE, GET, HEAD, OPTIONS, PUT');
  });

  it('routes a path whose escapes are no UTF-8 as Flask does: the bytes read as U+FFFD', async () => {
    const name = 'scratch.\uFFFD%A';
    expect((await call('POST', '/api/v2.0/testcases', { name })).status).toBe(201);
    const found = await call('GET', '/api/v2.0/testcases/scratch.%E0%A4%A');
    expect([found.status, found.json?.name]).toEqual([200, name]);
    for (const [path, status, message] of [
      ['/api/v2.0/testcases/%C3', 404, 'Testcase not found'],
      ['/api/v2.0/testcases/%C3/results?limit=1', 404, 'Testcase not found'],
      ['/api/v2.0/groups/%FF', 404, 'Group not found'],
      ['/api/v2.0/groups/%FF/results', 404, 'Group not found: \uFFFD'],
      ['/api/v2.0/results/%FF', 404, 'Result not found'],
      ['/api/v2.0/nothing/%FF', 404, 'Not found'],
    ] as const) {
      const res = await call('GET', path);
      expect([path, res.status, res.json]).toEqual([path, status, { message }]);
    }
    const results = await call('GET', '/api/v2.0/testcases/scratch.%E0%A4%A/results');
    expect([results.status, results.json?.data]).toEqual([200, []]);
  });

  it('writes every href, link and redirect at resultsdb_public_url', async () => {
    for (let i = 0; i < 2; i++)
      await call('POST', '/api/v2.0/results', { testcase: 'dist.x', outcome: 'PASSED' });
    const page = await call('GET', '/api/v2.0/testcases/dist.x/results?limit=1');
    const [first] = page.json!.data as { id: number; href: string; testcase: { href: string } }[];
    expect(page.json).toMatchObject({
      prev: null,
      next: `${PUBLIC}/testcases/dist.x/results?limit=1&page=1`,
    });
    expect(first!.href).toBe(`${PUBLIC}/results/${first!.id}`);
    expect(first!.testcase.href).toBe(`${PUBLIC}/testcases/dist.x`);
    const landing = await call('GET', '/api/v2.0');
    expect([landing.status, landing.json?.results]).toEqual([300, `${PUBLIC}/results`]);
    const merged = await call('GET', '/api/v2.0/testcases//dist.x?limit=1');
    expect([merged.status, merged.location]).toEqual([308, `${PUBLIC}/testcases/dist.x?limit=1`]);
  });

  it('gives every page, the automations and the server ones, the same navigation', async () => {
    const navOf = async (path: string) => {
      const res = await fetch(base + path);
      const nav = /<nav>([\s\S]*?)<\/nav>/.exec(await res.text())?.[1] ?? '';
      return [path, res.status, [...nav.matchAll(/href="([^"]*)"/g)].map((m) => m[1])];
    };
    // The hardware tracker is on too (by default), so all three automations' pages.
    const everyPage = ['/', '/ui/machines', '/ui/slavealloc', '/ui/taskotron', '/metrics'];
    for (const path of [
      '/',
      '/ui/slavealloc',
      '/ui/slavealloc/masters',
      '/ui/slavealloc/silos',
      '/api',
      '/ui/taskotron',
      '/ui/machines',
    ])
      expect(await navOf(path)).toEqual([path, 200, everyPage]);
  });
});
