import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { percentDecoded } from '@loopabull/core';
import { everyAnswer } from './guard.js';
import type { RouteMiss } from './route-module.js';

/** The longest route parameter the router takes (Fastify's `maxParamLength`); longer is 414. */
export const MAX_PARAM_LENGTH = 512;

/** Errors of the router that mean the path names nothing a route takes. */
const UNROUTABLE = new Set(['FST_ERR_BAD_URL', 'FST_ERR_MAX_PARAM_LENGTH']);

/**
 * `url`'s path as the router can read it, to ask which methods its routes take there: each
 * segment cut to the longest parameter, and one whose escapes do not decode read as it is (its
 * `%` escaped). Every segment stays in its place, so the routes that match it are those that
 * would take the path if the router could read it.
 */
function readablePath(url: string): string {
  const end = url.search(/[?#]/);
  return (end === -1 ? url : url.slice(0, end))
    .split('/')
    .map((whole) => {
      const segment = whole.slice(0, MAX_PARAM_LENGTH);
      return percentDecoded(segment) === null ? segment.replaceAll('%', '%25') : segment;
    })
    .join('/');
}

/** The guard's answer to a request the router could not read, or undefined (guard.ts). */
export type UnroutableGuard = (
  req: FastifyRequest,
  reply: FastifyReply,
  readable: string,
) => FastifyReply | undefined;

/**
 * Errors Fastify's router meets before any hook runs, so they get the headers of every answer
 * here. A path whose percent-encoding does not decode (`/gettac/%FF%FE`) or with a parameter
 * over 512 characters is first checked as any path is for its method (`guard`), on the path its
 * routes would take (`readablePath`): `PUT /gettac/%FF` is 405 with `Allow: GET, HEAD, OPTIONS`
 * as `PUT /gettac/x` is, on the URL the client sent. A method some route takes there goes on:
 * such a path names nothing a route takes, so it is answered as a path no route takes, 404 with
 * Fastify's body, instead of 400 `FST_ERR_BAD_URL`; a parameter over 512 characters keeps
 * Fastify's 414. Under a module's `misses` prefix (or one of the server's own) both are answered
 * as that module answers a path that names nothing there (slavealloc: `/gettac/…` 404 `no
 * allocation available`; hardware: `/machines/…` 404 `unknown machine`; the server: `/jobs/…`
 * 404 `unknown job`).
 */
export function frameworkErrors(prefixes: readonly RouteMiss[], guard: UnroutableGuard) {
  // Longest first: one module's prefix may lie under another's.
  const misses = [...prefixes].sort((a, b) => b.under.length - a.under.length);
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) =>
    everyAnswer(req.raw, reply.raw, () => {
      if (!UNROUTABLE.has(err.code)) return reply.send(err);
      const refused = guard(req, reply, readablePath(req.url));
      if (refused) return refused;
      const miss = misses.find((m) => req.url.startsWith(m.under));
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
