import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { AutomationHost } from '@loopabull/core';
import { removeTempDirs, startRedis, testConfig } from '@test/support';
import type { RouteModule } from './route-module.js';
import { CLOSE_GRACE_MS, startServer } from './server.js';

afterAll(removeTempDirs);

describe('startServer where it cannot listen', () => {
  it('names the address and says what to change when the port is taken, as by a second serve', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as { port: number };
    const config = testConfig({ overrides: { loglevel: 'error' } });
    try {
      await expect(startServer({ ...config, http: { ...config.http, port } })).rejects.toThrow(
        `cannot listen on 127.0.0.1:${port}: another process listens there (another loopabull serve or up?); stop it, or set http.port (or $LOOPABULL_HTTP_PORT) to a free port`,
      );
    } finally {
      taken.close();
    }
  });

  it('says to correct http.host when no interface has that address', async () => {
    const config = testConfig({ overrides: { loglevel: 'error' } });
    await expect(
      startServer({ ...config, http: { ...config.http, host: '192.0.2.1', port: 0 } }),
    ).rejects.toThrow(
      'cannot listen on 192.0.2.1:0: this host has no such address; correct http.host',
    );
  });
});

describe('startServer with a module whose register throws', () => {
  it('closes its Redis connection before it rejects', async () => {
    const redis = await startRedis();
    try {
      const config = testConfig({ overrides: { loglevel: 'error', redis: { url: redis.url } } });
      const broken: RouteModule = {
        name: 'broken',
        register() {
          throw new Error('broken register');
        },
      };
      const automations = {
        started: [{ instance: { routes: broken } }],
      } as unknown as AutomationHost;
      await expect(
        startServer({ ...config, http: { ...config.http, port: 0 } }, automations),
      ).rejects.toThrow('broken register');
      // Time for a connection still being made to come up, as a leaked one would.
      await delay(500);
      expect(await redis.connections()).toBe(0);
    } finally {
      await redis.stop();
    }
  });
});

describe('a stopping server', () => {
  it('closes a connection whose request never ends once the grace is over, instead of waiting for the client', async () => {
    const redis = await startRedis();
    try {
      const config = testConfig({ overrides: { loglevel: 'error', redis: { url: redis.url } } });
      const server = await startServer({ ...config, http: { ...config.http, port: 0 } });
      const { port } = new URL(server.url);
      // A client that sends half its headers and then waits: Node would wait 60 s for the rest.
      const client = connect(Number(port), '127.0.0.1');
      await once(client, 'connect');
      client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const dropped = once(client, 'close');
      const started = Date.now();
      await server.close();
      await dropped;
      expect(Date.now() - started).toBeGreaterThanOrEqual(CLOSE_GRACE_MS - 100);
    } finally {
      await redis.stop();
    }
  }, 30_000);
});
