import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { createLogger, createRedis, queueServices, type QueueServices } from '@loopabull/core';
import {
  cleanUpTest,
  nextAnswered,
  rawRequest,
  removeTempDirs,
  serveForTest,
  testConfig,
  type HttpAnswer,
} from '@test/support';
import { buildApp } from './app.js';
import type { RouteModule } from './route-module.js';

const TOKEN = 'methods-test-token';

/** Routes shaped as the shipped automations' are: hardware's, slavealloc's, ResultsDB's. */
const plugins: RouteModule = {
  name: 'plugins',
  register(app) {
    app.get('/machines', async () => []);
    app.get('/machines/:id', async () => 'lastseen');
    app.get('/gettac/:name', async () => 'tac');
    app.get('/api/gettac/:name', async () => ({ success: true }));
    app.get('/api/:table/:id', async () => ({}));
    app.put('/api/:table/:id', async () => ({ success: true, put: true }));
    app.get('/api/v2.0/results', async () => ({ data: [] }));
    app.post('/api/v2.0/results', async (_req, reply) => reply.code(201).send({}));
    app.get('/api/v2.0/results/:id', async () => ({}));
  },
};

/** A module that answers the misses under its prefix its own way, as slavealloc's `/gettac/`. */
const ownMisses: RouteModule = {
  name: 'own-misses',
  register(app) {
    app.get('/tac/:name', async () => 'tac');
  },
  misses: [
    { under: '/tac/', answer: (reply) => reply.code(404).type('text/plain').send('no tac') },
  ],
};

/** A module with misses under another's prefix: its narrower prefix wins, whatever the order. */
const deeperMisses: RouteModule = {
  name: 'deeper-misses',
  register(app) {
    app.get('/tac/deep/:name', async () => 'deep tac');
  },
  misses: [
    {
      under: '/tac/deep/',
      answer: (reply) => reply.code(404).type('text/plain').send('no deep tac'),
    },
  ],
};

/**
 * Every route as `[path, methods]`, read from the router's printed tree: `├── /machines (GET,
 * HEAD)`, children indented by four columns and relative to their parent.
 */
function routesOf(app: FastifyInstance): Array<[string, string[]]> {
  const parents: string[] = [];
  const routes: Array<[string, string[]]> = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (parents[depth - 1] ?? '') + match[2]!;
    parents[depth] = path;
    if (match[3]) routes.push([path.replace(/:\w+/g, 'x-1'), match[3].split(', ')]);
  }
  return routes;
}

const bearer = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

let app: FastifyInstance;
let services: QueueServices;
let config: ReturnType<typeof testConfig>;
let base: string;

const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  rawRequest(base + path, { method, headers, body });

/** What `docs/http.md` promises of a 405: the status, `Allow`, and a JSON reason (not to HEAD). */
function expect405(res: HttpAnswer, allow: string) {
  expect({ status: res.statusCode, allow: res.header('allow') }).toEqual({ status: 405, allow });
  if (res.body) expect(res.json().error).toMatch(/is not allowed here; this path takes/);
}

beforeAll(async () => {
  config = testConfig({ overrides: { loglevel: 'error', http: { token: TOKEN } } });
  services = queueServices(config, createRedis(config.redis.url));
  app = await buildApp({
    config,
    services,
    logger: createLogger('test', 'error'),
    modules: [plugins, ownMisses, deeperMisses],
    readiness: async () => ({ ready: true, checks: {} }),
  });
  await serveForTest(app);
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app.close();
  await services.close();
  await cleanUpTest(config);
  removeTempDirs();
});

describe('a method the path does not take', () => {
  it('is 405 with Allow, before the token is asked for', async () => {
    expect405(await send('PUT', '/machines'), 'GET, HEAD, OPTIONS');
    expect405(await send('DELETE', '/machines/dc1:host1', bearer), 'GET, HEAD, OPTIONS');
    expect405(await send('POST', '/gettac/linux-1', bearer), 'GET, HEAD, OPTIONS');
    expect405(await send('POST', '/gettac/linux-1'), 'GET, HEAD, OPTIONS');
    expect405(await send('GET', '/api/pause'), 'OPTIONS, POST');
    expect405(await send('HEAD', '/api/pause'), 'OPTIONS, POST');
    expect405(await send('PATCH', '/api/v2.0/results', bearer), 'GET, HEAD, OPTIONS, POST, PUT');
    expect405(await send('PUT', '/api/v2.0/results/7', bearer), 'GET, HEAD, OPTIONS');
  });

  it('lists the methods of every route that matches the path, and shadows none of them', async () => {
    // PUT /api/<table>/<id> takes these paths too.
    expect405(await send('DELETE', '/api/gettac/linux-1', bearer), 'GET, HEAD, OPTIONS, PUT');
    const put = await send('PUT', '/api/gettac/linux-1', bearer, '{}');
    expect(put.json()).toEqual({ success: true, put: true });
  });

  it('does not read the body: a form posted there is 405, not 415', async () => {
    const res = await send('POST', '/machines', { 'content-type': 'text/plain' }, 'x');
    expect405(res, 'GET, HEAD, OPTIONS');
  });

  it('still needs a Host the server is known by, and gets the headers of every answer', async () => {
    expect((await send('PUT', '/machines', { host: 'evil.example' })).statusCode).toBe(421);
    const res = await send('PUT', '/machines');
    expect(res.header('x-content-type-options')).toBe('nosniff');
    expect(res.header('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  });

  it('is 405 on every path a route takes, for each method no route takes it under', async () => {
    const routes = routesOf(app);
    expect(routes.length).toBeGreaterThan(15);
    let refused = 0;
    for (const [path, methods] of routes) {
      const others = app.supportedMethods.filter((m) => m !== 'OPTIONS' && !methods.includes(m));
      for (const method of others) {
        const res = await send(method, path, bearer);
        // Another route may take the path under that method (`/api/:table/:id` takes PUT
        // /api/jobs/x-1): then it answers. A path some route takes is never 404 for its method.
        if (res.statusCode !== 405) {
          expect({ method, path, routed: res.header('allow') === null }).toEqual({
            method,
            path,
            routed: true,
          });
          continue;
        }
        const allow = res.header('allow')!.split(', ');
        expect({ method, path, allow }).toEqual({
          method,
          path,
          allow: expect.arrayContaining([...methods, 'OPTIONS']),
        });
        expect(allow).not.toContain(method);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
  });
});

describe('OPTIONS', () => {
  it('is 200 with Allow and no body on a path a route takes, as Flask answers it', async () => {
    for (const [path, allow] of [
      ['/machines', 'GET, HEAD, OPTIONS'],
      ['/api/pause', 'OPTIONS, POST'],
    ] as const) {
      const res = await send('OPTIONS', path);
      expect({ path, status: res.statusCode, allow: res.header('allow'), body: res.body }).toEqual({
        path,
        status: 200,
        allow,
        body: '',
      });
    }
  });
});

describe('a path no route takes', () => {
  it('is answered as before: the guard, then 404', async () => {
    const notFound = await send('GET', '/nope');
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json()).toEqual({
      message: 'Route GET:/nope not found',
      error: 'Not Found',
      statusCode: 404,
    });
    expect(notFound.header('allow')).toBeNull();
    expect((await send('OPTIONS', '/nope')).statusCode).toBe(404);
    expect((await send('PUT', '/nope')).statusCode).toBe(401);
    expect((await send('PUT', '/nope', bearer, '{}')).statusCode).toBe(404);
  });

  it.each(['/gettac/%FF%FE', '/nope/%C0', '/machines/dc1:%E2%82'])(
    'includes %s, whose percent-encoding does not decode: 404 as any other',
    async (path) => {
      const res = await send('GET', path);
      expect({ status: res.statusCode, body: res.json() }).toEqual({
        status: 404,
        body: { message: `Route GET:${path} not found`, error: 'Not Found', statusCode: 404 },
      });
      expect(res.header('x-content-type-options')).toBe('nosniff');
      expect(res.header('content-security-policy')).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
    },
  );

  it.each(['/tac/%FF%FE', `/tac/${'x'.repeat(600)}`])(
    'under a module that answers its misses, %s gets its answer, with the headers of every answer',
    async (path) => {
      const res = await send('GET', path);
      expect([res.statusCode, res.contentType, res.body]).toEqual([404, 'text/plain', 'no tac']);
      expect(res.header('x-content-type-options')).toBe('nosniff');
    },
  );

  it.each([
    ['a bad escape', '/tac/deep/%FF%FE'],
    ['a long name', `/tac/deep/${'x'.repeat(600)}`],
  ])(
    'under the prefixes of two modules, %s gets the answer of the longer prefix',
    async (_what, path) => {
      const res = await send('GET', path);
      expect([res.statusCode, res.body]).toEqual([404, 'no deep tac']);
    },
  );

  it.each([
    ['/jobs/', `${'x'.repeat(600)}`],
    ['/api/jobs/', `${'x'.repeat(600)}`],
    ['/api/jobs/', `${'x'.repeat(600)}/logs`],
    ['/jobs/', '%FF%FE'],
  ])(
    'under the job routes %s, an id the router cannot take is answered as an unknown one',
    async (under, id) => {
      const res = await send('GET', under + id);
      const unknown = await send('GET', `${under}nope${id.endsWith('/logs') ? '/logs' : ''}`);
      expect([res.statusCode, res.contentType, res.body]).toEqual([
        404,
        unknown.contentType,
        unknown.body,
      ]);
      expect(res.body).toMatch(/unknown job/);
      expect(res.header('x-content-type-options')).toBe('nosniff');
    },
  );

  it('a parameter longer than 512 characters is still refused with 414', async () => {
    const res = await send('GET', `/machines/${'x'.repeat(600)}`);
    expect(res.statusCode).toBe(414);
    expect(res.json().code).toBe('FST_ERR_MAX_PARAM_LENGTH');
  });
});

describe('a path the router cannot read (a bad escape, a name over 512 characters)', () => {
  /** The answer's status, `Allow` and body. */
  const seen = async (method: string, path: string) => {
    const res = await send(method, path);
    return { status: res.statusCode, allow: res.header('allow'), body: res.body };
  };

  it.each([
    ["a bad escape under a module's misses", '/tac/%FF%FE', '/tac/x'],
    ["a long name under a module's misses", `/tac/${'x'.repeat(600)}`, '/tac/x'],
    ['a bad escape under the longer of two prefixes', '/tac/deep/%FF', '/tac/deep/x'],
    ['a bad escape under no misses', '/gettac/%FF%FE', '/gettac/x'],
    ["a bad escape under the server's own misses", '/jobs/%FF', '/jobs/x'],
  ])(
    '%s gets the answer of a readable name to a method its routes do not take',
    async (_what, path, readable) => {
      for (const method of ['PUT', 'POST', 'PATCH', 'OPTIONS']) {
        const expected = await seen(method, readable);
        expect([405, 200]).toContain(expected.status);
        expect([method, await seen(method, path)]).toEqual([method, expected]);
      }
    },
  );

  it('is answered on the URL sent, and after the Host check, as on any path', async () => {
    const answered = nextAnswered(app.server);
    expect405(await send('PUT', '/tac/%FF%FE'), 'GET, HEAD, OPTIONS');
    expect(await answered).toBe('PUT /tac/%FF%FE 405');
    expect((await send('PUT', '/tac/%FF%FE', { host: 'evil.example' })).statusCode).toBe(421);
  });

  it('goes on to the misses under a method a route takes there, and is 404 where none does', async () => {
    expect((await send('GET', '/tac/%FF%FE')).body).toBe('no tac');
    // `/api/:table/:id` takes PUT: the token is not asked for, as for any bad URL.
    const put = await send('PUT', '/api/gettac/%FF');
    expect([put.statusCode, put.header('allow')]).toEqual([404, null]);
    expect405(await send('DELETE', '/api/gettac/%FF'), 'GET, HEAD, OPTIONS, PUT');
    const nowhere = await send('PUT', '/nope/%C0');
    expect([nowhere.statusCode, nowhere.json().message]).toEqual([
      404,
      'Route PUT:/nope/%C0 not found',
    ]);
  });
});
