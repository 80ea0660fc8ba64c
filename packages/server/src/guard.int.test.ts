import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { createLogger, createRedis, queueServices, type QueueServices } from '@loopabull/core';
import {
  loopabullKeysOf,
  rawRequest,
  removeTempDirs,
  serveForTest,
  testConfig,
  testEvent,
  type HttpClient,
} from '@test/support';
import { buildApp } from './app.js';
import { allowedHosts, NO_TOKEN_SET } from './guard.js';
import type { RouteModule } from './route-module.js';

const TOKEN = 'guard-test-token';

/** A module with every changing method and a page, as an automation could add them. */
const probe: RouteModule = {
  name: 'probe',
  register(app) {
    app.get('/probe', async (_req, reply) => reply.type('text/html').send('<p>probe</p>'));
    // A policy of its own, set the two ways routes set headers (@fastify/static sets them raw).
    app.get('/probe/own', async (_req, reply) =>
      reply.header('content-security-policy', 'sandbox').send({ own: true }),
    );
    app.get('/probe/own-raw', async (_req, reply) => {
      reply.raw.setHeader('content-security-policy', 'sandbox');
      return { own: true };
    });
    for (const method of ['put', 'post', 'delete', 'patch'] as const)
      app[method]('/probe', async () => 'changed');
  },
};

interface Served {
  app: FastifyInstance;
  services: QueueServices;
  config: ReturnType<typeof testConfig>;
  http: HttpClient;
  /** `http://127.0.0.1:<port>` */
  base: string;
  close(): Promise<void>;
}

/** A module whose original API words errors as `{"message": ...}`, as ResultsDB did. */
const worded: RouteModule = {
  name: 'worded',
  errors: { under: '/worded/', body: (message) => ({ message }) },
  register(app) {
    app.post('/worded/x', async () => 'changed');
    app.get('/worded/boom', async () => {
      throw new Error('a bug');
    });
  },
};

async function serve(http: Record<string, unknown>, modules = [probe]): Promise<Served> {
  const config = testConfig({ overrides: { http } });
  const services = queueServices(config, createRedis(config.redis.url));
  // A 5xx is a 503 while the connection is not ready yet: the answers tested here need it up.
  await services.redis.ping();
  const app = await buildApp({
    config,
    services,
    logger: createLogger('test', 'error'),
    modules,
    readiness: async () => ({ ready: true, checks: {} }),
  });
  const client = await serveForTest(app);
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    services,
    config,
    http: client,
    base,
    async close() {
      await app.close();
      await services.work.queue.obliterate({ force: true });
      await services.redis.del(...loopabullKeysOf(config));
      await services.close();
    },
  };
}

/**
 * Every route with a changing method, read from the router itself so that an endpoint added
 * later is covered too. `printRoutes` prints a tree: `├── /api/jobs/:id (GET, HEAD, DELETE)`
 * with children indented by four columns and relative to their parent.
 */
function changingRoutes(app: FastifyInstance): Array<{ method: string; path: string }> {
  const parents: string[] = [];
  const routes: Array<{ method: string; path: string }> = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (parents[depth - 1] ?? '') + match[2]!;
    parents[depth] = path;
    for (const method of (match[3] ?? '').split(', ')) {
      if (['POST', 'PUT', 'DELETE', 'PATCH'].includes(method)) {
        routes.push({ method, path: path.replace(/:\w+/g, 'job-1') });
      }
    }
  }
  return routes;
}

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

afterAll(() => removeTempDirs());

/** docs/http.md: "`/api/jobs` returns at most 200 jobs (a larger `limit` is cut to 200)". */
const LIST_MAX = 200;

describe('with no http.token set', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({ token: null });
  });
  afterAll(() => s.close());

  it('every changing endpoint answers 403 saying how to set a token', async () => {
    const routes = changingRoutes(s.app);
    expect(routes).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/api/pause' },
        { method: 'POST', path: '/api/resume' },
        { method: 'POST', path: '/api/jobs/retry-failed' },
        { method: 'POST', path: '/api/jobs/job-1/retry' },
        { method: 'DELETE', path: '/api/jobs/job-1' },
        { method: 'PATCH', path: '/probe' },
      ]),
    );
    for (const { method, path } of routes) {
      const res = await s.http(path, { method, headers: { ...json, ...bearer('anything') } });
      expect({ method, path, status: res.statusCode, body: res.json() }).toEqual({
        method,
        path,
        status: 403,
        body: { error: NO_TOKEN_SET },
      });
    }
    expect(NO_TOKEN_SET).toMatch(/http\.token/);
    expect(NO_TOKEN_SET).toMatch(/through Redis/);
    expect(await s.services.work.queue.isPaused()).toBe(false);
  });

  it('reading stays open', async () => {
    expect((await s.http('/api/queue')).statusCode).toBe(200);
    expect((await s.http('/probe')).statusCode).toBe(200);
  });
});

describe("a module's own wording of errors (RouteModule.errors)", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({ token: TOKEN }, [probe, worded]);
  });
  afterAll(() => s.close());

  it('is used for the refusals and errors under its paths, and only there', async () => {
    const answers = [
      await s.http('/worded/x', { method: 'POST', headers: json }),
      await s.http('/worded/x', { method: 'PUT', headers: { ...json, ...bearer(TOKEN) } }),
      await s.http('/worded/x', {
        method: 'POST',
        headers: { ...bearer(TOKEN), 'content-type': 'text/plain' },
        body: 'x',
      }),
      await s.http('/worded/boom'),
    ];
    expect(answers.map((r) => [r.statusCode, r.json()])).toEqual([
      [
        401,
        { message: 'this endpoint changes state and needs Authorization: Bearer <http.token>' },
      ],
      [405, { message: 'PUT is not allowed here; this path takes OPTIONS, POST' }],
      [
        415,
        { message: 'changing requests take application/json only, not Content-Type "text/plain"' },
      ],
      [500, { message: 'internal error, see the server log' }],
    ]);
    const elsewhere = await s.http('/probe', { method: 'POST', headers: json });
    expect([elsewhere.statusCode, elsewhere.json()]).toEqual([
      401,
      { error: 'this endpoint changes state and needs Authorization: Bearer <http.token>' },
    ]);
  });
});

/** A module whose original clients send the token in the JSON body, as resultsdb_api does. */
const tokenInBody: RouteModule = {
  name: 'token-in-body',
  errors: { under: '/inbody/', body: (message) => ({ message }) },
  bodyToken: { under: '/inbody/', key: '_auth_token' },
  register(app) {
    app.post('/inbody/x', async (req) => ({ changed: true, body: req.body }));
    app.put('/inbody/x', async () => ({ changed: true }));
  },
};

describe("a module's token in the body (RouteModule.bodyToken)", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({ token: TOKEN }, [probe, tokenInBody]);
  });
  afterAll(() => s.close());
  const send = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    s.http(path, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });

  it('lets a write through whose body carries the token under the key, under its paths', async () => {
    const res = await send('/inbody/x', { a: 1, _auth_token: TOKEN });
    expect([res.statusCode, res.json()]).toEqual([
      200,
      { changed: true, body: { a: 1, _auth_token: TOKEN } },
    ]);
    // A wrong bearer header does not spoil a right body token.
    const both = await send('/inbody/x', { _auth_token: TOKEN }, bearer('wrong'));
    expect(both.statusCode).toBe(200);
    const put = await s.http('/inbody/x', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ _auth_token: TOKEN }),
    });
    expect(put.statusCode).toBe(200);
  });

  it.each<[string, unknown]>([
    ['no token', { a: 1 }],
    ['a wrong one', { _auth_token: 'wrong' }],
    ['null', { _auth_token: null }],
    ['one that is no string', { _auth_token: [TOKEN] }],
    ['a body that is no object', [TOKEN]],
    ['the token under another key', { auth_token: TOKEN }],
  ])('answers 401 naming both ways for %s', async (_what, body) => {
    const res = await send('/inbody/x', body);
    expect([res.statusCode, res.header('www-authenticate'), res.json()]).toEqual([
      401,
      'Bearer',
      {
        message:
          'this endpoint changes state and needs Authorization: Bearer <http.token> ' +
          '(or "_auth_token": "<http.token>" in the JSON body)',
      },
    ]);
  });

  it('answers 401 for a body that cannot be read without the token, 400 with it', async () => {
    const broken = (headers: Record<string, string> = {}) =>
      s.http('/inbody/x', { method: 'POST', headers: { ...json, ...headers }, body: '{"a":' });
    const res = await broken();
    expect([res.statusCode, res.header('www-authenticate')]).toEqual([401, 'Bearer']);
    expect((await broken(bearer(TOKEN))).statusCode).toBe(400);
  });

  it('is not looked for elsewhere, and the other checks still come first', async () => {
    const elsewhere = await send('/probe', { _auth_token: TOKEN });
    expect([elsewhere.statusCode, elsewhere.json()]).toEqual([
      401,
      { error: 'this endpoint changes state and needs Authorization: Bearer <http.token>' },
    ]);
    const foreign = await send(
      '/inbody/x',
      { _auth_token: TOKEN },
      { origin: 'http://evil.example' },
    );
    expect(foreign.statusCode).toBe(403);
  });
});

describe('with http.token set', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({ token: TOKEN });
    await s.services.work.enqueue(testEvent('org.example.guard', { id: 'guard-1' }));
  });
  afterAll(() => s.close());

  it('every changing endpoint answers 401 without the token or with a wrong one', async () => {
    for (const { method, path } of changingRoutes(s.app)) {
      for (const headers of [json, { ...json, ...bearer('wrong') }, { ...json, ...bearer('') }]) {
        const res = await s.http(path, { method, headers });
        expect({ method, path, status: res.statusCode }).toEqual({ method, path, status: 401 });
        expect(res.header('www-authenticate')).toBe('Bearer');
      }
    }
    expect(await s.services.work.queue.isPaused()).toBe(false);
  });

  it('the token, from this origin, with JSON or no body, is let through', async () => {
    const origin = { origin: s.base, 'sec-fetch-site': 'same-origin' };
    const paused = await s.http('/api/pause', {
      method: 'POST',
      headers: { ...bearer(TOKEN), ...origin },
    });
    expect(paused.json()).toEqual({ success: true, paused: true });
    expect(await s.services.work.queue.isPaused()).toBe(true);
    const resumed = await s.http('/api/resume', {
      method: 'POST',
      headers: { ...json, ...bearer(TOKEN), ...origin },
      body: '{}',
    });
    expect(resumed.json()).toEqual({ success: true, paused: false });
    expect(await s.services.work.queue.isPaused()).toBe(false);
  });

  it.each(['bearer ', 'BEARER ', 'Bearer   '])(
    'takes the scheme in any case, and more than one space after it: %j (RFC 7235)',
    async (scheme) => {
      const res = await s.http('/api/pause', {
        method: 'POST',
        headers: { authorization: `${scheme}${TOKEN}` },
      });
      expect(res.json()).toEqual({ success: true, paused: true });
      await s.services.work.resume();
    },
  );

  it.each(['Bearer', `Bearer${TOKEN}`, `Basic ${TOKEN}`, `Bearer x${TOKEN}`])(
    'refuses %j',
    async (header) => {
      const res = await s.http('/api/pause', {
        method: 'POST',
        headers: { authorization: header },
      });
      expect(res.statusCode).toBe(401);
      expect(await s.services.work.queue.isPaused()).toBe(false);
    },
  );

  it.each([
    ['an Origin of another site', { origin: 'http://evil.example' }],
    ['an Origin of another port', { origin: 'http://127.0.0.1:1' }],
    ['the opaque Origin of a sandboxed frame', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
  ])('refuses a cross-origin pause (%s) even with the token', async (_what, headers) => {
    const res = await s.http('/api/pause', {
      method: 'POST',
      headers: { ...json, ...bearer(TOKEN), ...headers },
      body: '{}',
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatch(/^cross-origin request refused/);
    expect(await s.services.work.queue.isPaused()).toBe(false);
  });

  it.each([
    ['text/plain', 'text/plain;charset=UTF-8', 'pause'],
    ['a urlencoded form', 'application/x-www-form-urlencoded', 'a=1'],
    ['a multipart form', 'multipart/form-data; boundary=x', '--x--'],
  ])('refuses a pause posted as %s with 415, even with the token', async (_what, type, body) => {
    const res = await s.http('/api/pause', {
      method: 'POST',
      headers: { 'content-type': type, ...bearer(TOKEN) },
      body,
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatch(/application\/json only/);
    expect(await s.services.work.queue.isPaused()).toBe(false);
  });

  it('refuses a body without a Content-Type', async () => {
    const res = await rawRequest(`${s.base}/api/pause`, {
      method: 'POST',
      headers: { ...bearer(TOKEN), 'content-length': '5' },
      body: 'pause',
    });
    expect(res.statusCode).toBe(415);
    expect(await s.services.work.queue.isPaused()).toBe(false);
  });

  it('answers only the Host names it is known by (DNS rebinding)', async () => {
    const port = new URL(s.base).port;
    const get = (host: string) => rawRequest(`${s.base}/api/jobs/guard-1`, { headers: { host } });
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const res = await get(host);
      expect({ host, status: res.statusCode }).toEqual({ host, status: 421 });
      expect(res.body).not.toContain('org.example.guard');
    }
    for (const host of ['127.0.0.1', `127.0.0.1:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const res = await get(host);
      expect({ host, status: res.statusCode }).toEqual({ host, status: 200 });
    }
  });

  it('refuses a request without a Host header', async () => {
    const res = await rawRequest(`${s.base}/api/queue`, { headers: { host: '' } });
    expect(res.statusCode).toBe(400);
  });

  it.each(['/', '/jobs/guard-1', '/probe', '/no-such-page', '/api/queue'])(
    '%s cannot be framed by another site, nor sniffed',
    async (path) => {
      const res = await s.http(path);
      expect(res.header('x-frame-options')).toBe('DENY');
      expect(res.header('content-security-policy')).toMatch(/(^|;\s*)frame-ancestors 'none'(;|$)/);
      expect(res.header('x-content-type-options')).toBe('nosniff');
    },
  );

  it.each(['/', '/jobs/guard-1', '/probe'])(
    '%s, a page, gets the headers for documents too',
    async (path) => {
      const res = await s.http(path);
      expect(res.header('referrer-policy')).toBe('no-referrer');
      expect(res.header('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.header('cross-origin-resource-policy')).toBe('same-origin');
    },
  );

  it.each(['/probe/own', '/probe/own-raw'])('%s keeps the policy its route set', async (path) => {
    const res = await s.http(path);
    expect(res.header('content-security-policy')).toBe('sandbox');
    expect(res.header('x-content-type-options')).toBe('nosniff');
  });

  it('gives a page that sets no policy of its own the policy of data, which loads nothing', async () => {
    expect((await s.http('/probe')).header('content-security-policy')).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
  });

  it.each(['/api/queue', '/no-such-page', '/healthz', '/metrics'])(
    '%s, data, gets the headers that matter to data and not those of documents',
    async (path) => {
      const res = await s.http(path);
      expect(res.header('content-security-policy')).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
      expect(res.header('cross-origin-resource-policy')).toBe('same-origin');
      expect(res.header('referrer-policy')).toBeNull();
      expect(res.header('cross-origin-opener-policy')).toBeNull();
    },
  );

  it('keeps the page policy that forbids scripts', async () => {
    const csp = (await s.http('/')).header('content-security-policy')!;
    expect(csp).toMatch(/(^|;\s*)default-src 'none'(;|$)/);
    expect(csp).not.toMatch(/script-src/);
  });
});

describe('open reading endpoints', () => {
  it('cut /api/jobs?limit= to 200 instead of loading what was asked', async () => {
    const s = await serve({ token: null });
    try {
      const jobs = Array.from({ length: LIST_MAX + 5 }, (_, i) =>
        testEvent('org.many', { id: `many-${i}` }),
      );
      await s.services.work.queue.addBulk(jobs.map((e) => ({ name: e.topic, data: e })));
      for (const query of [
        'state=waiting&limit=100000',
        'state=waiting&topic=org.many&limit=1000',
      ]) {
        const res = await s.http(`/api/jobs?${query}`);
        expect({ query, status: res.statusCode, count: res.json().length }).toEqual({
          query,
          status: 200,
          count: LIST_MAX,
        });
      }
      expect((await s.http('/api/jobs?state=waiting&limit=3')).json()).toHaveLength(3);
    } finally {
      await s.close();
    }
  });
});

describe('http.allowed_hosts', () => {
  it('defaults to the bind address and localhost, each on any port', () => {
    expect(allowedHosts({ host: '0.0.0.0', allowed_hosts: null })).toEqual([
      '0.0.0.0',
      'localhost',
      '127.0.0.1',
      '[::1]',
    ]);
    expect(allowedHosts({ host: '::', allowed_hosts: null })[0]).toBe('[::]');
  });

  it('replaces the defaults when set; an entry with a port allows that port only', async () => {
    const s = await serve({
      token: TOKEN,
      allowed_hosts: ['Loopabull.Example.org', 'ci.example:8443'],
    });
    try {
      const status = async (host: string) =>
        (await rawRequest(`${s.base}/healthz`, { headers: { host } })).statusCode;
      expect(await status('loopabull.example.org')).toBe(200);
      expect(await status('loopabull.example.org:8080')).toBe(200);
      expect(await status('ci.example:8443')).toBe(200);
      expect(await status('loopabull.example.org.')).toBe(200);
      expect(await status('loopabull.example.org.:8080')).toBe(200);
      expect(await status('ci.example.:8443')).toBe(200);
      expect(await status('loopabull.example.org..')).toBe(421);
      expect(await status('ci.example:8080')).toBe(421);
      expect(await status('ci.example')).toBe(421);
      expect(await status(new URL(s.base).host)).toBe(421);
    } finally {
      await s.close();
    }
  });
});
