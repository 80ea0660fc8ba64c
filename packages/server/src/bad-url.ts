import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { everyAnswer } from './guard.js';

/**
 * Errors Fastify's router meets before any hook runs, so they get the headers of every answer
 * here. A path whose percent-encoding does not decode (`/gettac/%FF%FE`) names nothing a route
 * takes: it is answered as a path no route takes, 404 with Fastify's body, instead of 400
 * `FST_ERR_BAD_URL`. The others (a parameter over 512 characters) keep Fastify's answer.
 */
export const frameworkErrors = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) =>
  everyAnswer(req.raw, reply.raw, () =>
    err.code === 'FST_ERR_BAD_URL'
      ? reply.code(404).send({
          message: `Route ${req.method}:${req.url} not found`,
          error: 'Not Found',
          statusCode: 404,
        })
      : reply.send(err),
  );
