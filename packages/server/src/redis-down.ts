import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import type { ErrorBody } from './error-body.js';

/** The whole answer while Redis is away: it names no URL, as the answers are open to anyone. */
export const REDIS_DOWN = 'Redis is unreachable; try again once it is back';

/** Whether the connection can take commands now; anything else is Redis away or reconnecting. */
export const redisDown = (redis: Redis): boolean => redis.status !== 'ready';

/** ioredis's error for a command past the connection's `commandTimeout`: Redis froze, or is swamped. */
export const redisTimedOut = (err: Error): boolean => err.message === 'Command timed out';

/** 503 and `REDIS_DOWN`, from the routes' hook below and from the error handler (app.ts). */
export const answerRedisDown = (req: FastifyRequest, reply: FastifyReply, errorBody: ErrorBody) =>
  reply.code(503).type('application/json; charset=utf-8').send(errorBody(req.url, REDIS_DOWN));

/**
 * For the server's own routes, which all read Redis: 503 at once while it is away. Their
 * connection fails commands at once then (server.ts), but BullMQ's Queue, made while Redis was
 * away, waits for it before its first command however the connection is set, so `/api/queue`
 * would hang until Redis came back.
 */
export function refuseWhileRedisDown(
  redis: Redis,
  errorBody: ErrorBody,
): onRequestAsyncHookHandler {
  return async (req, reply) => {
    if (redisDown(redis)) return answerRedisDown(req, reply, errorBody);
  };
}
