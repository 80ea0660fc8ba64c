import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { everyAnswer } from './guard.js';
import type { RouteMiss } from './route-module.js';

/** Errors of the router that mean the path names nothing a route takes. */
const UNROUTABLE = new Set(['FST_ERR_BAD_URL', 'FST_ERR_MAX_PARAM_LENGTH']);

/**
 * Errors Fastify's router meets before any hook runs, so they get the headers of every answer
 * here. A path whose percent-encoding does not decode (`/gettac/%FF%FE`) names nothing a route
 * takes: it is answered as a path no route takes, 404 with Fastify's body, instead of 400
 * `FST_ERR_BAD_URL`. A parameter over 512 characters keeps Fastify's 414. Under a module's
 * `misses` prefix (or one of the server's own) both are answered as that module answers a path
 * that names nothing there (slavealloc: `/gettac/…` 404 `no allocation available`; hardware:
 * `/machines/…` 404 `unknown machine`; the server: `/jobs/…` 404 `unknown job`).
 */
export function frameworkErrors(prefixes: readonly RouteMiss[]) {
  // Longest first: one module's prefix may lie under another's.
  const misses = [...prefixes].sort((a, b) => b.under.length - a.under.length);
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) =>
    everyAnswer(req.raw, reply.raw, () => {
      const miss = UNROUTABLE.has(err.code)
        ? misses.find((m) => req.url.startsWith(m.under))
        : undefined;
      if (miss) return miss.answer(reply);
      return err.code === 'FST_ERR_BAD_URL'
        ? reply.code(404).send({
            message: `Route ${req.method}:${req.url} not found`,
            error: 'Not Found',
            statusCode: 404,
          })
        : reply.send(err);
    });
}
