import Fastify, { type FastifyInstance } from 'fastify';
import type { Config, Logger, QueueServices } from '@loopabull/core';
import { registerApi, unknownJob } from './api-routes.js';
import { frameworkErrors, MAX_PARAM_LENGTH } from './bad-url.js';
import { registerDashboard, unknownJobPage } from './dashboard.js';
import { guardRequests, guardUnroutable } from './guard.js';
import { errorBodies } from './error-body.js';
import { emptyJsonIsNoBody } from './json-body.js';
import { createMetrics } from './metrics.js';
import { readinessProbe, type Readiness } from './readiness.js';
import { answerRedisDown, redisDown, redisTimedOut, refuseWhileRedisDown } from './redis-down.js';
import type { RouteModule } from './route-module.js';

export interface AppOptions {
  config: Config;
  services: QueueServices;
  logger: Logger;
  /** The started automations' routes. */
  modules?: RouteModule[];
  /** Replaces the Redis-and-bus check, for tests. */
  readiness?: () => Promise<Readiness>;
}

/** The HTTP application without a listening socket (tests use `app.inject`). */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { config, services, logger } = opts;
  const enabled = opts.modules ?? [];
  const errorBody = errorBodies(enabled);
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A job id the router cannot take (over 512 characters, a bad %-escape) names no job either.
    frameworkErrors: frameworkErrors(
      [
        { under: '/jobs/', answer: unknownJobPage },
        { under: '/api/jobs/', answer: unknownJob },
        ...enabled.flatMap((m) => m.misses ?? []),
      ],
      guardUnroutable(config.http, errorBody),
    ),
  });
  // One navigation for every page, the server's and the modules'.
  const pages = enabled.flatMap((m) => (m.dashboard ? [m.dashboard] : []));
  const unreadBodyToken = guardRequests(
    app,
    config.http,
    errorBody,
    enabled.flatMap((m) => (m.bodyToken ? [m.bodyToken] : [])),
  );
  emptyJsonIsNoBody(app);
  app.setErrorHandler(async (err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    // A body that could not be read cannot hold the token either.
    if (status < 500) {
      const refused = unreadBodyToken(req, reply);
      if (refused) return refused;
    }
    // The modules' routes read Redis on a connection that fails at once while it is away.
    if (status >= 500 && redisDown(services.redis)) {
      logger.debug(`${req.method} ${req.url}: Redis is unreachable: ${err.message}`);
      return answerRedisDown(req, reply, errorBody);
    }
    // Connected but silent: nothing else in the log would say so.
    if (status >= 500 && redisTimedOut(err)) {
      logger.warn(`${req.method} ${req.url}: Redis did not answer in time`);
      return answerRedisDown(req, reply, errorBody);
    }
    if (status >= 500) logger.error(`${req.method} ${req.url} failed: ${err.message}`);
    await reply
      .code(status)
      .send(errorBody(req.url, status >= 500 ? 'internal error, see the server log' : err.message));
  });

  const ready = opts.readiness ?? readinessProbe(config, services.redis);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await ready();
    return reply.code(r.ready ? 200 : 503).send(r);
  });

  // The server's own routes but the probes: each reads Redis.
  await app.register(async (readingRedis) => {
    readingRedis.addHook('onRequest', refuseWhileRedisDown(services.redis, errorBody));
    const registry = createMetrics(services);
    readingRedis.get('/metrics', async (_req, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
    registerDashboard(readingRedis, services, pages);
    registerApi(readingRedis, services);
  });
  try {
    for (const module of enabled) {
      await module.register(app, {
        config,
        redis: services.redis,
        logger: logger.child({ routes: module.name }),
        pages,
      });
    }
  } catch (err) {
    // The app holds handles until it is closed: a caller that goes on after a failed start (a
    // test, a program embedding the server) would otherwise never exit by itself.
    await app.close();
    throw err;
  }
  return app;
}
