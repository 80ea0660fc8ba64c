import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from './error-body.js';

/**
 * The `Allow` of a request to `url` that no route takes under its method, when some route takes
 * `url` under others; null when a route takes it under this one, or none takes it at all. The
 * methods are asked of the router itself so that every route counts, the modules' too, and a
 * path gets the methods of each route that matches it: a parametric route may take it under one
 * method and a static route under another. OPTIONS is answered for every path a route takes.
 */
export function otherMethodsAllow(
  app: FastifyInstance,
  method: string,
  url: string,
): string[] | null {
  const methods = app.supportedMethods.filter((m) => app.findRoute({ method: m, url }) !== null);
  if (methods.length === 0 || methods.includes(method)) return null;
  return [...new Set([...methods, 'OPTIONS'])].sort();
}

/**
 * Flask and Twisted, whose clients the automations' original endpoints serve, answer a method a
 * path does not take with 405 and an `Allow` header listing those it takes; Fastify would say
 * 404. OPTIONS gets 200 with the same header and no body, as Flask answers it.
 */
export function answerOtherMethod(
  req: FastifyRequest,
  reply: FastifyReply,
  allow: readonly string[],
  errorBody: ErrorBody,
): FastifyReply {
  reply.header('allow', allow.join(', '));
  if (req.method === 'OPTIONS') return reply.code(200).send();
  return reply
    .code(405)
    .type('application/json; charset=utf-8')
    .send(
      errorBody(req.url, `${req.method} is not allowed here; this path takes ${allow.join(', ')}`),
    );
}

/**
 * `answerOtherMethod` for the requests that no route took. Only those are looked at, so no
 * route's answer changes, and a path no route takes stays 404.
 */
export function answerOtherMethods(app: FastifyInstance, errorBody: ErrorBody): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!req.is404) return;
    const allow = otherMethodsAllow(app, req.method, req.url);
    if (allow) return answerOtherMethod(req, reply, allow, errorBody);
  });
}
