import type { FastifyInstance } from 'fastify';
import type { ErrorBody } from './error-body.js';

/**
 * The methods the routes take `url` under, asked of the router itself so that every route
 * counts, the modules' too, and a path gets the methods of each route that matches it: a
 * parametric route may take it under one method and a static route under another. OPTIONS is
 * answered for every path a route takes.
 */
function allowedMethods(app: FastifyInstance, url: string): string[] {
  const methods = app.supportedMethods.filter((method) => app.findRoute({ method, url }) !== null);
  return methods.length === 0 ? [] : [...new Set([...methods, 'OPTIONS'])].sort();
}

/**
 * Flask and Twisted, whose clients the automations' original endpoints serve, answer a method a
 * path does not take with 405 and an `Allow` header listing those it takes; Fastify would say
 * 404. OPTIONS gets 204 with the same header, as Flask answers it. Only requests that no route
 * took are looked at, so no route's answer changes, and a path no route takes stays 404.
 */
export function answerOtherMethods(app: FastifyInstance, errorBody: ErrorBody): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!req.is404) return;
    const allow = allowedMethods(app, req.url);
    if (allow.length === 0) return;
    reply.header('allow', allow.join(', '));
    if (req.method === 'OPTIONS') return reply.code(204).send();
    return reply
      .code(405)
      .type('application/json; charset=utf-8')
      .send(
        errorBody(
          req.url,
          `${req.method} is not allowed here; this path takes ${allow.join(', ')}`,
        ),
      );
  });
}
