import {
  createLogger,
  createProducerRedis,
  logRedisOutages,
  redactUrl,
  queueServices,
  type AutomationHost,
  type Config,
} from '@loopabull/core';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from './app.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The address it listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  close(): Promise<void>;
}

/** How long `serve` waits for a silent Redis before it listens anyway, answering 503 until it is up. */
const REDIS_WAIT_MS = 5000;
/**
 * How long a request waits on a Redis command before it is answered 503: a Redis that froze with
 * its connection open (a stopped process, a swapping host) would otherwise hold every request.
 */
export const REDIS_REPLY_TIMEOUT_MS = 5000;

/**
 * Resolves with null once the connection is ready, or with why not: its first error (a refused
 * connection is known at once) or REDIS_WAIT_MS of silence (a frozen Redis). A server started
 * beside its Redis should not answer its first requests 503 for the few milliseconds the
 * connection takes, and one started while Redis is down still starts, without waiting for it.
 */
async function redisReady(redis: Redis): Promise<string | null> {
  if (redis.status === 'ready') return null;
  // Not events.once: it rejects on the 'error' events a Redis that is down emits.
  return new Promise((resolve) => {
    const done = (why: string | null) => {
      clearTimeout(timer);
      redis.off('ready', ready);
      redis.off('error', failed);
      resolve(why);
    };
    const ready = () => done(null);
    const failed = (err: Error) => done(err.message);
    const timer = setTimeout(() => done(`no answer in ${REDIS_WAIT_MS / 1000} s`), REDIS_WAIT_MS);
    redis.once('ready', ready);
    redis.once('error', failed);
  });
}

/** How long stopping waits for requests under way before it closes their connections. */
export const CLOSE_GRACE_MS = 5_000;

/**
 * Why the server could not listen, and what to change: Node's own words
 * (`listen EADDRINUSE: address already in use 127.0.0.1:8080`) name neither the setting nor
 * what to do, and the usual cause is a second `serve` or `up` on the same port.
 */
function listenFailure(err: NodeJS.ErrnoException, http: { host: string; port: number }): string {
  const at = `cannot listen on ${http.host}:${http.port}`;
  const setPort = 'set http.port (or $LOOPABULL_HTTP_PORT) to a free port';
  switch (err.code) {
    case 'EADDRINUSE':
      return `${at}: another process listens there (another loopabull serve or up?); stop it, or ${setPort}`;
    case 'EACCES':
      return `${at}: permission denied (ports below 1024 need privileges); ${setPort}`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${at}: this host has no such address; correct http.host`;
    default:
      return `${at}: ${err.message}`;
  }
}

/**
 * `loopabull serve`: the HTTP server on `http.host:http.port`, reconnecting to Redis by itself,
 * with the routes of the automations started in `automations`.
 *
 * Its connection fails commands at once while Redis is away, and requests are answered 503
 * (redis-down.ts): with core's `createRedis`, made for workers that block on the queue, every
 * request would wait in memory for Redis to come back.
 */
export async function startServer(
  config: Config,
  automations?: AutomationHost,
): Promise<RunningServer> {
  const logger = createLogger('serve', config.loglevel);
  const modules = (automations?.started ?? []).flatMap(({ instance }) =>
    instance.routes ? [instance.routes] : [],
  );
  const services = queueServices(
    config,
    createProducerRedis(config.redis.url, { commandTimeout: REDIS_REPLY_TIMEOUT_MS }),
  );
  // Its outages, which only /readyz showed: the first error, reminders and `Redis is back`.
  logRedisOutages([services.redis], logger, { redis: redactUrl(config.redis.url) });
  // The same errors, passed on by BullMQ, which prints them when nothing listens.
  services.work.queue.on('error', () => undefined);
  // A module whose register throws must not leave the connection open behind the rejection,
  // for a caller that goes on after it (a test, a program embedding the server).
  const app = await buildApp({ config, services, logger, modules }).catch(async (err: unknown) => {
    await services.close();
    throw err;
  });
  const redisDown = await redisReady(services.redis);
  const url = await app
    .listen({ host: config.http.host, port: config.http.port })
    .catch(async (err: unknown) => {
      await app.close();
      await services.close();
      throw new Error(listenFailure(err as NodeJS.ErrnoException, config.http));
    });
  logger.info(`listening on ${url}`);
  if (redisDown)
    logger.warn(
      'Redis is unreachable: the pages and the API answer 503 until it is back (it is retried by itself)',
      { redis: redactUrl(config.redis.url), error: redisDown },
    );
  return {
    app,
    url,
    async close() {
      // Requests under way get CLOSE_GRACE_MS to finish. A client holding one open (headers
      // half sent, a body trickling in) would otherwise keep a stopping server up until Node's
      // request timeouts (60 s for headers, 300 s in all), past systemd's stop timeout.
      const force = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
      }
      await services.close();
      logger.info('stopped');
    },
  };
}
