/**
 * Every HTTP endpoint `loopabull serve` mounts (the engine's and the shipped automations'), fed
 * hostile paths, query strings, bodies and headers: each answer is a clear 4xx or a normal
 * page, never a 5xx, and no changing request gets through without the token.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { AutomationHost, createLogger } from '@loopabull/core';
import { shippedAutomations } from '@loopabull/cli';
import { startServer, type RunningServer } from '@loopabull/server';
import {
  cleanUpTest,
  freePort,
  nastyString,
  removeTempDirs,
  testConfig,
  tried,
  tryAll,
} from '@test/support';

const TOKEN = 'hostile-http-token';
let server: RunningServer;
let host: AutomationHost;
let config: ReturnType<typeof testConfig>;
let paths: Array<{ method: string; url: string }>;

beforeAll(async () => {
  config = testConfig({ overrides: { http: { port: await freePort(), token: TOKEN } } });
  host = await new AutomationHost(
    config,
    shippedAutomations,
    createLogger('test', 'error'),
  ).start();
  server = await startServer(config, host);
  // printRoutes drops the static part of a wildcard route whose parents take no method (it
  // prints `/api/pools/:id/*` as `/api/*`): only what the router holds as a route is tried, so
  // such routes are left out.
  paths = routeTable(server.app.printRoutes({ commonPrefix: false })).filter((p) =>
    server.app.hasRoute({ method: p.method as 'GET', url: p.url }),
  );
});
afterAll(async () => {
  await server.close();
  await host.stop();
  await cleanUpTest(config);
  removeTempDirs();
});

/**
 * Fastify's route tree (`└── / (GET)`, children indented by four and holding the rest of the
 * path) as flat method and path pairs.
 */
function routeTable(tree: string): Array<{ method: string; url: string }> {
  const stack: string[] = [];
  return tree.split('\n').flatMap((line) => {
    const m = /^([│\s]*)[├└]── (\S+) \(([A-Z, ]+)\)/.exec(line);
    if (!m) return [];
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    // A wildcard child is printed without the slash before it (`/api/slaves/:id` then `*`).
    const url = stack.join('').replace(/([^/])\*$/, '$1/*');
    return m[3]!.split(', ').map((method) => ({ method, url }));
  });
}

/** Every byte percent-encoded: lone surrogates and all, as a raw client could send them. */
const encoded = (word: string) =>
  [...Buffer.from(word, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const send = (path: string, init: RequestInit = {}) => fetch(server.url + path, init);

/** A route's path with its parameters filled by hostile strings. */
const filled = (url: string, words: string[]) => {
  let i = 0;
  return url.replace(/:[A-Za-z_]+|\*/g, () => encoded(words[i++ % words.length] ?? ''));
};

describe('every route', () => {
  it('is known to the test (the route table was read)', () => {
    expect(paths.map((p) => `${p.method} ${p.url}`)).toEqual(
      expect.arrayContaining(['GET /machines', 'GET /api/jobs', 'POST /api/pause']),
    );
  });

  it('answers hostile parameters and query strings without a 5xx', async () => {
    const reads = () => paths.filter((p) => p.method === 'GET' || p.method === 'HEAD');
    await tryAll(
      'HTTP reads (hostile paths and queries)',
      fc.tuple(
        fc.nat(),
        fc.array(nastyString, { minLength: 1, maxLength: 3 }),
        fc.array(
          fc.tuple(
            fc.constantFrom('stale', 'datacenter', 'limit', 'topic', 'state', 'x'),
            nastyString,
          ),
          { maxLength: 4 },
        ),
      ),
      async ([n, words, query]) => {
        const route = reads()[n % reads().length]!;
        const qs = query.map(([k, v]) => `${k}=${encoded(v)}`).join('&');
        const res = await send(`${filled(route.url, words)}${qs ? `?${qs}` : ''}`);
        await res.arrayBuffer();
        expect(res.status).toBeLessThan(500);
      },
      200,
    );
  });

  it('refuses every changing request without the token, whatever its body', async () => {
    const changes = () => paths.filter((p) => !['GET', 'HEAD', 'OPTIONS'].includes(p.method));
    await tryAll(
      'HTTP changes without a token',
      fc.tuple(fc.nat(), nastyString, fc.constantFrom('application/json', 'text/plain', undefined)),
      async ([n, body, type]) => {
        const route = changes()[n % changes().length]!;
        const res = await send(filled(route.url, ['x']), {
          method: route.method,
          headers: type ? { 'content-type': type } : {},
          body,
        });
        await res.arrayBuffer();
        expect([401, 403, 415]).toContain(res.status);
      },
      100,
    );
  });
});

describe('bodies', () => {
  const pause = (body: string, type = 'application/json') =>
    send('/api/pause', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type },
      body,
    });

  it.each([
    ['bad JSON', '{"a": '],
    ['an oversized body', JSON.stringify({ x: 'a'.repeat(2 * 1024 * 1024) })],
  ])('%s is a 4xx', async (_what, body) => {
    const res = await pause(body);
    await res.arrayBuffer();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    tried('HTTP bodies (malformed, deep, oversized)', 1);
  });

  it('a repeated filter is a 400 naming it, not a 500', async () => {
    const res = await send('/ui/machines?stale=1h&stale=2h');
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/stale/);
    const api = await send('/api/hardware/machines?datacenter=a&datacenter=b');
    expect(api.status).toBe(400);
    tried('HTTP bodies (malformed, deep, oversized)', 2);
  });
});
